import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MemoryRevocationStore } from "../../../../server-middleware/index.js";
import { describeRevocationStoreContract } from "../../../../server-middleware/testing/index.js";

describeRevocationStoreContract("MemoryRevocationStore", () => new MemoryRevocationStore());

describe("MemoryRevocationStore", () => {
  it("with its own clock, forgets an id exactly when the session expires", async () => {
    const clock = { now: new Date("2030-01-01T00:00:00.000Z") };
    const store = new MemoryRevocationStore({ clock: () => clock.now });
    await store.revoke("s1", new Date("2030-01-01T01:00:00.000Z"));
    clock.now = new Date("2030-01-01T00:59:59.999Z");
    assert.equal(await store.isRevoked("s1"), true);
    clock.now = new Date("2030-01-01T01:00:00.000Z");
    assert.equal(await store.isRevoked("s1"), false);
  });

  it("when the clock is not a function, throws a TypeError naming it", () => {
    assert.throws(() => new MemoryRevocationStore({ clock: "now" as unknown as () => Date }), {
      name: "TypeError",
      message: "MemoryRevocationStore: clock must be a function",
    });
  });
});
