import cookieSession from "cookie-session";
import type { Request, RequestHandler } from "express";
import { parseArn } from "../protocol/index.js";
import { isIdentityAllowed } from "./authorization.js";
import type { IamIdentity, IamSession } from "./identity.js";
import type { EventLogger } from "./log.js";
import type { ResolvedIamAuthOptions } from "./options.js";

/** What the session cookie holds (signed, not encrypted: nothing secret goes in). */
interface StoredSession {
  readonly arn: string;
  readonly account: string;
  readonly userId: string;
  /** When the sign-in happened, in milliseconds since the epoch. */
  readonly issuedAt: number;
}

/** How far in the future `issuedAt` may be, for servers whose clocks disagree a little. */
const CLOCK_SKEW_MS = 60_000;

type SessionSettings = Pick<ResolvedIamAuthOptions, "cookieName" | "sessionSecrets" | "sessionMaxAgeSeconds">;

/**
 * The cookie-session middleware with the secure settings: HttpOnly, SameSite=Lax (the cookie
 * still comes along on the top-level redirect back from /auth), signed with `sessionSecrets`
 * (the first signs, all verify, for rotation), and Secure whenever the request came over
 * https as Express sees it (`req.secure`, which honours the app's `trust proxy` setting, so an
 * app behind a TLS-terminating proxy gets Secure cookies once it trusts that proxy).
 */
export function createCookieSession(settings: SessionSettings): RequestHandler[] {
  const session = cookieSession({
    name: settings.cookieName,
    keys: [...settings.sessionSecrets],
    httpOnly: true,
    sameSite: "lax",
    path: "/",
    signed: true,
    overwrite: true,
    maxAge: settings.sessionMaxAgeSeconds * 1000,
  });
  return [
    session,
    (req, _res, next) => {
      // Read when the cookie is written (after the route ran), per request.
      req.sessionOptions.secure = req.secure;
      next();
    },
  ];
}

/** What a request's session cookie amounts to. */
export type SessionState =
  | { readonly kind: "none" }
  | { readonly kind: "valid"; readonly session: IamSession }
  | { readonly kind: "rejected"; readonly reason: string };

type LoaderSettings = Pick<
  ResolvedIamAuthOptions,
  "cookieName" | "sessionMaxAgeSeconds" | "allowedAccounts" | "allowedPrincipals" | "clock"
>;

/**
 * Sets `req.iamIdentity` and `req.iamSession` when the request's session is valid. A forged,
 * unreadable or expired cookie is simply "no session": it is logged, cleared, and the request
 * goes on unauthenticated (to the challenge, unless the path is public).
 */
export function createIdentityLoader(settings: LoaderSettings, log: EventLogger): RequestHandler {
  return (req, _res, next) => {
    req.iamIdentity = undefined;
    req.iamSession = undefined;
    const state = readSessionState(req, settings, settings.clock());
    if (state.kind === "valid") {
      const { arn, account, userId } = state.session;
      req.iamIdentity = Object.freeze({ arn, account, userId });
      req.iamSession = state.session;
    } else if (state.kind === "rejected") {
      log("session", { outcome: "ignored", reason: state.reason, remote: req.ip });
      req.session = null;
    }
    next();
  };
}

/**
 * Reads the session of a request (after cookie-session ran). The lifetime is checked here,
 * on the server, from the signed `issuedAt`: a cookie kept past its expiry, or replayed by
 * hand, does not outlive `sessionMaxAgeSeconds`. The identity is checked against the access
 * rules again, so narrowing `allowedAccounts` or `allowedPrincipals` ends existing sessions too.
 */
export function readSessionState(
  req: Request,
  settings: Omit<LoaderSettings, "clock">,
  now: Date,
): SessionState {
  const session = req.session;
  if (session === null || session === undefined || session.isNew === true) {
    // cookie-session ignores a cookie whose signature does not verify or that does not decode.
    return hasCookie(req, settings.cookieName)
      ? {
          kind: "rejected",
          reason: "the session cookie is forged, unreadable or signed with a retired secret",
        }
      : { kind: "none" };
  }
  const stored = toStoredSession(session);
  if (stored === undefined || !settings.allowedAccounts.includes(stored.account)) {
    return { kind: "rejected", reason: "the session cookie does not hold a session of this app" };
  }
  if (!isIdentityAllowed(stored, settings)) {
    return { kind: "rejected", reason: "the session's identity is no longer allowed to use this app" };
  }
  const maxAgeMs = settings.sessionMaxAgeSeconds * 1000;
  const age = now.getTime() - stored.issuedAt;
  if (age >= maxAgeMs) return { kind: "rejected", reason: "the session expired" };
  if (age < -CLOCK_SKEW_MS) return { kind: "rejected", reason: "the session was issued in the future" };
  return {
    kind: "valid",
    session: Object.freeze({
      arn: stored.arn,
      account: stored.account,
      userId: stored.userId,
      issuedAt: new Date(stored.issuedAt),
      expiresAt: new Date(stored.issuedAt + maxAgeMs),
    }),
  };
}

/** Starts a new session for `identity` (replacing any other, so a session is never carried over). */
export function startSession(req: Request, identity: IamIdentity, now: Date): void {
  const stored: StoredSession = {
    arn: identity.arn,
    account: identity.account,
    userId: identity.userId,
    issuedAt: now.getTime(),
  };
  req.session = { ...stored };
}

function toStoredSession(value: Record<string, unknown>): StoredSession | undefined {
  const { arn, account, userId, issuedAt } = value;
  if (typeof arn !== "string" || typeof account !== "string" || typeof userId !== "string" || userId === "") {
    return undefined;
  }
  if (typeof issuedAt !== "number" || !Number.isFinite(issuedAt)) return undefined;
  try {
    if (parseArn(arn).account !== account) return undefined;
  } catch {
    return undefined;
  }
  return { arn, account, userId, issuedAt };
}

function hasCookie(req: Request, name: string): boolean {
  const header = req.headers.cookie;
  if (header === undefined) return false;
  return header.split(";").some((pair) => pair.trimStart().startsWith(`${name}=`));
}

/** Ends the request's session: the response clears the cookie. */
export function endSession(req: Request): void {
  req.session = null;
}
