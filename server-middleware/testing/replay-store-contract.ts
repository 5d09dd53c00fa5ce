import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import type { ReplayStore } from "../stores/replay-store.js";

/** How long the expiry tests wait at most for a key to lapse. */
const EXPIRY_DEADLINE_MS = 5000;

/**
 * The behaviour every ReplayStore must have, as a `node:test` suite: run it unchanged against
 * your own store (this project runs it against MemoryReplayStore and RedisReplayStore). It uses
 * the real clock and keys of its own (random, so a shared store may be reused and is never
 * emptied); each test takes well under a second but the expiry test, about half a second.
 *
 * @example
 * import { describeReplayStoreContract } from "iam-auth-proxy/server-middleware/testing";
 * describeReplayStoreContract("MyStore", () => new MyStore(connection));
 */
export function describeReplayStoreContract(
  name: string,
  makeStore: () => ReplayStore | Promise<ReplayStore>,
): void {
  describe(`ReplayStore contract: ${name}`, () => {
    const key = (label: string): string => `contract:${label}:${randomUUID()}`;
    const inMs = (ms: number): Date => new Date(Date.now() + ms);

    it("answers true to the first claim of a key and false to every later one", async () => {
      const store = await makeStore();
      const k = key("once");
      assert.equal(await store.claim(k, inMs(60_000)), true);
      assert.equal(await store.claim(k, inMs(60_000)), false);
      assert.equal(await store.claim(k, inMs(600_000)), false, "a later expiry does not free it");
    });

    it("keeps keys apart, case-sensitively, whatever characters they hold", async () => {
      const store = await makeStore();
      const base = key("apart");
      const keys = [base, `${base}-2`, base.toUpperCase(), `${base}:ü✓`, `${base}${"x".repeat(2000)}`];
      for (const each of keys)
        assert.equal(await store.claim(each, inMs(60_000)), true, `first claim of ${each.slice(0, 60)}`);
      for (const each of keys)
        assert.equal(await store.claim(each, inMs(60_000)), false, `second claim of ${each.slice(0, 60)}`);
    });

    it("remembers a key until its expiry, and only that long", async () => {
      const store = await makeStore();
      const k = key("expiry");
      const expiresAt = inMs(400);
      assert.equal(await store.claim(k, expiresAt), true);
      assert.equal(await store.claim(k, inMs(60_000)), false, "still claimed before its expiry");
      // Poll (not sleep) until the key is free again; it must not be free before expiresAt.
      const deadline = Date.now() + EXPIRY_DEADLINE_MS;
      for (;;) {
        const before = Date.now();
        if (await store.claim(k, inMs(60_000))) {
          assert.ok(
            before >= expiresAt.getTime() - 5,
            `freed ${expiresAt.getTime() - before} ms before its expiry`,
          );
          break;
        }
        assert.ok(Date.now() < deadline, `still claimed ${EXPIRY_DEADLINE_MS} ms after its expiry`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    });

    it("when claims of one key race, exactly one wins", async () => {
      const store = await makeStore();
      const k = key("race");
      const results = await Promise.all(Array.from({ length: 20 }, () => store.claim(k, inMs(60_000))));
      assert.equal(results.filter((won) => won).length, 1);
    });

    it("when it has check(), check() resolves while the store works and claims nothing", async () => {
      const store = await makeStore();
      if (store.check === undefined) return;
      await store.check();
      const k = key("check");
      assert.equal(await store.claim(k, inMs(60_000)), true);
    });
  });
}
