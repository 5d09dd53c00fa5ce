import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { SignInRefusal } from "../../../../proxy/signin/auth-refusal.js";
import { createRefusalMemory } from "../../../../proxy/signin/refusal-memory.js";

const refusal = (message: string): SignInRefusal => ({ kind: "refused", status: 403, message });

describe("createRefusalMemory", () => {
  it("recalls an app's refusal for its lifetime, with the time left, then forgets it", () => {
    let now = 1_000;
    const memory = createRefusalMemory(30_000, () => now);
    memory.remember("app:3000", refusal("You are not allowed"));
    now += 10_000;
    assert.deepEqual(memory.recall("app:3000"), { refusal: refusal("You are not allowed"), leftMs: 20_000 });
    assert.equal(memory.recall("other:3000"), undefined);
    now += 20_000;
    assert.equal(memory.recall("app:3000"), undefined);
  });

  it("remembers nothing with a lifetime of 0", () => {
    const memory = createRefusalMemory(0, () => 0);
    memory.remember("app:3000", refusal("no"));
    assert.equal(memory.recall("app:3000"), undefined);
  });

  it("keeps at most 100 apps, forgetting the oldest first; remembering again makes an app the newest", () => {
    const memory = createRefusalMemory(30_000, () => 0);
    for (let i = 0; i < 100; i += 1) memory.remember(`app${i}`, refusal(String(i)));
    memory.remember("app0", refusal("again"));
    memory.remember("app100", refusal("100"));
    assert.equal(memory.recall("app1"), undefined, "the oldest went");
    assert.equal(memory.recall("app0")?.refusal.message, "again");
    assert.equal(memory.recall("app100")?.refusal.message, "100");
    assert.equal(memory.recall("app2")?.refusal.message, "2");
  });
});
