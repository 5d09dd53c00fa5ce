/**
 * Remembers which sessions were signed out, so a copy of a signed-out session cookie stops
 * working everywhere and not only in the browser that signed out. Sessions are named by the
 * random id inside their signed cookie (`StoredSession.sessionId`); an id is kept until the
 * session would have expired anyway, after which the cookie is refused for its age.
 *
 * Several app instances need one shared store (`createRedisStores`); the in-memory one
 * revokes within its own process only.
 *
 * @example
 * const store: RevocationStore = new MemoryRevocationStore();
 * await store.revoke(sessionId, session.expiresAt);
 * await store.isRevoked(sessionId); // true
 */
export interface RevocationStore {
  /** Records `sessionId` as signed out until `expiresAt`. Rejects when the store fails. */
  revoke(sessionId: string, expiresAt: Date): Promise<void>;
  /** Whether `sessionId` was signed out (and has not yet expired). Rejects when the store fails. */
  isRevoked(sessionId: string): Promise<boolean>;
  /** Optional readiness probe, as `ReplayStore.check`: rejects when the store is unusable now. */
  check?(): Promise<void>;
}
