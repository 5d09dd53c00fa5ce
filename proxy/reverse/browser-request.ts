import type { IncomingHttpHeaders } from "node:http";
import type { OriginMapping } from "./location-rewrite.js";

/**
 * Who made the browser send a request, as far as the proxy acts on it:
 * - `same-site`: the person (typed in, a bookmark, the app's own pages, another localhost port;
 *   or a client that is not a browser, such as curl);
 * - `cross-site-navigation`: a link on another site, followed at top level with GET or HEAD;
 * - `cross-site-subrequest`: anything else another site's page made the browser send: a form
 *   post, a fetch, an image, a websocket.
 */
export type RequestSite = "same-site" | "cross-site-navigation" | "cross-site-subrequest";

/**
 * Classifies a browser request (see RequestSite). The proxy adds nothing of the person's to a
 * cross-site subrequest — not the session it holds, not a new sign-in — or any web page could
 * make the browser act through the proxy as the person (cross-site request forgery, websocket
 * hijacking), even against apps whose own cookies are `SameSite`. A cross-site navigation is
 * served like `SameSite=Lax` serves it, but does not update the proxy's own session (a page
 * could otherwise navigate the browser to `/auth` with its own token and swap the session the
 * proxy holds for the attacker's).
 *
 * Reads `Sec-Fetch-Site` and `Sec-Fetch-Mode` (every current browser sends them); without them,
 * an `Origin` that is not local (`isLocalOrigin`). Clients that send neither are `same-site`.
 *
 * @example classifyRequestSite("POST", { "sec-fetch-site": "cross-site", "sec-fetch-mode": "cors" }, isLocal) // "cross-site-subrequest"
 * @example classifyRequestSite("GET", { "sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate" }, isLocal) // "cross-site-navigation"
 */
export function classifyRequestSite(
  method: string,
  headers: IncomingHttpHeaders,
  isLocalOrigin: (origin: string) => boolean,
): RequestSite {
  const site = headers["sec-fetch-site"];
  if (site !== undefined) {
    // same-origin, same-site (another port of localhost) or none (typed in, a bookmark).
    if (site.toLowerCase() !== "cross-site") return "same-site";
  } else {
    const origin = headers.origin;
    if (origin === undefined) return "same-site";
    // "null" is an opaque origin: a sandboxed frame, a data: URL, a redirect across sites.
    if (origin !== "null" && isLocalOrigin(origin)) return "same-site";
  }
  const safe = method === "GET" || method === "HEAD";
  return safe && headers["sec-fetch-mode"]?.toLowerCase() === "navigate"
    ? "cross-site-navigation"
    : "cross-site-subrequest";
}

/**
 * Rewrites `Origin` and `Referer` (in place) that name a local origin of this proxy to the
 * upstream it stands for, so the app sees its own origin where the browser saw localhost: apps
 * that check them against CSRF (Django, Rails, Spring) keep working. Other values are left alone.
 *
 * @example rewriteRequestOrigins(headers, [{ upstream: "https://app.example.com", local: "http://localhost:8080" }])
 * // Origin: http://localhost:8080 → Origin: https://app.example.com
 */
export function rewriteRequestOrigins(
  headers: IncomingHttpHeaders,
  mappings: readonly OriginMapping[],
): void {
  const origin = headers.origin;
  if (origin !== undefined) {
    const mapping = mappings.find((each) => each.local === origin.toLowerCase());
    if (mapping !== undefined) headers.origin = mapping.upstream;
  }
  const referer = headers.referer;
  if (referer !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(referer);
    } catch {
      url = undefined;
    }
    const mapping = url === undefined ? undefined : mappings.find((each) => each.local === url.origin);
    if (url !== undefined && mapping !== undefined) {
      headers.referer = `${mapping.upstream}${url.pathname}${url.search}`;
    }
  }
}

/**
 * The local origin of each upstream as seen from a request that arrived with `host`: the
 * current upstream at exactly that Host, every other one at the same host name on its own port.
 *
 * @example localOriginMappings("localhost:8081", "https://a.example.com", new Map([["https://a.example.com", 8081], ["https://b.example.com", 8082]]))
 * // [{ upstream: "https://a.example.com", local: "http://localhost:8081" }, { upstream: "https://b.example.com", local: "http://localhost:8082" }]
 */
export function localOriginMappings(
  host: string,
  current: string,
  localPorts: ReadonlyMap<string, number>,
): OriginMapping[] {
  let base: URL;
  try {
    base = new URL(`http://${host}/`);
  } catch {
    return [];
  }
  const mappings: OriginMapping[] = [{ upstream: current, local: base.origin }];
  for (const [upstream, port] of localPorts) {
    if (upstream === current) continue;
    const local = new URL(base.href);
    local.port = String(port);
    mappings.push({ upstream, local: local.origin });
  }
  return mappings;
}
