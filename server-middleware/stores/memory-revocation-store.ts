import type { RevocationStore } from "./revocation-store.js";

/** Options of `new MemoryRevocationStore()`. */
export interface MemoryRevocationStoreOptions {
  /** The current time, for dropping ids whose session expired. Default `() => new Date()`. */
  readonly clock?: () => Date;
}

/**
 * A RevocationStore in this process's memory: sign-out ends the session in this process only
 * (use `createRedisStores` for several instances). Expired ids are dropped as new ones come in.
 * It holds one entry per sign-out whose session has not yet expired, so its size is bounded
 * by the sign-outs of one session lifetime (at most 7 days); sign-out needs a valid session,
 * so it cannot be filled by anyone who cannot sign in.
 *
 * @example app.use(iamAuth({ …, sessionRevocation: new MemoryRevocationStore() }))
 */
export class MemoryRevocationStore implements RevocationStore {
  readonly #clock: () => Date;
  /** Session id → its expiry in milliseconds since the epoch. */
  readonly #revoked = new Map<string, number>();
  #earliestExpiry = Infinity;

  constructor(options: MemoryRevocationStoreOptions = {}) {
    const clock = options.clock ?? (() => new Date());
    if (typeof clock !== "function") throw new TypeError("MemoryRevocationStore: clock must be a function");
    this.#clock = clock;
  }

  revoke(sessionId: string, expiresAt: Date): Promise<void> {
    const now = this.#clock().getTime();
    this.#sweep(now);
    const expiry = expiresAt.getTime();
    if (expiry > now) {
      this.#revoked.set(sessionId, Math.max(expiry, this.#revoked.get(sessionId) ?? 0));
      this.#earliestExpiry = Math.min(this.#earliestExpiry, expiry);
    }
    return Promise.resolve();
  }

  isRevoked(sessionId: string): Promise<boolean> {
    const expiry = this.#revoked.get(sessionId);
    return Promise.resolve(expiry !== undefined && expiry > this.#clock().getTime());
  }

  /** Always ready. */
  check(): Promise<void> {
    return Promise.resolve();
  }

  #sweep(now: number): void {
    if (now < this.#earliestExpiry) return;
    let earliest = Infinity;
    for (const [id, expiry] of this.#revoked) {
      if (expiry <= now) this.#revoked.delete(id);
      else earliest = Math.min(earliest, expiry);
    }
    this.#earliestExpiry = earliest;
  }
}
