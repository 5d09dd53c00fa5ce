import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RevocationStore } from "../../../../server-middleware/index.js";
import { createRevocationCheck } from "../../../../server-middleware/stores/index.js";

const NOW = new Date("2030-01-01T00:00:00.000Z");
const EXPIRES = new Date("2030-01-01T01:00:00.000Z");

/** A store that counts its calls and fails while `down` is set. */
class CountingStore implements RevocationStore {
  down = false;
  lookups = 0;
  readonly revoked = new Set<string>();
  revoke(id: string): Promise<void> {
    if (this.down) return Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:6379"));
    this.revoked.add(id);
    return Promise.resolve();
  }
  isRevoked(id: string): Promise<boolean> {
    this.lookups += 1;
    if (this.down) return Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:6379"));
    return Promise.resolve(this.revoked.has(id));
  }
}

describe("createRevocationCheck", () => {
  it("asks the store once for many requests of one session within a second (the local cache)", async () => {
    const store = new CountingStore();
    const check = createRevocationCheck(store, () => undefined);
    const answers = await Promise.all(Array.from({ length: 5 }, () => check.isRevoked("s1", NOW)));
    assert.deepEqual(answers, [false, false, false, false, false]);
    assert.equal(await check.isRevoked("s1", NOW), false);
    assert.equal(
      store.lookups,
      1,
      "concurrent requests share one lookup; a later one uses the cached answer",
    );
  });

  it("a revocation made at another instance is seen once the cached answer is a second old", async () => {
    const store = new CountingStore();
    const check = createRevocationCheck(store, () => undefined);
    assert.equal(await check.isRevoked("s1", NOW), false);
    store.revoked.add("s1");
    const deadline = Date.now() + 3000;
    while (!(await check.isRevoked("s1", NOW))) {
      assert.ok(Date.now() < deadline, "still not revoked 3 s later");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });

  it("a revocation made here is seen at once, and also when the store is down", async () => {
    const store = new CountingStore();
    const lines: string[] = [];
    const check = createRevocationCheck(store, (event, fields) =>
      lines.push(`${event} ${String(fields.outcome)}`),
    );
    assert.equal(await check.isRevoked("s1", NOW), false);
    store.down = true;
    assert.equal(await check.revoke("s1", EXPIRES, NOW), false, "the store did not record it");
    assert.equal(await check.isRevoked("s1", NOW), true);
    assert.deepEqual(lines, ["session revocation-unchecked"]);
  });

  it("when the store fails, answers not revoked (fail open) and logs once until it answers again", async () => {
    const store = new CountingStore();
    const lines: string[] = [];
    const check = createRevocationCheck(store, (event, fields) =>
      lines.push(`${event} ${String(fields.outcome)} ${String(fields.reason)}`),
    );
    store.down = true;
    assert.equal(await check.isRevoked("a", NOW), false);
    assert.equal(await check.isRevoked("b", NOW), false);
    store.down = false;
    assert.equal(await check.isRevoked("c", NOW), false);
    assert.deepEqual(lines, [
      "session revocation-unchecked the revocation store failed (connect ECONNREFUSED 127.0.0.1:6379); sessions are accepted without the check until it answers",
      "session revocation-checked the revocation store answers again",
    ]);
  });
});
