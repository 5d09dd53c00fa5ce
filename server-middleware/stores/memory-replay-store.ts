import { IamAuthError } from "../errors.js";
import type { ReplayStore } from "./replay-store.js";

/** Options of `new MemoryReplayStore()`. */
export interface MemoryReplayStoreOptions {
  /** How many live keys it holds at most. Default 100_000 (a few MB of memory). */
  readonly maxEntries?: number;
  /** The current time, for dropping expired keys. Default `() => new Date()`. */
  readonly clock?: () => Date;
}

export const DEFAULT_MAX_REPLAY_ENTRIES = 100_000;

/**
 * A ReplayStore in this process's memory: right for a single instance (use a shared store
 * for several). Expired keys are dropped when room is needed.
 *
 * When it is full of keys that are still live it refuses new claims with IamAuthError
 * REPLAY_STORE_FULL (503, "try again") instead of evicting one: an evicted key could be
 * replayed, and an attacker who can fill the store (with proofs that fail later checks) could
 * otherwise flush the key of a proof they captured. Failing closed turns that attack into a
 * temporary denial of sign-ins, which ends as keys expire; existing sessions are unaffected.
 *
 * @example app.use(iamAuth({ …, replayStore: new MemoryReplayStore({ maxEntries: 10_000 }) }))
 */
export class MemoryReplayStore implements ReplayStore {
  readonly #maxEntries: number;
  readonly #clock: () => Date;
  /** Key → expiry in milliseconds since the epoch. */
  readonly #entries = new Map<string, number>();
  /** No entry expires before this, so a sweep before then would find nothing to drop. */
  #earliestExpiry = Infinity;

  constructor(options: MemoryReplayStoreOptions = {}) {
    const maxEntries = options.maxEntries ?? DEFAULT_MAX_REPLAY_ENTRIES;
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
      throw new TypeError(
        `MemoryReplayStore: maxEntries must be a positive integer (got ${String(maxEntries)})`,
      );
    }
    const clock = options.clock ?? (() => new Date());
    if (typeof clock !== "function") throw new TypeError("MemoryReplayStore: clock must be a function");
    this.#maxEntries = maxEntries;
    this.#clock = clock;
  }

  /** How many keys it holds now (live or not yet swept). */
  get size(): number {
    return this.#entries.size;
  }

  claim(key: string, expiresAt: Date): Promise<boolean> {
    // Synchronous between the lookup and the insert, so concurrent claims cannot both win.
    const now = this.#clock().getTime();
    const existing = this.#entries.get(key);
    if (existing !== undefined && existing > now) return Promise.resolve(false);
    if (existing !== undefined) this.#entries.delete(key);
    const expiry = expiresAt.getTime();
    // Nothing to remember for a key that is already dead; the caller's own checks refuse it.
    if (!(expiry > now)) return Promise.resolve(true);
    if (this.#entries.size >= this.#maxEntries) this.#sweep(now);
    if (this.#entries.size >= this.#maxEntries) {
      return Promise.reject(
        new IamAuthError(
          "REPLAY_STORE_FULL",
          "Too many sign-ins are in progress; try again in a few minutes",
        ),
      );
    }
    this.#entries.set(key, expiry);
    this.#earliestExpiry = Math.min(this.#earliestExpiry, expiry);
    return Promise.resolve(true);
  }

  /** Always ready: this process's memory cannot be unreachable (a full store still answers, with 503). */
  check(): Promise<void> {
    return Promise.resolve();
  }

  #sweep(now: number): void {
    if (now < this.#earliestExpiry) return;
    let earliest = Infinity;
    for (const [key, expiry] of this.#entries) {
      if (expiry <= now) this.#entries.delete(key);
      else earliest = Math.min(earliest, expiry);
    }
    this.#earliestExpiry = earliest;
  }
}
