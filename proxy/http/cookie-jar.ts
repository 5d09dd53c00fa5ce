import { domainMatches, parseSetCookie, pathMatches } from "./set-cookie.js";

/** A cookie the proxy keeps for one app. */
export interface StoredCookie {
  readonly name: string;
  readonly value: string;
  readonly path: string;
  /** ms since the epoch; undefined: kept until the proxy stops. */
  readonly expiresAt: number | undefined;
  /** The Set-Cookie line it came from, handed to clients that use a sign-in made for another request. */
  readonly setCookie: string;
  /** Set with the Secure attribute: only ever sent to the https origin that set it. */
  readonly secure: boolean;
}

export interface CookieJarOptions {
  /** How many apps (origins) to remember; the least recently used is forgotten first. Default 100. */
  readonly maxOrigins?: number;
  /** How many cookies to keep per app; the oldest is dropped first. Default 20. */
  readonly maxCookiesPerOrigin?: number;
  /** The current time in ms. Default Date.now. */
  readonly now?: () => number;
}

/**
 * The session cookies the proxy obtained, per app, so clients without a cookie store (curl,
 * scripts) do not cause a new sign-in per request. Follows RFC 6265 where it matters here:
 * Max-Age and Expires, Path, host-only cookies, Secure. Bounded in apps and cookies per app.
 *
 * Origins are scheme, host and port as the proxy addresses the app (see originOf): `host[:port]`
 * for a plain-http app, `https://host[:port]` for an https one. Cookies ignore ports, but two
 * apps on one host must not get each other's sessions through the proxy, and a Secure cookie an
 * https app sets must never travel over plain http. So a Secure cookie is kept only for an https
 * origin (RFC 6265bis: an insecure origin cannot set one), and the plain-http origin of the same
 * host is a different entry.
 */
export class CookieJar {
  private readonly origins = new Map<string, Map<string, StoredCookie>>();
  private readonly changedAt = new Map<string, number>();
  private changes = 0;
  private readonly maxOrigins: number;
  private readonly maxCookiesPerOrigin: number;
  private readonly now: () => number;

  constructor(options: CookieJarOptions = {}) {
    this.maxOrigins = options.maxOrigins ?? 100;
    this.maxCookiesPerOrigin = options.maxCookiesPerOrigin ?? 20;
    this.now = options.now ?? Date.now;
  }

  /**
   * Applies a response's Set-Cookie lines for `origin` (the response to `requestPath`): stores
   * new and changed cookies, deletes expired ones. With `onlyKnownNames` only cookies of names
   * the jar already holds for that origin are touched (keeping a session the app renews or ends
   * in step, without collecting every cookie an app sets). Returns the cookies stored.
   *
   * @example jar.store("app:3000", "/auth", ["iam-auth-session=…; path=/; httponly"])
   * @example jar.store("https://app.example.com", "/auth", ["iam-auth-session=…; path=/; secure; httponly"])
   */
  store(
    origin: string,
    requestPath: string,
    setCookieLines: readonly string[],
    options: { readonly onlyKnownNames?: boolean } = {},
  ): StoredCookie[] {
    const now = this.now();
    const { hostname, secureOrigin } = readOrigin(origin);
    const existing = this.origins.get(origin);
    if (options.onlyKnownNames === true && existing === undefined) return [];
    const knownNames = new Set([...(existing?.values() ?? [])].map((cookie) => cookie.name));
    const cookies = existing ?? new Map<string, StoredCookie>();
    const stored: StoredCookie[] = [];
    let changed = false;
    for (const line of setCookieLines) {
      const parsed = parseSetCookie(line, requestPath, now);
      if (parsed === undefined || (parsed.secure && !secureOrigin)) continue;
      if (parsed.domain !== undefined && !domainMatches(parsed.domain, hostname)) continue;
      if (options.onlyKnownNames === true && !knownNames.has(parsed.name)) continue;
      const key = `${parsed.name};${parsed.path}`;
      changed = cookies.delete(key) || changed;
      if (parsed.expiresAt !== undefined && parsed.expiresAt <= now) continue;
      const cookie: StoredCookie = {
        name: parsed.name,
        value: parsed.value,
        path: parsed.path,
        expiresAt: parsed.expiresAt,
        setCookie: line,
        secure: parsed.secure,
      };
      cookies.set(key, cookie);
      stored.push(cookie);
      changed = true;
      // Map order is insertion order: the first key is the oldest cookie.
      if (cookies.size > this.maxCookiesPerOrigin) cookies.delete(cookies.keys().next().value as string);
    }
    if (changed) {
      this.changedAt.set(origin, ++this.changes);
      this.touch(origin, cookies);
    }
    return stored;
  }

  /** The unexpired cookies for a request to `path` on `origin`, longest path first (RFC 6265 §5.4). */
  cookiesFor(origin: string, path: string): StoredCookie[] {
    const cookies = this.origins.get(origin);
    if (cookies === undefined) return [];
    const now = this.now();
    // On every forwarded request: the scheme prefix says it all, no URL parse needed.
    const secureOrigin = /^https:\/\//i.test(origin);
    const found: StoredCookie[] = [];
    for (const [key, cookie] of cookies) {
      if (cookie.expiresAt !== undefined && cookie.expiresAt <= now) cookies.delete(key);
      else if (pathMatches(cookie.path, path) && (secureOrigin || !cookie.secure)) found.push(cookie);
    }
    this.touch(origin, cookies);
    return found.sort((a, b) => b.path.length - a.path.length);
  }

  /**
   * A number that changes whenever the cookies of `origin` change (0 if they never did):
   * a request sent before a change can use the newer cookies instead of signing in again.
   */
  generation(origin: string): number {
    return this.changedAt.get(origin) ?? 0;
  }

  private touch(origin: string, cookies: Map<string, StoredCookie>): void {
    this.origins.delete(origin);
    if (cookies.size === 0) {
      this.changedAt.delete(origin);
      return;
    }
    this.origins.set(origin, cookies);
    while (this.origins.size > this.maxOrigins) {
      const oldest = this.origins.keys().next().value as string;
      this.origins.delete(oldest);
      this.changedAt.delete(oldest);
    }
  }
}

/** The host name of an origin (`host[:port]` or `http(s)://host[:port]`) and whether it is https. */
function readOrigin(origin: string): { hostname: string; secureOrigin: boolean } {
  const withScheme = /^https?:\/\//i.test(origin) ? origin : `http://${origin}`;
  const url = URL.canParse(withScheme) ? new URL(withScheme) : undefined;
  if (url === undefined) {
    throw new TypeError(
      `CookieJar: origin must be host[:port] or https://host[:port] (got ${JSON.stringify(origin)})`,
    );
  }
  return { hostname: url.hostname.replace(/^\[|\]$/g, ""), secureOrigin: url.protocol === "https:" };
}
