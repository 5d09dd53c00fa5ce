import { performance } from "node:perf_hooks";
import type { EventLogger } from "../operations/log.js";
import type { RevocationStore } from "./revocation-store.js";

/**
 * How long a "not revoked" answer is reused, ms. A sign-out at another instance therefore takes
 * effect here within this long: the price of not asking the shared store on every request. A
 * busy session costs one store round trip per second per instance instead of one per request.
 */
export const REVOCATION_CACHE_MS = 1000;

/** How many "not revoked" answers are kept at most; past that the oldest half is dropped. */
const MAX_CACHED_ANSWERS = 10_000;

/** What the session loader and the sign-out route ask; neither ever rejects. */
export interface RevocationCheck {
  /**
   * Whether the session was signed out. When the store fails it answers false (fail open: the
   * session was issued after a real sign-in and still has its signature, lifetime and access
   * checks) and logs the failure once until the store answers again.
   */
  isRevoked(sessionId: string, now: Date): Promise<boolean>;
  /**
   * Signs the session out: at once in this process, and in the store (everywhere) when it
   * answers. Resolves false when the store failed (logged): other instances then accept the
   * cookie until it expires.
   */
  revoke(sessionId: string, expiresAt: Date, now: Date): Promise<boolean>;
}

/**
 * Puts the local answers in front of a RevocationStore: ids revoked here (known at once, also
 * when the store is down), "not revoked" answers for REVOCATION_CACHE_MS, and one store request
 * at a time per id (concurrent requests of one session share it).
 *
 * @example const check = createRevocationCheck(new MemoryRevocationStore(), log)
 */
export function createRevocationCheck(store: RevocationStore, log: EventLogger): RevocationCheck {
  /** Session id → when the store last said "not revoked" (performance.now(), not the app's clock). */
  let notRevoked = new Map<string, number>();
  /** Session id → expiry (ms since the epoch) of sessions signed out at this instance. */
  const revokedHere = new Map<string, number>();
  const inFlight = new Map<string, Promise<boolean>>();
  let failing = false;

  const reportFailure = (error: unknown): void => {
    if (failing) return;
    failing = true;
    log("session", {
      outcome: "revocation-unchecked",
      reason: `the revocation store failed (${error instanceof Error ? error.message : String(error)}); sessions are accepted without the check until it answers`,
    });
  };
  const reportSuccess = (): void => {
    if (!failing) return;
    failing = false;
    log("session", { outcome: "revocation-checked", reason: "the revocation store answers again" });
  };

  const askStore = (sessionId: string): Promise<boolean> => {
    const pending = inFlight.get(sessionId);
    if (pending !== undefined) return pending;
    const asked = store.isRevoked(sessionId).then(
      (revoked) => {
        reportSuccess();
        if (!revoked) {
          if (notRevoked.size >= MAX_CACHED_ANSWERS)
            notRevoked = new Map([...notRevoked].slice(MAX_CACHED_ANSWERS / 2));
          notRevoked.set(sessionId, performance.now());
        }
        return revoked;
      },
      (error: unknown) => {
        reportFailure(error);
        return false;
      },
    );
    const settled = asked.finally(() => inFlight.delete(sessionId));
    inFlight.set(sessionId, settled);
    return settled;
  };

  return {
    isRevoked(sessionId, now) {
      const expiry = revokedHere.get(sessionId);
      if (expiry !== undefined) {
        if (expiry > now.getTime()) return Promise.resolve(true);
        revokedHere.delete(sessionId);
      }
      const checkedAt = notRevoked.get(sessionId);
      if (checkedAt !== undefined && performance.now() - checkedAt < REVOCATION_CACHE_MS) {
        return Promise.resolve(false);
      }
      return askStore(sessionId);
    },
    async revoke(sessionId, expiresAt, now) {
      for (const [id, until] of revokedHere) if (until <= now.getTime()) revokedHere.delete(id);
      revokedHere.set(sessionId, expiresAt.getTime());
      notRevoked.delete(sessionId);
      try {
        await store.revoke(sessionId, expiresAt);
        reportSuccess();
        return true;
      } catch (error) {
        reportFailure(error);
        return false;
      }
    },
  };
}
