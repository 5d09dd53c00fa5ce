import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { IamAuthError, MemoryReplayStore } from "../../../../server-middleware/index.js";
import { describeReplayStoreContract } from "../../../../server-middleware/testing/index.js";

describeReplayStoreContract("MemoryReplayStore", () => new MemoryReplayStore());

const START = new Date("2030-01-01T00:00:00.000Z");
const at = (seconds: number): Date => new Date(START.getTime() + seconds * 1000);

describe("MemoryReplayStore", () => {
  describe("maxEntries", () => {
    it("when full of live keys, refuses a new claim with 503 REPLAY_STORE_FULL and forgets nothing", async () => {
      const clock = { now: START };
      const store = new MemoryReplayStore({ maxEntries: 2, clock: () => clock.now });
      assert.equal(await store.claim("a", at(60)), true);
      assert.equal(await store.claim("b", at(120)), true);
      await assert.rejects(store.claim("c", at(60)), (error: unknown) => {
        assert.ok(error instanceof IamAuthError);
        assert.equal(error.code, "REPLAY_STORE_FULL");
        assert.equal(error.status, 503);
        assert.equal(error.message, "Too many sign-ins are in progress; try again in a few minutes");
        return true;
      });
      assert.equal(await store.claim("a", at(60)), false, "a live key was not evicted");
      assert.equal(await store.claim("b", at(60)), false, "a live key was not evicted");
      assert.equal(store.size, 2);
    });

    it("when full but some keys have expired, drops those and takes the new claim", async () => {
      const clock = { now: START };
      const store = new MemoryReplayStore({ maxEntries: 2, clock: () => clock.now });
      await store.claim("a", at(60));
      await store.claim("b", at(120));
      clock.now = at(61);
      assert.equal(await store.claim("c", at(200)), true);
      assert.equal(store.size, 2);
      assert.equal(await store.claim("b", at(200)), false);
    });

    it("defaults to 100000", async () => {
      const store = new MemoryReplayStore({ clock: () => START });
      for (let index = 0; index < 100_000; index++) await store.claim(`k${index}`, at(60));
      await assert.rejects(store.claim("one-more", at(60)), { code: "REPLAY_STORE_FULL" });
    });

    for (const bad of [0, -1, 1.5, Number.NaN]) {
      it(`when ${bad}: TypeError`, () => {
        assert.throws(() => new MemoryReplayStore({ maxEntries: bad }), {
          name: "TypeError",
          message: `MemoryReplayStore: maxEntries must be a positive integer (got ${bad})`,
        });
      });
    }
  });

  it("when a key's expiry has already passed, answers true and keeps nothing", async () => {
    const store = new MemoryReplayStore({ clock: () => at(100) });
    assert.equal(await store.claim("dead", at(50)), true);
    assert.equal(store.size, 0);
  });
});
