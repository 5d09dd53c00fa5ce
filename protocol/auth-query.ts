import { ProtocolError } from "./errors.js";
import { AUTH_PATH } from "./headers.js";
import { checkReturnUrl } from "./return-url.js";

/** Largest token accepted at /auth: a KMS ciphertext of a 4 KiB plaintext is well under this. */
export const MAX_TOKEN_LENGTH = 8192;

/** The two query parameters of GET /auth. */
export interface AuthQuery {
  /** Base64 token exactly as sent (not yet decoded). */
  readonly token: string;
  /** Same-origin path to go back to; "/" when absent. */
  readonly returnUrl: string;
}

/**
 * Reads `token` and `return_url` from an /auth query string (with or without "?").
 * Each must appear at most once: a repeated parameter is ambiguous, and servers that
 * disagree on which copy wins are how proof-smuggling bugs start.
 *
 * @example readAuthQuery("?token=AQID&return_url=%2Fdocs") // { token: "AQID", returnUrl: "/docs" }
 */
export function readAuthQuery(search: string): AuthQuery {
  const params = new URLSearchParams(search.startsWith("?") ? search.slice(1) : search);
  const tokens = params.getAll("token");
  if (tokens.length === 0 || tokens[0] === "") {
    throw new ProtocolError("TOKEN_MISSING", "The token query parameter is missing");
  }
  if (tokens.length > 1) throw new ProtocolError("TOKEN_REPEATED", "The token query parameter is repeated");
  const token = tokens[0] as string;
  if (token.length > MAX_TOKEN_LENGTH) {
    throw new ProtocolError("TOKEN_TOO_LARGE", `The token is longer than ${MAX_TOKEN_LENGTH} characters`);
  }
  const returnUrls = params.getAll("return_url");
  if (returnUrls.length > 1) {
    throw new ProtocolError("RETURN_URL_REPEATED", "The return_url query parameter is repeated");
  }
  const returnUrl = returnUrls[0] === undefined || returnUrls[0] === "" ? "/" : checkReturnUrl(returnUrls[0]);
  return { token, returnUrl };
}

/**
 * The request target of the hand-over, in the original's form: `<authPath>?return_url=<path>&token=<token>`,
 * both values URL-encoded. `authPath` is the challenge's (checked by findIamChallenge), else `/auth`.
 *
 * @example buildAuthTarget("/admin/auth", "/admin/a?b=1", "AQ+=") // "/admin/auth?return_url=%2Fadmin%2Fa%3Fb%3D1&token=AQ%2B%3D"
 */
export function buildAuthTarget(authPath: string, returnUrl: string, token: string): string {
  return `${authPath}?return_url=${encodeURIComponent(returnUrl)}&token=${encodeURIComponent(token)}`;
}

/**
 * Builds the Location the proxy redirects the client to, in the original's form:
 * `//<host><authPath>?return_url=<path>&token=<base64>` (see buildAuthTarget).
 *
 * @example buildAuthLocation("app:3000", "/a?b=1", "AQ+=") // "//app:3000/auth?return_url=%2Fa%3Fb%3D1&token=AQ%2B%3D"
 */
export function buildAuthLocation(
  host: string,
  returnUrl: string,
  token: string,
  authPath = AUTH_PATH,
): string {
  return `//${host}${buildAuthTarget(authPath, returnUrl, token)}`;
}
