import type { IncomingMessage, OutgoingHttpHeaders } from "node:http";
import type { Duplex } from "node:stream";
import { ProxyError } from "../common/errors.js";
import type { ProxyLogger } from "../common/log.js";
import { isAllowedLocalHost } from "../http/allowed-local-host.js";
import { formatHostPort } from "../http/bind-address.js";
import { prepareForwardedRequestHeaders } from "../http/http-messages.js";
import type { ForwardTarget } from "../http/request-target.js";
import type { HeadRewriter } from "../signin/client-answer.js";
import type { AppExchange, AppRequest } from "../signin/exchange.js";
import { classifyRequestSite, isLocalOrigin } from "../signin/request-site.js";
import { localOriginMappings, rewriteRequestOrigins } from "./browser-request.js";
import { rewriteLocation, type OriginMapping } from "./location-rewrite.js";
import { rewriteSetCookieForBrowser } from "./set-cookie-rewrite.js";

/** One upstream as its local listener's handlers see it, with what every upstream shares. */
export interface ReverseRoute {
  /** The upstream's origin, e.g. `https://app.internal.example.com`. */
  readonly origin: string;
  /** How the proxy reaches the upstream: the jar keys an https upstream's cookies apart and keeps its Secure ones. */
  readonly scheme: "http" | "https";
  /** The upstream's authority (`host[:port]`, default port left out): the Host field and the STS server-id. */
  readonly host: string;
  /** Host to connect to, without IPv6 brackets. */
  readonly hostname: string;
  readonly port: number;
  /** The one exchange every mode goes through (session, sign-in policy, replay, redirect). */
  readonly exchange: AppExchange;
  readonly maxReplayBodyBytes: number;
  readonly logger: ProxyLogger;
  /** Host names the proxy was told to bind to (served besides localhost and IP literals). */
  readonly boundHostNames: ReadonlySet<string>;
  /** Each upstream origin's local port, filled in as listeners start (for redirects between upstreams). */
  readonly localPorts: ReadonlyMap<string, number>;
  /** Upgraded connections (both ends), torn down on close. */
  readonly openSockets: Set<Duplex>;
}

/** A browser request, ready to send upstream, or why it is refused. */
export type PreparedRequest =
  | { readonly kind: "refused"; readonly error: ProxyError }
  | {
      readonly kind: "ready";
      /** What the exchange sends: Host, Origin and Referer pointed at the upstream, no Cookie (the exchange adds it). */
      readonly request: Omit<AppRequest, "body">;
      /** The local origins of every upstream, for rewriting the response. */
      readonly mappings: readonly OriginMapping[];
    };

/**
 * Checks a browser request and prepares its head for the upstream (in place on `req.headers`,
 * then copied): refuses a Host that is not a local name (DNS rebinding) and a proxy-style
 * request target; points Host, Origin and Referer at the upstream; tells whose request it is
 * (the proxy's local origins are the app's own; see classifyRequestSite). The session the proxy
 * holds is the exchange's business.
 *
 * @example const prepared = prepareUpstreamRequest(req, route); if (prepared.kind === "ready") await route.exchange({ ...prepared.request, body })
 */
export function prepareUpstreamRequest(req: IncomingMessage, route: ReverseRoute): PreparedRequest {
  const listening = formatHostPort(req.socket.localAddress ?? "127.0.0.1", req.socket.localPort ?? 80);
  const path = req.url ?? "";
  // Checked first: a client that takes this for a forward proxy needs to hear that, not about Host.
  if (!path.startsWith("/")) {
    const error = new ProxyError(
      "REQUEST_TARGET_INVALID",
      `This is a reverse proxy for ${route.origin}: open http://${listening}/ directly, without proxy ` +
        `settings (got a request for ${JSON.stringify(path.slice(0, 200))})`,
    );
    return { kind: "refused", error };
  }
  const requestHost = req.headers.host;
  if (!isAllowedLocalHost(requestHost, route.boundHostNames)) {
    const error = new ProxyError(
      "HOST_NOT_ALLOWED",
      `Refusing a request for host ${JSON.stringify((requestHost ?? "").slice(0, 200))}: this proxy for ` +
        `${route.origin} answers only to localhost, *.localhost, IP addresses and the host it is bound to ` +
        "(a web page may be trying to reach it through DNS rebinding)",
    );
    return { kind: "refused", error };
  }
  const localHost = requestHost ?? listening;
  const method = req.method ?? "GET";
  const site = classifyRequestSite(method, req.headers, isLocalOrigin(route.boundHostNames));
  const mappings = localOriginMappings(localHost, route.origin, route.localPorts);
  rewriteRequestOrigins(req.headers, mappings);
  prepareForwardedRequestHeaders(req.headers, route.host);
  const clientCookie = req.headers.cookie;
  const headers: OutgoingHttpHeaders = { ...req.headers };
  delete headers.cookie;
  const target: ForwardTarget = {
    scheme: route.scheme,
    hostname: route.hostname,
    port: route.port,
    host: route.host,
    path,
  };
  // The original's redirect flow on the local origin: the browser brings the token to /auth through the proxy.
  return {
    kind: "ready",
    request: { target, method, headers, clientCookie, site, authHost: localHost },
    mappings,
  };
}

/**
 * The upstream response's header list (rawHeaders form) as the browser gets it: the sign-in's
 * Set-Cookie lines first (if the app's own response sets the same cookie, it is the newer one),
 * every Set-Cookie rewritten for the local origin (see rewriteSetCookieForBrowser) and Location
 * pointed back at the proxy (see rewriteLocation).
 *
 * @example rewriteForBrowser(route, mappings)(["Location", "https://app.example.com/x"], []) // ["Location", "http://localhost:8080/x"]
 */
export function rewriteForBrowser(
  route: Pick<ReverseRoute, "origin" | "hostname">,
  mappings: readonly OriginMapping[],
): HeadRewriter {
  return (rawHeaders, addedSetCookies) => {
    const out: string[] = [];
    const addCookie = (line: string): void => {
      const rewritten = rewriteSetCookieForBrowser(line, route.hostname);
      if (rewritten !== undefined) out.push("Set-Cookie", rewritten);
    };
    for (const line of addedSetCookies) addCookie(line);
    for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
      const name = rawHeaders[i] ?? "";
      const value = rawHeaders[i + 1] ?? "";
      const lower = name.toLowerCase();
      if (lower === "set-cookie") addCookie(value);
      else if (lower === "location") out.push(name, rewriteLocation(value, route.origin, mappings));
      else out.push(name, value);
    }
    return out;
  };
}

/**
 * Logs a browser request that prepareUpstreamRequest refused; the caller answers it.
 *
 * @example if (prepared.kind === "refused") logRefusedRequest(route, prepared.error)
 */
export function logRefusedRequest(route: Pick<ReverseRoute, "host" | "logger">, error: ProxyError): void {
  route.logger.info("reverse-refused", {
    host: route.host,
    code: error.code,
    status: error.status,
    reason: error.message,
  });
}
