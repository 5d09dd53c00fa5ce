import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import type { RevocationStore } from "../stores/index.js";

/**
 * The behaviour every RevocationStore must have, as a `node:test` suite, like
 * describeReplayStoreContract: real clock, random ids, a shared store is never emptied.
 *
 * @example describeRevocationStoreContract("MyStore", () => new MyRevocationStore(connection));
 */
export function describeRevocationStoreContract(
  name: string,
  makeStore: () => RevocationStore | Promise<RevocationStore>,
): void {
  describe(`RevocationStore contract: ${name}`, () => {
    const inMs = (ms: number): Date => new Date(Date.now() + ms);

    it("answers false for a session never revoked and true once it is", async () => {
      const store = await makeStore();
      const id = randomUUID();
      assert.equal(await store.isRevoked(id), false);
      await store.revoke(id, inMs(60_000));
      assert.equal(await store.isRevoked(id), true);
      assert.equal(await store.isRevoked(randomUUID()), false, "another id stays valid");
    });

    it("forgets a revocation once the session has expired, not before", async () => {
      const store = await makeStore();
      const id = randomUUID();
      const expiresAt = inMs(400);
      await store.revoke(id, expiresAt);
      assert.equal(await store.isRevoked(id), true);
      const deadline = Date.now() + 5000;
      for (;;) {
        const before = Date.now();
        if (!(await store.isRevoked(id))) {
          assert.ok(before >= expiresAt.getTime() - 5, `forgotten ${expiresAt.getTime() - before} ms early`);
          break;
        }
        assert.ok(Date.now() < deadline, "still revoked 5 s after the session expired");
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    });

    it("when it has check(), check() resolves while the store works", async () => {
      const store = await makeStore();
      if (store.check !== undefined) await store.check();
    });
  });
}
