import { isIP, isIPv4, isIPv6 } from "node:net";

/**
 * One `--host` pattern: the apps the proxy signs in to over HTTPS (their CONNECTs are intercepted).
 * - `exact`: one host, a DNS name or an IP literal.
 * - `subdomains`: `*.corp.example.com`, any name with one or more labels in front of the domain
 *   (`a.corp.example.com`, `a.b.corp.example.com`), but never `corp.example.com` itself. This is
 *   the convention of proxy bypass lists and PAC `shExpMatch`; unlike a TLS wildcard certificate it
 *   is not limited to one label, which is safe here because every host gets its own certificate.
 */
export interface HostPattern {
  readonly kind: "exact" | "subdomains";
  /**
   * Lower case, without a trailing dot; IPv6 without brackets, in canonical form (`::1`).
   * For `subdomains`, the domain after `*.`.
   */
  readonly host: string;
  /** The only port that matches; `undefined` matches any port. */
  readonly port: number | undefined;
}

// RFC 1123 labels (letters, digits, hyphens; no hyphen at either end; at most 63 characters).
const label = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
const dnsName = new RegExp(`^(?=.{1,253}$)${label}(?:\\.${label})*$`);
const portText = /^\d{1,5}$/;
const example = "as in app.example.com, *.corp.example.com or 10.0.0.5:8443";

/**
 * Reads one host pattern (`--host`). Case is ignored and a trailing dot is dropped; a port
 * restricts the pattern to that port. Throws a TypeError that says what is wrong and shows the
 * value, for the caller to put after what it read the value from (`--host takes a host, not a URL …`).
 *
 * @example parseHostPattern("*.Corp.Example.com") // { kind: "subdomains", host: "corp.example.com", port: undefined }
 * @example parseHostPattern("[::1]:8443") // { kind: "exact", host: "::1", port: 8443 }
 * @example parseHostPattern("*") // throws TypeError "* alone would intercept every HTTPS site; … (got \"*\")"
 */
export function parseHostPattern(text: string): HostPattern {
  const shown = JSON.stringify(text);
  const fail = (problem: string): TypeError => new TypeError(`${problem} (got ${shown})`);
  if (text === "") throw fail(`must name a host, ${example}`);
  if (/\s/.test(text)) throw fail("must not contain spaces");
  if (text.includes("://")) throw fail("takes a host, not a URL: leave out the scheme");
  if (/[/?#]/.test(text)) throw fail("takes a host, not a URL: leave out the path");

  const { host: rawHost, port: rawPort } = splitPort(text, fail);
  const port = rawPort === undefined ? undefined : parsePort(rawPort, fail);
  if (rawHost.startsWith("[")) {
    const address = rawHost.slice(1, -1);
    const canonical = canonicalIPv6(address);
    if (canonical === undefined) throw fail("has an invalid IPv6 address");
    return { kind: "exact", host: canonical, port };
  }

  const host = stripTrailingDot(rawHost.toLowerCase());
  if (host === "*") {
    throw fail("* alone would intercept every HTTPS site; name the apps' domain, as in *.corp.example.com");
  }
  if (host.includes("*")) {
    if (!host.startsWith("*.") || host.slice(2).includes("*")) {
      throw fail("may only use * as the whole first label, as in *.corp.example.com");
    }
    const domain = host.slice(2);
    if (!isDnsName(domain)) throw fail('has an invalid domain name after "*."');
    // No public-suffix list: this refuses `*.com`, not `*.co.uk`.
    if (!domain.includes(".")) {
      throw fail("needs a domain of at least two labels after *., as in *.corp.example.com");
    }
    return { kind: "subdomains", host: domain, port };
  }
  if (isIPv4(host)) return { kind: "exact", host, port };
  if (/^[\d.]+$/.test(host)) throw fail("has an invalid IPv4 address");
  if (!isDnsName(host)) throw fail(`has an invalid host name, expected a host ${example}`);
  return { kind: "exact", host, port };
}

/**
 * Why `value` is not a HostPattern as parseHostPattern returns them, or undefined when it is:
 * for options that take parsed patterns and must not trust a caller's object blindly.
 *
 * @example describeHostPatternProblem({ kind: "exact", host: "App.example.com", port: undefined }) // "must be a HostPattern such as …"
 */
export function describeHostPatternProblem(value: unknown): string | undefined {
  const pattern = (typeof value === "object" && value !== null ? value : {}) as Record<string, unknown>;
  const { kind, host, port } = pattern;
  const portOk =
    port === undefined || (typeof port === "number" && Number.isInteger(port) && port >= 1 && port <= 65535);
  // Patterns are compared with normalised hosts, so a host in another form would never match.
  const hostOk =
    typeof host === "string" &&
    host === normaliseHost(host) &&
    (kind === "exact"
      ? isCertifiableHost(host)
      : kind === "subdomains" && isDnsName(host) && host.includes("."));
  if (portOk && hostOk) return undefined;
  return `must be a HostPattern such as parseHostPattern("*.corp.example.com") returns (got ${JSON.stringify(value) ?? String(value)})`;
}

/**
 * True when `host` (and `port`) is one of the apps a pattern names. `host` may carry IPv6
 * brackets, upper case or a trailing dot; it is compared as `normaliseHost` returns it.
 *
 * @example matchesAnyHost([parseHostPattern("*.corp.example.com")], "App.Corp.Example.com", 443) // true
 * @example matchesAnyHost([parseHostPattern("*.corp.example.com")], "corp.example.com", 443) // false
 */
export function matchesAnyHost(patterns: readonly HostPattern[], host: string, port: number): boolean {
  const name = normaliseHost(host);
  return patterns.some((pattern) => matchesNormalisedHost(pattern, name, port));
}

/** `matchesAnyHost` for one pattern. */
export function matchesHostPattern(pattern: HostPattern, host: string, port: number): boolean {
  return matchesNormalisedHost(pattern, normaliseHost(host), port);
}

/**
 * Formats a pattern the way `parseHostPattern` reads it back, for logs and messages.
 *
 * @example formatHostPattern({ kind: "exact", host: "::1", port: 8443 }) // "[::1]:8443"
 */
export function formatHostPattern(pattern: HostPattern): string {
  const host =
    pattern.kind === "subdomains"
      ? `*.${pattern.host}`
      : isIPv6(pattern.host)
        ? `[${pattern.host}]`
        : pattern.host;
  return pattern.port === undefined ? host : `${host}:${pattern.port}`;
}

/**
 * The form hosts are compared in: lower case, no trailing dot, IPv6 without brackets and in
 * canonical form (so `[0:0::1]` and `::1` are the same host).
 *
 * @example normaliseHost("[0:0::1]") // "::1"
 * @example normaliseHost("App.Example.com.") // "app.example.com"
 */
export function normaliseHost(host: string): string {
  const unbracketed = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  const lower = stripTrailingDot(unbracketed.toLowerCase());
  return canonicalIPv6(lower) ?? lower;
}

/**
 * True for a host a certificate can be issued for: an IP literal or a DNS name of RFC 1123
 * labels, in `normaliseHost` form. Underscores and other characters are refused.
 */
export function isCertifiableHost(host: string): boolean {
  return isIP(host) !== 0 ? !host.includes("%") : isDnsName(host);
}

function matchesNormalisedHost(pattern: HostPattern, host: string, port: number): boolean {
  if (pattern.port !== undefined && pattern.port !== port) return false;
  if (pattern.kind === "exact") return host === pattern.host;
  // At least one whole label in front: `.corp.example.com` alone is not a host.
  return host.length > pattern.host.length + 1 && host.endsWith(`.${pattern.host}`);
}

function isDnsName(name: string): boolean {
  // A name whose last label is all digits would be read as an (invalid) IPv4 address by URL parsers.
  return dnsName.test(name) && !/(^|\.)\d+$/.test(name);
}

function splitPort(
  text: string,
  fail: (problem: string) => TypeError,
): { host: string; port: string | undefined } {
  if (text.startsWith("[")) {
    const end = text.indexOf("]");
    if (end === -1) throw fail("has an unclosed [ around an IPv6 address");
    const rest = text.slice(end + 1);
    if (rest !== "" && !rest.startsWith(":")) throw fail("must be [IPV6] or [IPV6]:PORT");
    return { host: text.slice(0, end + 1), port: rest === "" ? undefined : rest.slice(1) };
  }
  const colon = text.indexOf(":");
  if (colon === -1) return { host: text, port: undefined };
  if (text.indexOf(":", colon + 1) !== -1) {
    throw fail("needs brackets around an IPv6 address, as in [::1] or [::1]:8443");
  }
  return { host: text.slice(0, colon), port: text.slice(colon + 1) };
}

function parsePort(text: string, fail: (problem: string) => TypeError): number {
  const port = portText.test(text) ? Number(text) : Number.NaN;
  if (!(port >= 1 && port <= 65535)) throw fail("port must be a number from 1 to 65535");
  return port;
}

function canonicalIPv6(address: string): string | undefined {
  // Zone IDs (fe80::1%eth0) name an interface of one machine; they never appear in URLs or certificates.
  if (!isIPv6(address) || address.includes("%")) return undefined;
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}

function stripTrailingDot(host: string): string {
  return host.endsWith(".") ? host.slice(0, -1) : host;
}
