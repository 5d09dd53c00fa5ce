import { randomBytes } from "node:crypto";
import type { Request } from "express";
import { parseArn } from "../../protocol/index.js";
import type { IdentityCheck } from "./authorization.js";
import type { IamIdentity, IamSession } from "../identity.js";

/** What the session cookie holds (signed, not encrypted: nothing secret goes in). */
export interface StoredSession {
  readonly arn: string;
  readonly account: string;
  readonly userId: string;
  /** When the sign-in happened, in milliseconds since the epoch. */
  readonly issuedAt: number;
  /**
   * A random id naming this sign-in (128 bits, base64url), so sign-out can revoke exactly this
   * session everywhere (`RevocationStore`). Not a secret: the cookie's signature is what proves
   * the session; the id only names it. Stored in the cookie as `sid`.
   */
  readonly sessionId: string;
  /**
   * Where the middleware that signed it in is mounted ("" at the root; stored only under a
   * mount, so a root session's cookie is what it always was). It is accepted only there.
   */
  readonly mountPath: string;
}

/** A session id as startSession makes it: 16 random bytes in base64url. */
const sessionIdPattern = /^[A-Za-z0-9_-]{22}$/;

/** How far in the future `issuedAt` may be, for servers whose clocks disagree a little. */
const CLOCK_SKEW_MS = 60_000;

/** What a request's session cookie amounts to. */
export type SessionState =
  | { readonly kind: "none" }
  | { readonly kind: "valid"; readonly stored: StoredSession; readonly session: IamSession }
  | { readonly kind: "rejected"; readonly reason: string };

/** What a session is checked against on every request. */
export interface SessionRules {
  readonly allowedAccounts: readonly string[];
  /** The allowedAccounts / allowedPrincipals check, compiled once (`createIdentityCheck`). */
  readonly isAllowed: IdentityCheck;
  readonly sessionMaxAgeSeconds: number;
}

/**
 * Checks a verified session on this request. The lifetime is checked here, on the server,
 * from the signed `issuedAt`: a cookie kept past its expiry, or replayed by hand, does not
 * outlive `sessionMaxAgeSeconds`. The identity is checked against the access rules again, so
 * narrowing `allowedAccounts` or `allowedPrincipals` ends existing sessions too. A session is
 * accepted only under the mount path it was signed in at (`mountPath`, the request's): its
 * cookie's Path keeps browsers from sending it elsewhere, and this keeps a cookie sent by hand,
 * or by a client that ignores Path, from counting at another mount that shares the cookie name
 * and secrets. Cheap (no signature, no decoding), so it runs on every request, cached cookies included.
 */
export function checkStoredSession(
  stored: StoredSession,
  rules: SessionRules,
  now: Date,
  mountPath: string,
): Exclude<SessionState, { kind: "none" }> {
  if (stored.mountPath !== mountPath) {
    return {
      kind: "rejected",
      reason: `the session was signed in under ${stored.mountPath || "/"}, not ${mountPath || "/"}`,
    };
  }
  if (!rules.allowedAccounts.includes(stored.account)) {
    return { kind: "rejected", reason: "the session cookie does not hold a session of this app" };
  }
  if (!rules.isAllowed(stored)) {
    return { kind: "rejected", reason: "the session's identity is no longer allowed to use this app" };
  }
  const maxAgeMs = rules.sessionMaxAgeSeconds * 1000;
  const age = now.getTime() - stored.issuedAt;
  if (age >= maxAgeMs) return { kind: "rejected", reason: "the session expired" };
  if (age < -CLOCK_SKEW_MS) return { kind: "rejected", reason: "the session was issued in the future" };
  return {
    kind: "valid",
    stored,
    session: Object.freeze({
      arn: stored.arn,
      account: stored.account,
      userId: stored.userId,
      issuedAt: new Date(stored.issuedAt),
      expiresAt: new Date(stored.issuedAt + maxAgeMs),
      sessionId: stored.sessionId,
    }),
  };
}

/**
 * The session in a decoded cookie, or undefined when it is not one of this protocol's:
 * the five fields with their types (and `mountPath`, a string, when there), and an ARN whose
 * account is the session's account. A cookie without `sid` (made before sessions could be
 * revoked) is not one: its sign-out could not be honoured by other instances, so it counts as
 * no session and the caller signs in again (which this project's proxy does by itself).
 */
export function toStoredSession(value: Record<string, unknown>): StoredSession | undefined {
  const { arn, account, userId, issuedAt, sid, mountPath = "" } = value;
  if (typeof sid !== "string" || !sessionIdPattern.test(sid)) return undefined;
  if (typeof arn !== "string" || typeof account !== "string" || typeof userId !== "string" || userId === "") {
    return undefined;
  }
  if (typeof issuedAt !== "number" || !Number.isFinite(issuedAt)) return undefined;
  if (typeof mountPath !== "string") return undefined;
  try {
    if (parseArn(arn).account !== account) return undefined;
  } catch {
    return undefined;
  }
  return { arn, account, userId, issuedAt, sessionId: sid, mountPath };
}

/**
 * Starts a new session for `identity` under `mountPath` (replacing any other, so a session is
 * never carried over). cookie-session must run on this request (the loader runs it where `writesSession` says).
 */
export function startSession(req: Request, identity: IamIdentity, now: Date, mountPath: string): void {
  const stored = {
    arn: identity.arn,
    account: identity.account,
    userId: identity.userId,
    issuedAt: now.getTime(),
    sid: randomBytes(16).toString("base64url"),
    ...(mountPath === "" ? {} : { mountPath }),
  };
  requireCookieSession(req);
  req.session = stored;
}

/** Ends the request's session: the response clears the cookie (cookie-session must run, as above). */
export function endSession(req: Request): void {
  requireCookieSession(req);
  req.session = null;
}

/**
 * Without cookie-session on the request, assigning `req.session` would write no cookie and
 * say nothing: a sign-in that silently fails. Make that mistake loud instead.
 */
function requireCookieSession(req: Request): void {
  if ((req.sessionOptions as object | undefined) === undefined) {
    throw new Error(
      "cookie-session did not run on this request: let the session loader's writesSession include it",
    );
  }
}
