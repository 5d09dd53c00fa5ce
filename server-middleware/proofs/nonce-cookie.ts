import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";
import type { Response } from "express";
import { IamAuthError } from "../errors.js";
import { readCookieValue } from "../session/session-cookie.js";

/*
 * Binds an STS sign-in to the browser that was challenged (login CSRF). The 401 that carries a
 * nonce also sets a cookie derived from it; /auth accepts a proof only together with that
 * cookie. Someone the app allows can presign a proof with a nonce from any 401, but a page on
 * another site that navigates the person's browser to /auth?token=<that proof> cannot make the
 * browser send the cookie of a challenge it never saw, so the browser is not signed in as them.
 *
 * The cookie is HMAC-SHA256(key, nonce), with the key derived by HKDF from each session secret
 * (the first signs, every one verifies). Its first 8 bytes name the cookie, the other 24 are its
 * value: `<cookieName>-nonce-<11 characters>=<32 characters>`. One cookie per challenge, so a
 * browser challenged twice at once (a page and its favicon) keeps both; the nonce itself is never
 * in the cookie. HttpOnly, SameSite=Lax (sent on the top-level navigation to /auth), Secure over
 * https, Path=the auth path as mounted (`/admin/auth` under `app.use("/admin", …)`), and it lives
 * as long as the nonce.
 */

const HKDF_INFO = "iam-auth-proxy nonce-cookie v1";
const HKDF_SALT = "iam-auth-proxy";
const NAME_BYTES = 8;

/** What createNonceCookies needs. */
export interface NonceCookieSettings {
  readonly secrets: readonly string[];
  /** The session cookie's name; nonce cookies are named `<cookieName>-nonce-…`. */
  readonly cookieName: string;
  readonly maxAgeSeconds: number;
}

/** Sets, checks and clears the cookie that ties a nonce to the browser it was issued to. */
export interface NonceCookies {
  /**
   * Adds the nonce's cookie to a challenge; `secure` when the request came over https, `path`
   * the auth path as mounted (the cookie is sent only there).
   */
  set(res: Response, nonce: string, secure: boolean, path: string): void;
  /**
   * Throws IamAuthError NONCE_COOKIE_MISSING (no nonce cookie at all) or NONCE_COOKIE_MISMATCH
   * (none for this nonce, or a forged one) unless `cookieHeader` holds this nonce's cookie.
   */
  check(cookieHeader: string | undefined, nonce: string): void;
  /** Expires the nonce's cookie (after a sign-in that used it, at `path`). */
  clear(res: Response, nonce: string, secure: boolean, path: string): void;
}

/**
 * @example const cookies = createNonceCookies({ secrets, cookieName: "iam-auth-session", maxAgeSeconds: 300 });
 * cookies.set(res, nonce, req.secure, "/auth"); … cookies.check(req.headers.cookie, nonce)
 */
export function createNonceCookies(settings: NonceCookieSettings): NonceCookies {
  const keys = settings.secrets.map((secret) =>
    Buffer.from(hkdfSync("sha256", Buffer.from(secret, "utf8"), HKDF_SALT, HKDF_INFO, 32)),
  );
  const signingKey = keys[0];
  if (signingKey === undefined) throw new TypeError("createNonceCookies: at least one secret is needed");
  const prefix = `${settings.cookieName}-nonce-`;
  const cookieOf = (key: Buffer, nonce: string): { name: string; value: Buffer } => {
    const mac = createHmac("sha256", key).update(nonce, "utf8").digest();
    return {
      name: `${prefix}${mac.subarray(0, NAME_BYTES).toString("base64url")}`,
      value: mac.subarray(NAME_BYTES),
    };
  };
  const options = (secure: boolean, path: string) =>
    ({ httpOnly: true, sameSite: "lax", secure, path }) as const;

  return {
    set(res, nonce, secure, path) {
      const { name, value } = cookieOf(signingKey, nonce);
      res.cookie(name, value.toString("base64url"), {
        ...options(secure, path),
        maxAge: settings.maxAgeSeconds * 1000,
      });
    },
    check(cookieHeader, nonce) {
      for (const key of keys) {
        const { name, value } = cookieOf(key, nonce);
        const sent = readCookieValue(cookieHeader, name);
        if (sent === "") continue;
        const bytes = Buffer.from(sent, "base64url");
        if (bytes.length === value.length && timingSafeEqual(bytes, value)) return;
      }
      const anyNonceCookie = (cookieHeader ?? "")
        .split(";")
        .some((pair) => pair.trimStart().startsWith(prefix));
      if (!anyNonceCookie) {
        throw new IamAuthError(
          "NONCE_COOKIE_MISSING",
          "The sign-in did not come from the browser that was challenged: its nonce cookie is missing",
        );
      }
      throw new IamAuthError(
        "NONCE_COOKIE_MISMATCH",
        "The sign-in did not come from the browser that was challenged: no nonce cookie matches the proof's nonce",
      );
    },
    clear(res, nonce, secure, path) {
      res.clearCookie(cookieOf(signingKey, nonce).name, options(secure, path));
    },
  };
}
