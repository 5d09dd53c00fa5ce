import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ReplayStore } from "../../../server-middleware/index.js";

/** A store under test and the clock it reads, which the contract moves. */
export interface StoreUnderTest {
  readonly store: ReplayStore;
  readonly clock: { now: Date };
}

const START = new Date("2030-01-01T00:00:00.000Z");
const inSeconds = (from: Date, seconds: number): Date => new Date(from.getTime() + seconds * 1000);

/**
 * The behaviour every ReplayStore must have, run unchanged against each implementation
 * (the in-memory one now, a shared one later). `create` gets a clock starting at START.
 */
export function describeReplayStoreContract(
  name: string,
  create: (clock: { now: Date }) => Promise<StoreUnderTest> | StoreUnderTest,
): void {
  describe(`ReplayStore contract: ${name}`, () => {
    const fresh = async (): Promise<StoreUnderTest> => create({ now: START });

    it("answers true to the first claim of a key and false to every later one", async () => {
      const { store } = await fresh();
      assert.equal(await store.claim("k1", inSeconds(START, 60)), true);
      assert.equal(await store.claim("k1", inSeconds(START, 60)), false);
      assert.equal(await store.claim("k1", inSeconds(START, 600)), false);
    });

    it("keeps keys apart", async () => {
      const { store } = await fresh();
      assert.equal(await store.claim("k1", inSeconds(START, 60)), true);
      assert.equal(await store.claim("k2", inSeconds(START, 60)), true);
      assert.equal(await store.claim("K1", inSeconds(START, 60)), true, "keys are case-sensitive");
    });

    it("remembers a key until its expiry, and only that long", async () => {
      const under = await fresh();
      assert.equal(await under.store.claim("k1", inSeconds(START, 60)), true);
      under.clock.now = inSeconds(START, 59);
      assert.equal(await under.store.claim("k1", inSeconds(START, 60)), false);
      under.clock.now = inSeconds(START, 61);
      assert.equal(await under.store.claim("k1", inSeconds(START, 120)), true);
    });

    it("when two claims of one key race, exactly one wins", async () => {
      const { store } = await fresh();
      const results = await Promise.all(
        Array.from({ length: 10 }, () => store.claim("race", inSeconds(START, 60))),
      );
      assert.equal(results.filter((won) => won).length, 1);
    });
  });
}
