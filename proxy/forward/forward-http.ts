import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import { redirectToAuth } from "../signin/auth-redirect.js";
import { sendSignInRefusal } from "../signin/auth-refusal.js";
import { isIamChallenge, type ChallengeAnswerer } from "../signin/challenge-answerer.js";
import type { CookieJar } from "../signin/cookie-jar.js";
import { ProxyError } from "../common/errors.js";
import { classifyRequestSite, type RequestSite } from "../signin/request-site.js";
import {
  copyForwardedRequestHeaders,
  listenForErrors,
  removeHopByHopHeaders,
  sendPlainText,
  writeRelayedHead,
} from "../http/http-messages.js";
import type { ProxyLogger } from "../common/log.js";
import type { LoginFlow } from "../aws/types.js";
import { hasRequestBody, NO_REQUEST_BODY, readRequestBody, type RequestBody } from "../http/request-body.js";
import { originOf, parseAbsoluteTarget, type ForwardTarget } from "../http/request-target.js";
import type { SelfLogin } from "../signin/self-login.js";
import { mergeCookieHeader } from "../http/set-cookie.js";
import { logUpstreamFailure, toUpstreamFailure } from "../upstream/upstream-connections.js";
import { sendUpstreamFailure } from "../upstream/upstream-failure-response.js";
import type { UpstreamSender } from "../upstream/sender.js";
import type { UpstreamResponse } from "../upstream/upstream-response.js";

export interface HttpForwarderOptions {
  /** Sends requests to apps (plain HTTP or HTTPS, directly or through SOCKS). */
  readonly send: UpstreamSender;
  /** Decides what to do with each upstream 401 (answer the IAM challenge or pass it through). */
  readonly answerChallenge: ChallengeAnswerer;
  /** Completes sign-ins on the client's behalf (the `proxy` login flow); shared with websockets. */
  readonly selfLogin: SelfLogin;
  /** Session cookies obtained by signing in, per app. */
  readonly jar: CookieJar;
  /** `proxy`: sign in on the client's behalf; `redirect`: send the client to /auth (the original's flow). */
  readonly loginFlow: LoginFlow;
  /** Request bodies up to this size are kept for the replay after a sign-in; bigger ones get the redirect flow. */
  readonly maxReplayBodyBytes: number;
  /** Whether the proxy signs in to this app (the --host patterns); other apps' challenges pass through untouched. */
  readonly signsInTo: (target: ForwardTarget) => boolean;
  readonly logger: ProxyLogger;
}

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** Forwards one request to the app at `target` and answers the client. */
export type ForwardHandler = (req: IncomingMessage, res: ServerResponse, target: ForwardTarget) => void;

/**
 * The proxy's own request handler: absolute-form requests (`GET http://app:3000/path`, what
 * `curl -x` and browsers send to an HTTP proxy) are forwarded; origin-form ones (`GET /proxy.pac`)
 * address the proxy itself and go to `handleDirect`.
 *
 * @example http.createServer(createProxyRequestHandler(forward, createDirectRequestHandler({ hostPatterns: [] })))
 */
export function createProxyRequestHandler(
  forward: ForwardHandler,
  handleDirect: RequestHandler,
): RequestHandler {
  return (req, res) => {
    const requestTarget = req.url ?? "";
    let target: ForwardTarget | undefined;
    if (!requestTarget.startsWith("/")) {
      try {
        target = parseAbsoluteTarget(requestTarget);
      } catch (error) {
        if (!(error instanceof ProxyError)) throw error;
        listenForErrors(req, res);
        sendPlainText(res, error.status, error.message);
        return;
      }
    }
    // `forward` attaches its own error listeners.
    if (target !== undefined) {
      forward(req, res, target);
    } else {
      listenForErrors(req, res);
      handleDirect(req, res);
    }
  };
}

/**
 * Forwards requests to apps (plain HTTP, or HTTPS inside an intercepted tunnel), adding the
 * session cookies the proxy holds for the app when the client sends none of its own, and relays
 * the response with hop-by-hop fields removed and the body streamed. An IAM challenge (a 401
 * with `WWW-Authenticate: IAM …`) from an app the proxy signs in to is answered instead of
 * relayed: by signing in and replaying the request (see createSelfLogin), or — with the redirect
 * flow, or a request body too big to replay — with a 302 to the app's /auth carrying the token.
 *
 * @example const forward = createHttpForwarder({ send, answerChallenge, selfLogin, jar, loginFlow: "proxy", maxReplayBodyBytes: 1 << 20, signsInTo: () => true, logger })
 */
export function createHttpForwarder(options: HttpForwarderOptions): ForwardHandler {
  const { logger, jar, send, selfLogin } = options;

  async function forward(req: IncomingMessage, res: ServerResponse, target: ForwardTarget): Promise<void> {
    // Only a body can be replayed after a sign-in; a request without one (most GETs) has nothing to read.
    let body: RequestBody = NO_REQUEST_BODY;
    if (hasRequestBody(req)) {
      try {
        body = await readRequestBody(req, options.maxReplayBodyBytes);
      } catch {
        // The client went away mid-body: there is no one to answer.
        res.destroy();
        return;
      }
    }
    const method = req.method ?? "GET";
    const site = classifyRequestSite(method, req.headers, (origin) =>
      isOriginOfHost(origin, target.hostname),
    );
    const clientCookie = req.headers.cookie;
    const headers: OutgoingHttpHeaders = copyForwardedRequestHeaders(req.headers, target.host);
    // A client that sends its own session keeps it; one without (curl, scripts) gets the proxy's.
    // Another site's page gets neither the proxy's session nor, below, a sign-in (see RequestSite).
    const origin = originOf(target);
    const jarCookies = site === "cross-site-subrequest" ? [] : jar.cookiesFor(origin, target.path);
    // Nothing to add (the usual case: the jar is empty, or a browser sends the session itself):
    // the client's Cookie field goes as it came.
    const cookie = jarCookies.every((stored) => sendsCookie(clientCookie, stored.name))
      ? clientCookie || undefined
      : mergeCookieHeader(clientCookie, jarCookies, "fill");
    if (cookie !== undefined) headers.cookie = cookie;
    const jarGeneration = jar.generation(origin);
    try {
      // `client: res`: the request to the app is destroyed if the client goes away first.
      const response = await send({ target, method, path: target.path, headers, body, client: res });
      if (!isIamChallenge(response)) {
        relayResponse(response, res, target, [], site);
      } else if (!options.signsInTo(target)) {
        logger.info("challenge", {
          host: target.host,
          outcome: "passed-through",
          reason: "the app is not named by --host",
        });
        relayResponse(response, res, target, [], site);
      } else if (site === "cross-site-subrequest") {
        logger.info("challenge", {
          host: target.host,
          outcome: "passed-through",
          reason: "another site's page sent this request; the proxy does not sign in for it",
        });
        relayResponse(response, res, target, [], site);
      } else if (options.loginFlow === "proxy" && body.kind === "complete") {
        const result = await selfLogin({
          target,
          method,
          headers,
          clientCookie,
          body,
          challenge: response,
          jarGeneration,
          signal: signalClientGone(res),
        });
        if (result.kind === "refused") sendSignInRefusal(res, result);
        else relayResponse(result.response, res, target, result.setCookies, site);
      } else {
        await redirectToAuth(response, res, target, target.host, options);
      }
    } catch (error) {
      reportFailure(error, res, target);
    }
  }

  function relayResponse(
    response: UpstreamResponse,
    res: ServerResponse,
    target: ForwardTarget,
    addedSetCookies: readonly string[],
    site: RequestSite,
  ): void {
    response.on("error", () => res.destroy());
    // Keep the jar in step with the app when it renews or ends a session the jar holds; not from a
    // response to another site's request (a page could navigate the browser to /auth with its own
    // token and swap the session the proxy holds for the attacker's).
    const setCookies = site === "same-site" ? readSetCookies(response.rawHeaders) : undefined;
    if (setCookies !== undefined) {
      jar.store(originOf(target), target.path, setCookies, { onlyKnownNames: true });
    }
    const kept = removeHopByHopHeaders(response.rawHeaders);
    // The sign-in's cookies first: if the app's own response sets the same cookie, it is the newer one.
    const headers =
      addedSetCookies.length === 0
        ? kept
        : [...addedSetCookies.flatMap((line) => ["Set-Cookie", line]), ...kept];
    if (writeRelayedHead(res, response, headers)) relayBody(response, res);
  }

  function reportFailure(error: unknown, res: ServerResponse, target: ForwardTarget): void {
    // The client went away (the request to the app was destroyed with it): no one to answer.
    if (res.destroyed || res.writableEnded) return;
    sendUpstreamFailure(res, error, toUpstreamFailure(error, target), {
      logger,
      event: "forward",
      host: target.host,
      logFailure: logUpstreamFailure,
    });
  }

  return (req, res, target) => {
    listenForErrors(req, res);
    forward(req, res, target).catch((error: unknown) => reportFailure(error, res, target));
  };
}

/**
 * Streams the app's response body to the client, honouring the client's backpressure. Neither
 * pipeline() (an AbortController per response, and an AbortError with a stack built when it ends:
 * the biggest per-request costs in the forwarding profile) nor pipe() (a dozen listeners added
 * and removed per response); what they would add is done here: a failing app cuts the client's
 * response short (the 'error' listener relayResponse adds), and a client gone mid-body stops the
 * app's response (its connection cannot be reused with a body half read).
 */
function relayBody(response: UpstreamResponse, res: ServerResponse): void {
  const resume = (): void => void response.resume();
  response.on("data", (chunk: Buffer) => {
    if (!res.write(chunk)) {
      response.pause();
      res.once("drain", resume);
    }
  });
  response.once("end", () => res.end());
  response.once("close", () => {
    if (!response.complete) res.destroy();
  });
  res.once("close", () => {
    if (!response.complete) response.destroy();
  });
}

/**
 * Whether a request's Origin is on the host it is sent to (any scheme or port): the app's own
 * pages. A browser sends Origin with every cross-origin fetch and every POST, but Sec-Fetch-Site
 * (which classifyRequestSite reads first) only to https and localhost, so for a plain-http app
 * this is what tells another site's form post or fetch from the app's own.
 */
function isOriginOfHost(origin: string, hostname: string): boolean {
  if (!URL.canParse(origin)) return false;
  return new URL(origin).hostname.replace(/^\[|\]$/g, "") === hostname.toLowerCase();
}

/** Whether a Cookie field value has a cookie named `name` (RFC 6265 §4.2.1: `name=value` pairs joined by "; "). */
function sendsCookie(header: string | undefined, name: string): boolean {
  if (header === undefined) return false;
  const pair = `${name}=`;
  for (let at = header.indexOf(pair); at !== -1; at = header.indexOf(pair, at + 1)) {
    // A whole name, as mergeCookieHeader splits them: at the start of a pair, after the ";" that
    // ends the previous one and any spaces.
    let before = at - 1;
    while (before >= 0 && (header[before] === " " || header[before] === "\t")) before -= 1;
    if (before === -1 || header[before] === ";") return true;
  }
  return false;
}

/** A signal aborted when the client goes away before its response is finished (for a sign-in and replay). */
function signalClientGone(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  if (res.destroyed && !res.writableFinished) controller.abort();
  res.once("close", () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}

/** The Set-Cookie field values of a response, in order, from its rawHeaders; undefined if none. */
function readSetCookies(rawHeaders: readonly string[]): string[] | undefined {
  let lines: string[] | undefined;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] ?? "";
    // The length first: it rules out most names without lower-casing them.
    if (name.length === 10 && name.toLowerCase() === "set-cookie")
      (lines ??= []).push(rawHeaders[i + 1] ?? "");
  }
  return lines;
}
