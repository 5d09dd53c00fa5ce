import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createClient } from "redis";
import { createRedisStores, type RedisStores } from "../../server-middleware/index.js";
import {
  describeReplayStoreContract,
  describeRevocationStoreContract,
} from "../../server-middleware/testing/index.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";

/*
 * The Redis stores against a real redis-server (Debian's), started here on 127.0.0.1 and a free
 * port: the same contract suites as the memory stores, then what happens when Redis goes away
 * and comes back.
 */

const suite = "redis-stores";
let redisStarted: Promise<TestRedis> | undefined;
const opened: RedisStores[] = [];
const redis = (): Promise<TestRedis> => (redisStarted ??= startRedis(suite));

/** Polls `probe` until it resolves (or the deadline passes): the connection is made in the background. */
async function eventually(what: string, probe: () => Promise<unknown>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await probe();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms: ${String(error)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

async function openStores(keyPrefix = "contract:"): Promise<RedisStores> {
  const lines: string[] = [];
  const stores = createRedisStores({
    url: (await redis()).url,
    keyPrefix,
    logger: (line) => lines.push(line),
  });
  opened.push(stores);
  await eventually("connected", () => stores.replayStore.check());
  return stores;
}

after(async () => {
  await Promise.all(opened.map((stores) => stores.close()));
  await (await redisStarted)?.close();
});

describeReplayStoreContract(
  "RedisReplayStore (real redis-server)",
  async () => (await openStores()).replayStore,
);
describeRevocationStoreContract(
  "RedisRevocationStore (real redis-server)",
  async () => (await openStores()).sessionRevocation,
);

describe("the Redis stores (real redis-server)", () => {
  let server: TestRedis;
  let raw: ReturnType<typeof createClient>;
  before(async () => {
    server = await redis();
    raw = createClient({ url: server.url });
    raw.on("error", () => undefined);
    await raw.connect();
  });
  after(async () => {
    if (raw?.isOpen) await raw.close();
  });

  it("keeps only hashes of keys and session ids under the prefix, each with its lifetime", async () => {
    const stores = await openStores("hashed-test:");
    const expiresAt = new Date(Date.now() + 60_000);
    await stores.replayStore.claim("sts-nonce:the-nonce-itself", expiresAt);
    await stores.sessionRevocation.revoke("the-session-id-itself", expiresAt);
    const keys = (await raw.keys("hashed-test:*")).sort();
    assert.equal(keys.length, 2);
    assert.match(keys[0] ?? "", /^hashed-test:replay:[0-9a-f]{64}$/);
    assert.match(keys[1] ?? "", /^hashed-test:revoked:[0-9a-f]{64}$/);
    for (const key of keys) {
      assert.ok(!key.includes("itself"), `${key} holds no id`);
      const ttl = await raw.pTTL(key);
      assert.ok(ttl > 55_000 && ttl <= 60_000, `${key} lives until the expiry given (pttl ${ttl})`);
    }
  });

  it("when Redis stops, claims and checks reject at once (never 'not used'); when it starts again, they work without a new client", async () => {
    const stores = await openStores("outage-test:");
    const expiresAt = (): Date => new Date(Date.now() + 60_000);
    assert.equal(await stores.replayStore.claim("before", expiresAt()), true);
    await raw.close();
    await server.stop();
    try {
      await eventually("the store noticed", async () => {
        await assert.rejects(stores.replayStore.check());
      });
      const started = Date.now();
      await assert.rejects(stores.replayStore.claim("during", expiresAt()));
      await assert.rejects(stores.sessionRevocation.isRevoked("during"));
      await assert.rejects(stores.sessionRevocation.revoke("during", expiresAt()));
      assert.ok(Date.now() - started < 1000, "failing costs no wait for a reconnection");
    } finally {
      await server.start();
      raw = createClient({ url: server.url });
      raw.on("error", () => undefined);
      await raw.connect();
    }
    await eventually("reconnected", () => stores.replayStore.check());
    // The restarted Redis saved nothing: the point of `--save ""`, and why production needs persistence or replicas.
    assert.equal(await stores.replayStore.claim("after", expiresAt()), true);
    assert.equal(await stores.replayStore.claim("after", expiresAt()), false);
  });
});
