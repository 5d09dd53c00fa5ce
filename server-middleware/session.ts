import cookieSession from "cookie-session";
import type { Request, RequestHandler } from "express";
import { parseArn } from "../protocol/index.js";
import type { IamIdentity } from "./identity.js";
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
 * (the first signs, all verify, for rotation). Secure is set automatically on HTTPS requests.
 */
export function createCookieSession(settings: SessionSettings): RequestHandler {
  return cookieSession({
    name: settings.cookieName,
    keys: [...settings.sessionSecrets],
    httpOnly: true,
    sameSite: "lax",
    path: "/",
    signed: true,
    overwrite: true,
    maxAge: settings.sessionMaxAgeSeconds * 1000,
  });
}

/** What a request's session cookie amounts to. */
export type SessionState =
  | { readonly kind: "none" }
  | { readonly kind: "valid"; readonly identity: IamIdentity }
  | { readonly kind: "rejected"; readonly reason: string };

type LoaderSettings = Pick<
  ResolvedIamAuthOptions,
  "cookieName" | "sessionMaxAgeSeconds" | "accountId" | "clock"
>;

/**
 * Sets `req.iamIdentity` when the request's session is valid. A forged, unreadable or
 * expired cookie is simply "no session": it is logged, cleared, and the request goes on
 * unauthenticated (to the challenge, unless the path is public).
 */
export function createIdentityLoader(settings: LoaderSettings, log: EventLogger): RequestHandler {
  return (req, _res, next) => {
    req.iamIdentity = undefined;
    const state = readSessionState(req, settings, settings.clock());
    if (state.kind === "valid") {
      req.iamIdentity = state.identity;
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
 * hand, does not outlive `sessionMaxAgeSeconds`.
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
  if (stored === undefined || stored.account !== settings.accountId) {
    return { kind: "rejected", reason: "the session cookie does not hold a session of this app" };
  }
  const age = now.getTime() - stored.issuedAt;
  if (age >= settings.sessionMaxAgeSeconds * 1000) return { kind: "rejected", reason: "the session expired" };
  if (age < -CLOCK_SKEW_MS) return { kind: "rejected", reason: "the session was issued in the future" };
  return {
    kind: "valid",
    identity: Object.freeze({ arn: stored.arn, account: stored.account, userId: stored.userId }),
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
