import type { RedisCommands, RedisPing } from "./redis-commands.js";
import type { RevocationStore } from "./revocation-store.js";
import { DEFAULT_KEY_PREFIX, storeKey } from "./store-key.js";

/** Options of `new RedisRevocationStore()`. */
export interface RedisRevocationStoreOptions {
  /** A connected node-redis client (or Cluster). Usually made by `createRedisStores`. Required. */
  readonly client: RedisCommands & Partial<RedisPing>;
  /** Put before every key. Default `"iam-auth:"`. */
  readonly keyPrefix?: string;
  /** The current time. Default `() => new Date()`. */
  readonly clock?: () => Date;
}

/**
 * A RevocationStore in Redis: `SET <prefix>revoked:<sha256(id)> 1 PX <ms until the session
 * expires>` on sign-out, `EXISTS` on each check. The session id is hashed: a key list must not
 * hand out ids. Rejects whenever Redis does; the caller decides what that means (see
 * `createRevocationCheck`).
 *
 * @example const revocation = new RedisRevocationStore({ client })
 */
export class RedisRevocationStore implements RevocationStore {
  readonly #client: RedisCommands & Partial<RedisPing>;
  readonly #keyPrefix: string;
  readonly #clock: () => Date;

  constructor(options: RedisRevocationStoreOptions) {
    this.#client = options.client;
    this.#keyPrefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    this.#clock = options.clock ?? (() => new Date());
  }

  async revoke(sessionId: string, expiresAt: Date): Promise<void> {
    const lifetimeMs = expiresAt.getTime() - this.#clock().getTime();
    if (!(lifetimeMs > 0)) return;
    await this.#client.set(storeKey(this.#keyPrefix, "revoked", sessionId), "1", {
      expiration: { type: "PX", value: Math.ceil(lifetimeMs) },
    });
  }

  async isRevoked(sessionId: string): Promise<boolean> {
    return (await this.#client.exists(storeKey(this.#keyPrefix, "revoked", sessionId))) > 0;
  }

  async check(): Promise<void> {
    await this.#client.ping?.();
  }
}
