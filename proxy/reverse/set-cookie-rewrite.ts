import { domainMatches } from "../http/set-cookie.js";

// RFC 6265bis §4.1.3: browsers refuse these names without Secure (and __Host- with a Domain).
const securePrefix = /^__(?:secure|host)-/i;

/**
 * Rewrites one Set-Cookie line from the app for the browser, which reaches it as `http://localhost:…`:
 * - `Domain` is dropped (the cookie becomes host-only on the local host); a cookie whose Domain
 *   does not cover the app's host is dropped entirely (returns undefined), as the browser would
 *   have ignored it coming from the app itself;
 * - `Secure` is dropped, so the cookie is kept and sent over http://localhost (the proxy sends
 *   it on to the app over TLS), and with it `Partitioned` (which needs Secure) and
 *   `SameSite=None` becomes `SameSite=Lax` (browsers refuse `None` without Secure);
 * - except for `__Secure-` and `__Host-` cookies: browsers refuse those without `Secure`, and
 *   Chrome, Firefox and Edge accept Secure cookies from http://localhost (Safari does not).
 * Every other attribute (Path, Expires, Max-Age, HttpOnly, SameSite) is kept as written.
 *
 * @example rewriteSetCookieForBrowser("sid=1; Domain=app.example.com; Secure; HttpOnly", "app.example.com") // "sid=1; HttpOnly"
 */
export function rewriteSetCookieForBrowser(line: string, upstreamHostname: string): string | undefined {
  const [pair = "", ...attributes] = line.split(";");
  const name = pair.slice(0, Math.max(pair.indexOf("="), 0)).trim();
  const keepSecure = securePrefix.test(name);
  const host = upstreamHostname.replace(/^\[|\]$/g, "");
  const kept: string[] = [pair];
  for (const attribute of attributes) {
    const { key, value } = splitAttribute(attribute);
    if (key === "domain") {
      const domain = value.replace(/^\./, "").toLowerCase();
      if (domain !== "" && !domainMatches(domain, host)) return undefined;
    } else if ((key === "secure" || key === "partitioned") && !keepSecure) {
      // dropped
    } else if (key === "samesite" && value.toLowerCase() === "none" && !keepSecure) {
      kept.push(" SameSite=Lax");
    } else {
      kept.push(attribute);
    }
  }
  return kept.join(";");
}

function splitAttribute(attribute: string): { readonly key: string; readonly value: string } {
  const eq = attribute.indexOf("=");
  const key = (eq === -1 ? attribute : attribute.slice(0, eq)).trim().toLowerCase();
  return { key, value: eq === -1 ? "" : attribute.slice(eq + 1).trim() };
}
