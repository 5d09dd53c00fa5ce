import type { IncomingHttpHeaders } from "node:http";
import { isAllowedLocalHost } from "../http/allowed-local-host.js";

/**
 * Who made the browser send a request, as far as the proxy acts on it:
 * - `same-site`: the person (typed in, a bookmark, the app's own pages; in reverse mode another
 *   localhost port; or a client that is not a browser, such as curl);
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
 * Reads `Sec-Fetch-Site` and `Sec-Fetch-Mode` (every current browser sends them, but only to https
 * and localhost); without them, an `Origin` that is not the app's own (`isOwnOrigin`: in reverse
 * mode the proxy's local origins, in forward mode the app's host). Clients that send neither are
 * `same-site`: a plain-http app's images and scripts that another page loads cannot be told apart.
 *
 * @example classifyRequestSite("POST", { "sec-fetch-site": "cross-site", "sec-fetch-mode": "cors" }, isLocal) // "cross-site-subrequest"
 * @example classifyRequestSite("GET", { "sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate" }, isLocal) // "cross-site-navigation"
 */
export function classifyRequestSite(
  method: string,
  headers: IncomingHttpHeaders,
  isOwnOrigin: (origin: string) => boolean,
): RequestSite {
  const site = headers["sec-fetch-site"];
  if (site !== undefined) {
    // same-origin, same-site (another port of localhost) or none (typed in, a bookmark).
    if (site.toLowerCase() !== "cross-site") return "same-site";
  } else {
    const origin = headers.origin;
    if (origin === undefined) return "same-site";
    // "null" is an opaque origin: a sandboxed frame, a data: URL, a redirect across sites.
    if (origin !== "null" && isOwnOrigin(origin)) return "same-site";
  }
  const safe = method === "GET" || method === "HEAD";
  return safe && headers["sec-fetch-mode"]?.toLowerCase() === "navigate"
    ? "cross-site-navigation"
    : "cross-site-subrequest";
}

/**
 * Forward mode's own origins: the app's pages are on the host the request goes to (any scheme
 * or port). A browser sends Origin with every cross-origin fetch and every POST, but
 * Sec-Fetch-Site (read first) only to https and localhost, so for a plain-http app this is what
 * tells another site's form post or fetch from the app's own.
 *
 * @example isOriginOfHost("app.example.com")("http://app.example.com:8080") // true
 */
export function isOriginOfHost(hostname: string): (origin: string) => boolean {
  const own = hostname.toLowerCase();
  return (origin) => URL.canParse(origin) && new URL(origin).hostname.replace(/^\[|\]$/g, "") === own;
}

/**
 * Reverse mode's own origins: the browser sees every app at the proxy's local addresses
 * (`http://localhost:8080`, another local port for another app), never at the app's own origin.
 *
 * @example isLocalOrigin(new Set())("http://localhost:8081") // true
 */
export function isLocalOrigin(boundHostNames: ReadonlySet<string>): (origin: string) => boolean {
  return (origin) => {
    if (!URL.canParse(origin)) return false;
    const url = new URL(origin);
    return url.protocol === "http:" && isAllowedLocalHost(url.host, boundHostNames);
  };
}
