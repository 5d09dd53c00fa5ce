import type { Request, RequestHandler } from "express";
import { createIdentityCheck } from "./authorization.js";
import type { IamIdentity } from "../identity.js";
import type { EventLogger } from "../operations/log.js";
import type { ResolvedIamAuthOptions } from "../options/options.js";
import {
  checkStoredSession,
  toStoredSession,
  type SessionRules,
  type SessionState,
  type StoredSession,
} from "./session.js";
import { VerifiedSessionCache } from "./session-cache.js";
import type { RevocationCheck } from "../stores/index.js";
import {
  createCookieSession,
  createSessionCookieReader,
  hasCookie,
  setsSignatureCookie,
} from "./session-cookie.js";

type LoaderSettings = Pick<
  ResolvedIamAuthOptions,
  "cookieName" | "sessionSecrets" | "sessionMaxAgeSeconds" | "allowedAccounts" | "allowedPrincipals" | "clock"
>;

/** Options of `createSessionLoader`. */
export interface SessionLoaderOptions {
  /**
   * Whether the request's handler may start or end a session (sign-in, sign-out, a header proof
   * that starts one): cookie-session runs on every such request.
   */
  readonly writesSession: (req: Request) => boolean;
  /** Whether a session was signed out (at any instance sharing the store). Asked for every valid session, cached ones included. */
  readonly revocation: RevocationCheck;
  /** How many verified cookies it remembers. Default `DEFAULT_SESSION_CACHE_ENTRIES`. */
  readonly cacheEntries?: number;
}

/** A verified cookie's session, and the identity every request carrying it shares (frozen). */
interface CachedSession {
  readonly stored: StoredSession;
  readonly identity: IamIdentity;
}

/**
 * Sets `req.iamIdentity` and `req.iamSession` when the request's session is valid. A forged,
 * unreadable or expired cookie is simply "no session": it is logged, cleared, and the request
 * goes on unauthenticated (to the challenge, unless the path is public).
 *
 * cookie-session (keygrip's HMACs, the base64 JSON, the check for changes when the response
 * goes out) runs only where it is needed: on requests that may write the session, and when the cookie pair is not one
 * this loader has already seen cookie-session accept. A remembered pair skips the signature
 * and the decoding, never the per-request checks (lifetime from `issuedAt`, allowedAccounts,
 * allowedPrincipals), and its response sets no cookie. A pair that fails those checks is
 * forgotten and goes through cookie-session, which logs and clears it as before.
 *
 * Every valid session, remembered or not, is then checked against `revocation`: a signed-out
 * session's cookie is cleared and counts as no session. That check answers from memory for
 * up to REVOCATION_CACHE_MS and fails open (see RevocationCheck.isRevoked).
 */
export function createSessionLoader(
  settings: LoaderSettings,
  log: EventLogger,
  options: SessionLoaderOptions,
): RequestHandler {
  const runCookieSession = createCookieSession(settings);
  const readCookiePair = createSessionCookieReader(settings.cookieName);
  // Per instance: a pair verified with this instance's secrets says nothing to another instance.
  const cache = new VerifiedSessionCache<CachedSession>(options.cacheEntries);
  const rules: SessionRules = {
    allowedAccounts: [...settings.allowedAccounts],
    isAllowed: createIdentityCheck(settings),
    sessionMaxAgeSeconds: settings.sessionMaxAgeSeconds,
  };

  return (req, res, next) => {
    const now = settings.clock();
    const pair = readCookiePair(req.headers.cookie);
    const mountPath = req.baseUrl;
    const load = (): void => {
      // Whatever ran before cannot sign anyone in: both are set here, or cleared.
      req.iamIdentity = undefined;
      req.iamSession = undefined;
      runCookieSession(req, res, (error?: unknown) => {
        if (error !== undefined) {
          next(error);
          return;
        }
        const state = readSessionState(req, settings.cookieName, rules, now, mountPath);
        if (state.kind === "rejected") {
          reject(state.reason);
          return;
        }
        if (state.kind === "none") {
          next();
          return;
        }
        void options.revocation.isRevoked(state.stored.sessionId, now).then((revoked) => {
          if (revoked) {
            reject("the session was signed out");
            return;
          }
          const { arn, account, userId } = state.stored;
          const identity: IamIdentity = Object.freeze({ arn, account, userId });
          req.iamIdentity = identity;
          req.iamSession = state.session;
          // A valid session means cookie-session verified exactly this pair (same header, same parsing).
          if (pair !== undefined && !setsSignatureCookie(res, settings.cookieName)) {
            cache.remember(pair.value, pair.signature, { stored: state.stored, identity });
          }
          next();
        });
      });
    };
    const reject = (reason: string): void => {
      log("session", { outcome: "ignored", reason, remote: req.ip });
      req.session = null;
      next();
    };

    if (pair === undefined || options.writesSession(req)) {
      load();
      return;
    }
    const cached = cache.find(pair.value, pair.signature);
    if (cached === undefined) {
      load();
      return;
    }
    const state = checkStoredSession(cached.stored, rules, now, mountPath);
    if (state.kind !== "valid") {
      cache.forget(pair.value, pair.signature);
      load();
      return;
    }
    void options.revocation.isRevoked(cached.stored.sessionId, now).then((revoked) => {
      if (revoked) {
        // cookie-session runs again to clear the cookie; the revocation is now known locally.
        cache.forget(pair.value, pair.signature);
        load();
        return;
      }
      req.iamIdentity = cached.identity;
      req.iamSession = state.session;
      next();
    });
  };
}

/** Reads the session of a request after cookie-session ran, and checks it. */
function readSessionState(
  req: Request,
  cookieName: string,
  rules: SessionRules,
  now: Date,
  mountPath: string,
): SessionState {
  const session = req.session;
  if (session === null || session === undefined || session.isNew === true) {
    // cookie-session ignores a cookie whose signature does not verify or that does not decode.
    return hasCookie(req.headers.cookie, cookieName)
      ? {
          kind: "rejected",
          reason: "the session cookie is forged, unreadable or signed with a retired secret",
        }
      : { kind: "none" };
  }
  const stored = toStoredSession(session);
  if (stored === undefined) {
    return { kind: "rejected", reason: "the session cookie does not hold a session of this app" };
  }
  return checkStoredSession(stored, rules, now, mountPath);
}
