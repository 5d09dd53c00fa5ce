import { isIPv4, isIPv6 } from "node:net";

/**
 * Where the proxy listens.
 * - `loopback`: `:PORT`, both 127.0.0.1 and ::1 on the same port. A proxy that answers with your
 *   AWS identity must not be reachable from the LAN, so a bare port never means "all interfaces".
 * - `address`: `HOST:PORT` or `[IPV6]:PORT`, exactly that address (`0.0.0.0` / `[::]` = all interfaces).
 */
export type BindAddress =
  | { readonly kind: "loopback"; readonly port: number }
  | { readonly kind: "address"; readonly host: string; readonly port: number };

const shape = "must be HOST:PORT, :PORT or [IPV6]:PORT";
const portPattern = /^\d{1,5}$/;
// A DNS name (RFC 1123 labels); hosts are otherwise IP literals.
const hostNamePattern =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * Parses a bind address (`--bind`, the local address of an `--upstream`). Throws a TypeError
 * that says what is wrong with the value and shows it, for the caller to put after what it read
 * the value from (`--bind must be …`, `bind: must be …`).
 *
 * @example parseBindAddress(":8080") // { kind: "loopback", port: 8080 }
 * @example parseBindAddress("[::1]:9000") // { kind: "address", host: "::1", port: 9000 }
 * @example parseBindAddress("8080") // throws TypeError 'must be HOST:PORT, :PORT or [IPV6]:PORT (got "8080")'
 */
export function parseBindAddress(value: string): BindAddress {
  const shown = JSON.stringify(value);
  if (value.startsWith("[")) {
    const end = value.indexOf("]");
    const host = value.slice(1, end);
    if (end === -1 || value.charAt(end + 1) !== ":") throw new TypeError(`${shape} (got ${shown})`);
    if (!isIPv6(host)) throw new TypeError(`has an invalid IPv6 address (got ${shown})`);
    return { kind: "address", host, port: parsePort(value.slice(end + 2), shown) };
  }
  const colon = value.lastIndexOf(":");
  if (colon === -1) throw new TypeError(`${shape} (got ${shown})`);
  const host = value.slice(0, colon);
  if (host.includes(":")) {
    throw new TypeError(`needs brackets around an IPv6 address, as in [::1]:8080 (got ${shown})`);
  }
  const port = parsePort(value.slice(colon + 1), shown);
  if (host === "") return { kind: "loopback", port };
  if (!isHost(host)) {
    throw new TypeError(`has an invalid host: not an IPv4 address or host name (got ${shown})`);
  }
  return { kind: "address", host, port };
}

/**
 * Why `value` is not a BindAddress as parseBindAddress returns them, or undefined when it is:
 * for options that take the parsed value and must not trust a caller's object blindly.
 *
 * @example describeBindAddressProblem({ kind: "loopback", port: 70000 }) // "must be a BindAddress such as parseBindAddress(…) returns (got {…})"
 */
export function describeBindAddressProblem(value: unknown): string | undefined {
  const bind = (typeof value === "object" && value !== null ? value : {}) as Record<string, unknown>;
  const port = bind.port;
  const portOk = typeof port === "number" && Number.isInteger(port) && port >= 0 && port <= 65535;
  const ok =
    portOk &&
    (bind.kind === "loopback" ||
      (bind.kind === "address" && typeof bind.host === "string" && isHost(bind.host)));
  if (ok) return undefined;
  return `must be a BindAddress such as parseBindAddress(":8080") returns (got ${JSON.stringify(value) ?? String(value)})`;
}

/**
 * Formats a bind address the way parseBindAddress reads it, for messages and logs.
 *
 * @example formatBindAddress({ kind: "address", host: "::1", port: 9000 }) // "[::1]:9000"
 */
export function formatBindAddress(bind: BindAddress): string {
  return bind.kind === "loopback" ? `:${bind.port}` : formatHostPort(bind.host, bind.port);
}

function isHost(host: string): boolean {
  return isIPv4(host) || isIPv6(host) || hostNamePattern.test(host);
}

function parsePort(text: string, shown: string): number {
  const port = portPattern.test(text) ? Number(text) : Number.NaN;
  if (!(port >= 0 && port <= 65535)) {
    throw new TypeError(`port must be a number from 0 to 65535 (got ${shown})`);
  }
  return port;
}

/** Formats host and port as a URL authority, bracketing IPv6 literals. */
export function formatHostPort(host: string, port: number): string {
  return isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/** True for addresses only this machine can reach: 127.0.0.0/8, ::1 and IPv4-mapped loopback. */
export function isLoopbackAddress(address: string): boolean {
  if (address === "::1") return true;
  const v4 = address.startsWith("::ffff:") ? address.slice("::ffff:".length) : address;
  return isIPv4(v4) && v4.startsWith("127.");
}
