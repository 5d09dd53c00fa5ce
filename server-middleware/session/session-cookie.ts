import cookieSession from "cookie-session";
import type { RequestHandler, Response } from "express";
import type { ResolvedIamAuthOptions } from "../options/options.js";

type CookieSettings = Pick<ResolvedIamAuthOptions, "cookieName" | "sessionSecrets" | "sessionMaxAgeSeconds">;

/**
 * The cookie-session middleware with the secure settings: HttpOnly, SameSite=Lax (the cookie
 * still comes along on the top-level redirect back from /auth), signed with `sessionSecrets`
 * (the first signs, all verify, for rotation), and Secure whenever the request came over
 * https as Express sees it (`req.secure`, which honours the app's `trust proxy` setting, so an
 * app behind a TLS-terminating proxy gets Secure cookies once it trusts that proxy).
 * It alone signs, verifies and writes session cookies.
 */
export function createCookieSession(settings: CookieSettings): RequestHandler {
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
  return (req, res, next) => {
    session(req, res, (error?: unknown) => {
      if (error !== undefined) {
        next(error);
        return;
      }
      // Read when the cookie is written (after the route ran), per request. Path: the mount
      // (`/admin` under app.use("/admin", …)), so browsers send the session only there.
      req.sessionOptions.secure = req.secure;
      req.sessionOptions.path = req.baseUrl === "" ? "/" : req.baseUrl;
      next();
    });
  };
}

/** The session cookie's two values, as sent. */
export interface SessionCookiePair {
  /** `<cookieName>`: base64 JSON of the session. */
  readonly value: string;
  /** `<cookieName>.sig`: keygrip's HMAC of `<cookieName>=<value>`. */
  readonly signature: string;
}

/**
 * Reads `<cookieName>` and `<cookieName>.sig` from a Cookie header exactly as the `cookies`
 * package under cookie-session does (same pattern, first occurrence, one pair of double
 * quotes removed), so a pair it finds is the very pair cookie-session verifies on the same
 * header. Undefined when either is missing or empty: cookie-session has no session then either.
 */
export function createSessionCookieReader(
  cookieName: string,
): (header: string | undefined) => SessionCookiePair | undefined {
  const valuePattern = cookiePattern(cookieName);
  const signaturePattern = cookiePattern(`${cookieName}.sig`);
  return (header) => {
    if (header === undefined || header === "") return undefined;
    const value = readCookie(header, valuePattern);
    if (value === "") return undefined;
    const signature = readCookie(header, signaturePattern);
    if (signature === "") return undefined;
    return { value, signature };
  };
}

/** Whether the header names the cookie at all (a cookie that does not verify must be cleared). */
export function hasCookie(header: string | undefined, name: string): boolean {
  if (header === undefined) return false;
  return header.split(";").some((pair) => pair.trimStart().startsWith(`${name}=`));
}

/**
 * Whether the response already sets `<cookieName>.sig`. When a cookie verifies with a secret
 * other than the first, `cookies` re-signs it with the first while reading it: such a cookie
 * is left to cookie-session on every request, so each keeps getting the new signature until
 * the browser sends it back.
 */
export function setsSignatureCookie(res: Response, cookieName: string): boolean {
  const fields = res.getHeader("Set-Cookie");
  const list = Array.isArray(fields) ? fields : typeof fields === "string" ? [fields] : [];
  return list.some((field) => field.startsWith(`${cookieName}.sig=`));
}

/**
 * One cookie's value from a Cookie header, read as the `cookies` package reads it (first
 * occurrence, one pair of double quotes removed); "" when it is not there.
 */
export function readCookieValue(header: string | undefined, name: string): string {
  if (header === undefined || header === "") return "";
  return readCookie(header, cookiePattern(name));
}

/** The `cookies` package's pattern for one cookie in a Cookie header. */
function cookiePattern(name: string): RegExp {
  return new RegExp(`(?:^|;) *${name.replace(/[\^$\\.*+?()[\]{}|]/g, "\\$&")}=([^;]*)`);
}

function readCookie(header: string, pattern: RegExp): string {
  const raw = pattern.exec(header)?.[1] ?? "";
  return raw.startsWith('"') ? raw.slice(1, -1) : raw;
}
