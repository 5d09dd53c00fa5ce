import { isIP } from "node:net";

/**
 * True when a request whose Host header is `host` may be served. A web page can point a DNS name
 * it controls at 127.0.0.1 (DNS rebinding) and then read the proxy's answers as its own origin,
 * signed in as the person; such requests carry the attacker's name in Host. So only names that
 * always mean this machine are served: IP literals (nobody can rebind those), `localhost` and
 * `*.localhost` (RFC 6761: resolved to loopback, never through DNS, by browsers), and the host
 * names the proxy was told to bind to. The port is not checked (ssh -L and friends change it).
 * A request without Host (HTTP/1.0) is served: browsers always send one.
 *
 * @example isAllowedLocalHost("localhost:8080", new Set()) // true
 * @example isAllowedLocalHost("attacker.example:8080", new Set()) // false
 */
export function isAllowedLocalHost(host: string | undefined, boundHostNames: ReadonlySet<string>): boolean {
  if (host === undefined) return true;
  let hostname: string;
  try {
    hostname = new URL(`http://${host}/`).hostname;
  } catch {
    return false;
  }
  if (hostname === "" || /[/?#@\\]/.test(host)) return false;
  const name = hostname.replace(/\.$/, "");
  if (name.startsWith("[") || isIP(name) !== 0) return true;
  return name === "localhost" || name.endsWith(".localhost") || boundHostNames.has(name);
}
