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

const portPattern = /^\d{1,5}$/;
// A DNS name (RFC 1123 labels); hosts are otherwise IP literals.
const hostNamePattern =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * Parses a `--bind` value; throws TypeError naming the problem and the bad value.
 *
 * @example parseBindAddress(":8080") // { kind: "loopback", port: 8080 }
 * @example parseBindAddress("[::1]:9000") // { kind: "address", host: "::1", port: 9000 }
 */
export function parseBindAddress(value: string): BindAddress {
  const shown = JSON.stringify(value);
  if (value.startsWith("[")) {
    const end = value.indexOf("]");
    const host = value.slice(1, end);
    if (end === -1 || value.charAt(end + 1) !== ":") {
      throw new TypeError(`--bind must be HOST:PORT, :PORT or [IPV6]:PORT (got ${shown})`);
    }
    if (!isIPv6(host)) throw new TypeError(`--bind has an invalid IPv6 address (got ${shown})`);
    return { kind: "address", host, port: parsePort(value.slice(end + 2), shown) };
  }
  const colon = value.lastIndexOf(":");
  if (colon === -1) throw new TypeError(`--bind must be HOST:PORT, :PORT or [IPV6]:PORT (got ${shown})`);
  const host = value.slice(0, colon);
  if (host.includes(":")) {
    throw new TypeError(`--bind needs brackets around an IPv6 address, as in [::1]:8080 (got ${shown})`);
  }
  const port = parsePort(value.slice(colon + 1), shown);
  if (host === "") return { kind: "loopback", port };
  if (!isIPv4(host) && !hostNamePattern.test(host)) {
    throw new TypeError(`--bind has an invalid host: not an IPv4 address or host name (got ${shown})`);
  }
  return { kind: "address", host, port };
}

function parsePort(text: string, shown: string): number {
  const port = portPattern.test(text) ? Number(text) : Number.NaN;
  if (!(port >= 0 && port <= 65535)) {
    throw new TypeError(`--bind port must be a number from 0 to 65535 (got ${shown})`);
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
