/** How many verified session cookies one `iamAuth()` remembers by default (at most; see below). */
export const DEFAULT_SESSION_CACHE_ENTRIES = 4096;

/**
 * Remembers session cookies whose signature cookie-session (keygrip) has already verified, so
 * that a request carrying the exact same `<name>` value and `<name>.sig` value is not verified
 * again (three HMACs each time). It is keyed by the pair, never by the value alone: a value
 * with any other signature misses and is verified (or refused) as usual, and no signature sent
 * is ever compared with the one remembered for its value (a comparison whose timing could leak
 * that signature). Only successful verifications may be put in, so a forged cookie is never
 * remembered.
 *
 * One cache per middleware instance: its options, secrets included, are frozen at
 * construction, so a pair verified by this instance stays verifiable by it.
 *
 * Bounded to `maxEntries`, least recently used out first, approximately: two generations of
 * `maxEntries / 2` each. A hit in the current one costs one lookup and no write (so hits stay
 * cheap); a hit in the previous one moves the entry to the current one; when the current one
 * is full it becomes the previous one and the oldest generation is dropped whole. What drops
 * out is simply verified again on its next request.
 *
 * @example
 * const cache = new VerifiedSessionCache<StoredSession>(4096);
 * cache.remember(value, signature, stored); // only after cookie-session accepted the cookie
 * cache.find(value, signature); // stored, or undefined
 */
export class VerifiedSessionCache<T> {
  readonly #generationSize: number;
  #current = new Map<string, T>();
  #previous = new Map<string, T>();

  /** `maxEntries`: an even number, at least 2. Default `DEFAULT_SESSION_CACHE_ENTRIES`. */
  constructor(maxEntries: number = DEFAULT_SESSION_CACHE_ENTRIES) {
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 2 || maxEntries % 2 !== 0) {
      throw new TypeError(
        `VerifiedSessionCache: maxEntries must be an even integer of at least 2 (got ${String(maxEntries)})`,
      );
    }
    this.#generationSize = maxEntries / 2;
  }

  /** How many pairs it holds now (never more than `maxEntries`). */
  get size(): number {
    return this.#current.size + this.#previous.size;
  }

  /** What was remembered for exactly this value and signature, or undefined. */
  find(value: string, signature: string): T | undefined {
    const key = keyOf(value, signature);
    const recent = this.#current.get(key);
    if (recent !== undefined) return recent;
    const older = this.#previous.get(key);
    if (older !== undefined) this.#store(key, older);
    return older;
  }

  /** Remembers a pair that was just verified. */
  remember(value: string, signature: string, entry: T): void {
    this.#store(keyOf(value, signature), entry);
  }

  /** Forgets a pair (one that no longer passes the per-request checks). */
  forget(value: string, signature: string): void {
    const key = keyOf(value, signature);
    this.#current.delete(key);
    this.#previous.delete(key);
  }

  #store(key: string, entry: T): void {
    // A key lives in one generation only, so the two sizes add up to at most maxEntries.
    this.#previous.delete(key);
    if (!this.#current.has(key) && this.#current.size >= this.#generationSize) {
      this.#previous = this.#current;
      this.#current = new Map();
    }
    this.#current.set(key, entry);
  }
}

/** The value's length first, so no (value, signature) split of one key is ambiguous. */
function keyOf(value: string, signature: string): string {
  return `${value.length}:${value}${signature}`;
}
