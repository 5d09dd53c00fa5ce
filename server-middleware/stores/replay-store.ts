/**
 * Remembers which one-time proofs were already used, so a token or nonce signs in once.
 * The middleware claims a key only for a proof that AWS vouched for: an STS nonce once STS
 * answered with an identity, a KMS token once KMS decrypted it. Junk never takes room here.
 *
 * Implementations must make `claim` atomic (two concurrent claims of one key: exactly one
 * gets true) and must keep a claimed key until `expiresAt`. A store that cannot keep that
 * promise must throw (the sign-in then fails with 503) rather than answer true: forgetting a
 * live key reopens the replay it was guarding. Several app instances behind one name need
 * one shared store (the in-memory one protects a single process only).
 *
 * @example
 * const store: ReplayStore = new MemoryReplayStore();
 * await store.claim("sts-nonce:abc", new Date(Date.now() + 300_000)); // true
 * await store.claim("sts-nonce:abc", new Date(Date.now() + 300_000)); // false
 */
export interface ReplayStore {
  /**
   * Records `key` as used until `expiresAt`. Resolves true when the key was not in use
   * (this caller may go on), false when it was (a replay). Rejects when the store fails.
   */
  claim(key: string, expiresAt: Date): Promise<boolean>;
  /**
   * Optional readiness probe: resolves when the store can take claims now, rejects (with an
   * Error saying why) when it cannot, e.g. its Redis is unreachable. A `/readyz` endpoint calls
   * it; a store without it counts as always ready. It must not claim or change anything.
   */
  check?(): Promise<void>;
  /** Frees the store's connections at shutdown. Optional. */
  close?(): Promise<void>;
}
