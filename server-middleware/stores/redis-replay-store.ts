import type { ReplayStore } from "./replay-store.js";
import type { RedisCommands, RedisPing } from "./redis-commands.js";
import { DEFAULT_KEY_PREFIX, storeKey } from "./store-key.js";

/** Options of `new RedisReplayStore()`. */
export interface RedisReplayStoreOptions {
  /** A connected node-redis client (or Cluster). Usually made by `createRedisStores`. Required. */
  readonly client: RedisCommands & Partial<RedisPing>;
  /** Put before every key, so one Redis can serve several apps or programs. Default `"iam-auth:"`. */
  readonly keyPrefix?: string;
  /** The current time, to turn `expiresAt` into a lifetime. Default `() => new Date()`. */
  readonly clock?: () => Date;
}

/**
 * A ReplayStore in Redis, shared by every instance that uses the same Redis and key prefix: a
 * proof used at one instance is refused at all. A claim is one atomic command,
 * `SET <prefix>replay:<sha256(key)> 1 NX PX <ms until expiresAt>`: Redis runs commands one at a
 * time, so of two concurrent claims exactly one sets the key. The lifetime is sent relative
 * (PX, from this instance's clock, the one that judged the proof's expiry) rather than absolute
 * (PXAT), so a Redis clock that runs fast cannot drop a key early.
 *
 * When Redis fails (unreachable, timeout, an error reply) `claim` rejects, and the sign-in is
 * refused with 503 REPLAY_STORE_UNAVAILABLE: it never answers "not used" without Redis's word.
 *
 * @example const store = new RedisReplayStore({ client, keyPrefix: "reports:" })
 */
export class RedisReplayStore implements ReplayStore {
  readonly #client: RedisCommands & Partial<RedisPing>;
  readonly #keyPrefix: string;
  readonly #clock: () => Date;

  constructor(options: RedisReplayStoreOptions) {
    this.#client = options.client;
    this.#keyPrefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    this.#clock = options.clock ?? (() => new Date());
  }

  async claim(key: string, expiresAt: Date): Promise<boolean> {
    const lifetimeMs = expiresAt.getTime() - this.#clock().getTime();
    // Nothing to remember for a key that is already dead (the memory store does the same).
    if (!(lifetimeMs > 0)) return true;
    const reply = await this.#client.set(storeKey(this.#keyPrefix, "replay", key), "1", {
      condition: "NX",
      expiration: { type: "PX", value: Math.ceil(lifetimeMs) },
    });
    // "OK": this caller set it; null: it was there. Anything else is not an answer to trust.
    if (reply === "OK") return true;
    if (reply === null) return false;
    throw new Error(`Redis answered SET NX with ${typeof reply}, not OK or nil`);
  }

  /** Rejects unless Redis answers PING now. */
  async check(): Promise<void> {
    await this.#client.ping?.();
  }
}
