/** One cookie as a Set-Cookie line sets it (RFC 6265 §5.2), with what the proxy needs of it. */
export interface ParsedCookie {
  readonly name: string;
  readonly value: string;
  /** The Path attribute, or the default path of the request that set it (§5.1.4). */
  readonly path: string;
  /** When it expires, in ms since the epoch (Max-Age wins over Expires); undefined: when the proxy stops. */
  readonly expiresAt: number | undefined;
  /** Only for https (§4.1.2.5). */
  readonly secure: boolean;
  /** The Domain attribute, lower-cased without a leading dot; undefined: host-only. */
  readonly domain: string | undefined;
}

/** Browsers keep at least 4096 bytes per cookie (§6.1); the proxy keeps nothing bigger. */
export const MAX_COOKIE_BYTES = 4096;

/**
 * Parses one Set-Cookie field value as RFC 6265 §5.2 does; undefined for a line a user agent
 * ignores (no `=`, an empty name, longer than MAX_COOKIE_BYTES). Unknown attributes are ignored.
 *
 * @example parseSetCookie("sid=abc; Path=/; Max-Age=60; HttpOnly", "/login", 0)
 * // { name: "sid", value: "abc", path: "/", expiresAt: 60000, secure: false, domain: undefined }
 */
export function parseSetCookie(line: string, requestPath: string, now: number): ParsedCookie | undefined {
  const [pair = "", ...attributes] = line.split(";");
  const eq = pair.indexOf("=");
  const name = eq === -1 ? "" : pair.slice(0, eq).trim();
  const value = pair.slice(eq + 1).trim();
  if (name === "" || name.length + value.length > MAX_COOKIE_BYTES) return undefined;
  let expires: number | undefined;
  let maxAge: number | undefined;
  let path: string | undefined;
  let secure = false;
  let domain: string | undefined;
  for (const attribute of attributes) {
    const split = attribute.indexOf("=");
    const key = (split === -1 ? attribute : attribute.slice(0, split)).trim().toLowerCase();
    const text = split === -1 ? "" : attribute.slice(split + 1).trim();
    if (key === "expires") {
      const time = Date.parse(text);
      if (!Number.isNaN(time)) expires = time;
    } else if (key === "max-age" && /^-?\d+$/.test(text)) {
      maxAge = Number(text);
    } else if (key === "path") {
      path = text.startsWith("/") ? text : undefined;
    } else if (key === "secure") {
      secure = true;
    } else if (key === "domain" && text !== "") {
      domain = text.replace(/^\./, "").toLowerCase();
    }
  }
  // §5.2.2: a Max-Age of zero or less means "expired now".
  const expiresAt = maxAge !== undefined ? (maxAge <= 0 ? now : now + maxAge * 1000) : expires;
  return { name, value, path: path ?? defaultCookiePath(requestPath), expiresAt, secure, domain };
}

/**
 * The default-path of a request path (§5.1.4): up to, not including, its last "/" ("/" when that is the first).
 *
 * @example defaultCookiePath("/docs/page?x=1") // "/docs"
 */
export function defaultCookiePath(requestPath: string): string {
  const path = requestPath.split("?", 1)[0] ?? "";
  if (!path.startsWith("/")) return "/";
  const last = path.lastIndexOf("/");
  return last <= 0 ? "/" : path.slice(0, last);
}

/**
 * True when a cookie with path `cookiePath` is sent with a request for `requestPath` (§5.1.4).
 *
 * @example pathMatches("/docs", "/docs/a") // true; pathMatches("/docs", "/docsx") // false
 */
export function pathMatches(cookiePath: string, requestPath: string): boolean {
  const path = requestPath.split("?", 1)[0] ?? "";
  if (path === cookiePath) return true;
  if (!path.startsWith(cookiePath)) return false;
  return cookiePath.endsWith("/") || path.charAt(cookiePath.length) === "/";
}

/** True when a Domain attribute lets `hostname` set the cookie (§5.3 step 6: the host or a parent of it). */
export function domainMatches(domain: string, hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === domain || host.endsWith(`.${domain}`);
}

/**
 * The Cookie header to send: the client's own cookies plus `cookies` as `name=value` pairs.
 * - `fill`: a cookie is added only if the client sends none of that name (the client keeps its own);
 * - `replace`: the client's cookies of those names are dropped first (after a sign-in, the new session wins).
 * Undefined when there is nothing to send.
 *
 * @example mergeCookieHeader("theme=dark; sid=old", [{ name: "sid", value: "new" }], "replace") // "theme=dark; sid=new"
 */
export function mergeCookieHeader(
  clientHeader: string | undefined,
  cookies: readonly { readonly name: string; readonly value: string }[],
  mode: "fill" | "replace",
): string | undefined {
  const own = (clientHeader ?? "")
    .split(";")
    .map((pair) => pair.trim())
    .filter((pair) => pair !== "");
  const ownNames = new Set(own.map((pair) => pair.split("=", 1)[0]?.trim() ?? ""));
  const added = new Set(cookies.map((cookie) => cookie.name));
  const kept =
    mode === "replace" ? own.filter((pair) => !added.has(pair.split("=", 1)[0]?.trim() ?? "")) : own;
  const extra = cookies
    .filter((cookie) => mode === "replace" || !ownNames.has(cookie.name))
    .map((cookie) => `${cookie.name}=${cookie.value}`);
  const all = [...kept, ...extra];
  return all.length === 0 ? undefined : all.join("; ");
}
