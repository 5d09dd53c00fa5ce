import type { IncomingMessage, OutgoingHttpHeaders } from "node:http";
import type { Duplex } from "node:stream";
import { formatHostPort } from "../http/bind-address.js";
import type { ChallengeAnswerer } from "../signin/challenge-answerer.js";
import type { CookieJar } from "../signin/cookie-jar.js";
import { ProxyError } from "../common/errors.js";
import { prepareForwardedRequestHeaders } from "../http/http-messages.js";
import type { ProxyLogger } from "../common/log.js";
import type { LoginFlow } from "../aws/types.js";
import { originOf, type ForwardTarget } from "../http/request-target.js";
import type { SelfLogin } from "../signin/self-login.js";
import { mergeCookieHeader } from "../http/set-cookie.js";
import { isAllowedLocalHost } from "../http/allowed-local-host.js";
import { classifyRequestSite, type RequestSite } from "../signin/request-site.js";
import { localOriginMappings, rewriteRequestOrigins } from "./browser-request.js";
import { rewriteLocation, type OriginMapping } from "./location-rewrite.js";
import { rewriteSetCookieForBrowser } from "./set-cookie-rewrite.js";
import type { ReverseUpstreamSender } from "./upstream-sender.js";
import type { UpstreamResponse } from "../upstream/upstream-response.js";

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
  readonly sender: ReverseUpstreamSender;
  readonly selfLogin: SelfLogin;
  readonly answerChallenge: ChallengeAnswerer;
  readonly jar: CookieJar;
  readonly loginFlow: LoginFlow;
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
      readonly target: ForwardTarget;
      readonly method: string;
      /** Prepared for the upstream: hop-by-hop fields removed, Host, Origin and Referer rewritten, Cookie merged. */
      readonly headers: OutgoingHttpHeaders;
      /** The browser's own Cookie header. */
      readonly clientCookie: string | undefined;
      readonly jarGeneration: number;
      readonly site: RequestSite;
      /** The Host the browser addressed the proxy with (the /auth redirect goes there). */
      readonly localHost: string;
      readonly mappings: readonly OriginMapping[];
    };

/** A browser request prepareUpstreamRequest found fit to send upstream. */
export type ReadyRequest = Extract<PreparedRequest, { kind: "ready" }>;

/**
 * Checks a browser request and prepares its head for the upstream (in place on `req.headers`,
 * then copied): refuses a Host that is not a local name (DNS rebinding) and a proxy-style
 * request target; points Host, Origin and Referer at the upstream; and adds the session cookies
 * the proxy holds for it when the browser sends none of its own, unless another site's page
 * made the browser send the request (see classifyRequestSite).
 *
 * @example const prepared = prepareUpstreamRequest(req, route); if (prepared.kind === "ready") await route.sender.send(…)
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
  const isLocalOrigin = (origin: string): boolean => {
    try {
      const url = new URL(origin);
      return url.protocol === "http:" && isAllowedLocalHost(url.host, route.boundHostNames);
    } catch {
      return false;
    }
  };
  const site = classifyRequestSite(method, req.headers, isLocalOrigin);
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
  // A browser that sends its own session keeps it; curl and scripts get the proxy's. Another
  // site's page gets neither the proxy's session nor, later, a sign-in.
  const origin = originOf(target);
  const held = site === "cross-site-subrequest" ? [] : route.jar.cookiesFor(origin, path);
  const cookie = mergeCookieHeader(clientCookie, held, "fill");
  if (cookie !== undefined) headers.cookie = cookie;
  return {
    kind: "ready",
    target,
    method,
    headers,
    clientCookie,
    jarGeneration: route.jar.generation(origin),
    site,
    localHost,
    mappings,
  };
}

/**
 * The upstream response's header list (rawHeaders form, hop-by-hop fields already removed) as
 * the browser gets it: the sign-in's Set-Cookie lines first (if the app's own response sets the
 * same cookie, it is the newer one), every Set-Cookie rewritten for the local origin (see
 * rewriteSetCookieForBrowser) and Location pointed back at the proxy (see rewriteLocation).
 *
 * @example rewriteResponseHeaders(["Location", "https://app.example.com/x"], [], route, mappings) // ["Location", "http://localhost:8080/x"]
 */
export function rewriteResponseHeaders(
  rawHeaders: readonly string[],
  addedSetCookies: readonly string[],
  route: Pick<ReverseRoute, "origin" | "hostname">,
  mappings: readonly OriginMapping[],
): string[] {
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
}

/** Keeps the proxy's session in step with the app (renewed, ended), except on a cross-site request (see RequestSite). */
export function updateJarFromResponse(
  route: ReverseRoute,
  prepared: ReadyRequest,
  response: UpstreamResponse,
): void {
  if (prepared.site !== "same-site") return;
  const lines = response.headersDistinct["set-cookie"];
  if (lines !== undefined) {
    route.jar.store(originOf(prepared.target), prepared.target.path, lines, { onlyKnownNames: true });
  }
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
