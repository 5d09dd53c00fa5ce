import { isIPv6 } from "node:net";
import { formatHostPort } from "./bind-address.js";
import { ProxyError } from "../common/errors.js";

/** Where a forwarded request goes and how the client addressed it. */
export interface ForwardTarget {
  /** `http` (also when absent) for absolute-form requests; `https` inside an intercepted CONNECT tunnel. */
  readonly scheme?: "http" | "https" | undefined;
  /** Host to connect to, without IPv6 brackets. */
  readonly hostname: string;
  readonly port: number;
  /** `host[:port]` as addressed (normalised, the scheme's default port left out): the Host field and the /auth Location use it. */
  readonly host: string;
  /** Path and query exactly as sent (never re-encoded), always starting with "/". */
  readonly path: string;
}

/** Where a CONNECT tunnel goes; `host` is `host:port`, always with the port. */
export type ConnectTarget = Pick<ForwardTarget, "hostname" | "port" | "host">;

const absoluteForm = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)(.*)$/;
const authorityForm = /^(\[[^\]]*\]|[^:[\]]+):(\d{1,5})$/;
// An authority the URL parser would return unchanged: a lower-case ASCII DNS name whose last label
// starts with a letter (so never an IPv4 number in disguise, like `127.1` or `0x7f.1`), or a
// dotted quad without leading zeros, and a port from 1 to 65535 written without leading zeros
// (80, the default, is left to the parser, which drops it from `host`).
const canonicalAuthority =
  /^(?:(?:[a-z0-9-]+\.)*[a-z][a-z0-9-]*|(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d))(?::(?:[1-9]\d{0,4}))?$/;

/**
 * Reads an absolute-form request target (RFC 9112 §3.2.2), e.g. `http://app:3000/a?b=1`;
 * throws ProxyError REQUEST_TARGET_INVALID naming what is wrong.
 *
 * @example parseAbsoluteTarget("http://App:3000/a//b?c") // { hostname: "app", port: 3000, host: "app:3000", path: "/a//b?c" }
 */
export function parseAbsoluteTarget(requestTarget: string): ForwardTarget {
  // What browsers and curl send to a proxy, parsed without a regular expression per part or a
  // URL object: this runs for every forwarded request.
  if (requestTarget.startsWith("http://")) {
    const fast = parseCanonicalHttpTarget(requestTarget);
    if (fast !== undefined) return fast;
  }
  const match = absoluteForm.exec(requestTarget);
  if (match === null) {
    throw invalid("The request target must be an absolute http:// URL", requestTarget);
  }
  const [, scheme = "", authority = "", rest = ""] = match;
  if (scheme.toLowerCase() === "https") {
    throw invalid(
      "https:// URLs must be tunnelled with CONNECT, not sent to the proxy as requests",
      requestTarget,
    );
  }
  if (scheme.toLowerCase() !== "http") throw invalid("Only http:// URLs can be forwarded", requestTarget);
  // Credentials in the URL would be sent nowhere (HTTP has no userinfo on the wire): refuse rather than drop them.
  if (authority.includes("@"))
    throw invalid("The request target must not contain user credentials", requestTarget);
  const { hostname, port, host } = parseHostAndPort(authority, 80, requestTarget);
  // Port 0 is no port (the URL parser accepts it): the client's mistake, as for CONNECT, not an app the proxy cannot reach.
  if (port === 0) throw invalid("The request target needs a port from 1 to 65535", requestTarget);
  return { scheme: "http", hostname, port, host, path: pathOf(rest) };
}

/** `http://host[:port]…` whose authority is already canonical (see canonicalAuthority), else undefined. */
function parseCanonicalHttpTarget(requestTarget: string): ForwardTarget | undefined {
  const start = "http://".length;
  let end = start;
  while (end < requestTarget.length) {
    const code = requestTarget.charCodeAt(end);
    if (code === 0x2f /* / */ || code === 0x3f /* ? */ || code === 0x23 /* # */) break;
    end += 1;
  }
  const host = requestTarget.slice(start, end);
  // Punycode labels (`xn--`) are left to the URL parser, which checks them.
  if (!canonicalAuthority.test(host) || host.includes("xn--")) return undefined;
  const colon = host.indexOf(":");
  const port = colon === -1 ? 80 : Number(host.slice(colon + 1));
  if (port > 65535 || port === 80) return undefined;
  const hostname = colon === -1 ? host : host.slice(0, colon);
  return { scheme: "http", hostname, port, host, path: pathOf(requestTarget.slice(end)) };
}

/** The path and query as sent, without the fragment (never sent on the wire), starting with "/". */
function pathOf(rest: string): string {
  const hash = rest.indexOf("#");
  const withoutFragment = hash === -1 ? rest : rest.slice(0, hash);
  return withoutFragment.startsWith("/") ? withoutFragment : `/${withoutFragment}`;
}

/**
 * The target of a request inside an intercepted CONNECT tunnel: the tunnel's host and port
 * (never the Host field, which the client could set to anything) with the request's path.
 * `host` drops the scheme's default port, as browsers' Host fields and the app's server-id do.
 *
 * @example tunnelTarget("https", { hostname: "app", port: 443, host: "app:443" }, "/a") // { scheme: "https", hostname: "app", port: 443, host: "app", path: "/a" }
 */
export function tunnelTarget(scheme: "http" | "https", tunnel: ConnectTarget, path: string): ForwardTarget {
  const defaultPort = scheme === "https" ? 443 : 80;
  const bare = isIPv6(tunnel.hostname) ? `[${tunnel.hostname}]` : tunnel.hostname;
  const host = tunnel.port === defaultPort ? bare : tunnel.host;
  return { scheme, hostname: tunnel.hostname, port: tunnel.port, host, path };
}

/**
 * The key the proxy keeps an app's session under (see CookieJar): scheme, host and port. A
 * plain-http app is keyed `host[:port]` (`app:3000`), an https one `https://host[:port]`
 * (`https://app.example.com`), so an https app's Secure cookies never reach its plain-http namesake.
 */
export function originOf(target: Pick<ForwardTarget, "scheme" | "host">): string {
  return target.scheme === "https" ? `https://${target.host}` : target.host;
}

/**
 * Reads a CONNECT request target (authority-form, RFC 9112 §3.2.3): `host:port` or `[v6]:port`;
 * throws ProxyError REQUEST_TARGET_INVALID.
 *
 * @example parseConnectTarget("[::1]:443") // { hostname: "::1", port: 443, host: "[::1]:443" }
 */
export function parseConnectTarget(requestTarget: string): ConnectTarget {
  const match = authorityForm.exec(requestTarget);
  const port = Number(match?.[2]);
  if (match === null || !(port >= 1 && port <= 65535)) {
    throw invalid("CONNECT needs a host:port target with a port from 1 to 65535", requestTarget);
  }
  const { hostname } = parseHostAndPort(requestTarget, port, requestTarget);
  return { hostname, port, host: formatHostPort(hostname, port) };
}

function parseHostAndPort(authority: string, defaultPort: number, requestTarget: string): ConnectTarget {
  let url: URL;
  try {
    url = new URL(`http://${authority}/`);
  } catch {
    throw invalid("The request target has an invalid host or port", requestTarget);
  }
  if (url.hostname === "") throw invalid("The request target has no host", requestTarget);
  const hostname = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  return { hostname, port: url.port === "" ? defaultPort : Number(url.port), host: url.host };
}

/** REQUEST_TARGET_INVALID: `problem (got "<the target, at most 200 characters>")`. */
function invalid(problem: string, requestTarget: string): ProxyError {
  return new ProxyError(
    "REQUEST_TARGET_INVALID",
    `${problem} (got ${JSON.stringify(requestTarget.slice(0, 200))})`,
  );
}
