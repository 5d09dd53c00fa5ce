import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import { pipeline } from "node:stream";
import { buildAuthLocation } from "../protocol/index.js";
import { isIamChallenge, type ChallengeAnswerer } from "./challenge-answerer.js";
import type { CookieJar } from "./cookie-jar.js";
import { ProxyError } from "./errors.js";
import { prepareForwardedRequestHeaders, removeHopByHopHeaders, sendPlainText } from "./http-messages.js";
import type { ProxyLogger } from "./log.js";
import { logLogin } from "./login-log.js";
import type { LoginFlow } from "./login-types.js";
import { readRequestBody, type RequestBody } from "./request-body.js";
import { originOf, parseAbsoluteTarget, type ForwardTarget } from "./request-target.js";
import type { SelfLogin } from "./self-login.js";
import { mergeCookieHeader } from "./set-cookie.js";
import { errorCode, logUpstreamFailure, toUpstreamFailure } from "./upstream-connections.js";
import type { UpstreamSender } from "./upstream.js";

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
    req.on("error", () => req.destroy());
    res.on("error", () => res.destroy());
    const requestTarget = req.url ?? "";
    if (requestTarget.startsWith("/")) {
      handleDirect(req, res);
      return;
    }
    let target: ForwardTarget;
    try {
      target = parseAbsoluteTarget(requestTarget);
    } catch (error) {
      if (!(error instanceof ProxyError)) throw error;
      sendPlainText(res, error.status, error.message);
      return;
    }
    forward(req, res, target);
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
    const client = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) client.abort();
    });
    let body: RequestBody;
    try {
      body = await readRequestBody(req, options.maxReplayBodyBytes);
    } catch {
      // The client went away mid-body: there is no one to answer.
      res.destroy();
      return;
    }
    prepareForwardedRequestHeaders(req.headers, target.host);
    const clientCookie = req.headers.cookie;
    const headers: OutgoingHttpHeaders = { ...req.headers };
    delete headers.cookie;
    // A client that sends its own session keeps it; one without (curl, scripts) gets the proxy's.
    const origin = originOf(target);
    const cookie = mergeCookieHeader(clientCookie, jar.cookiesFor(origin, target.path), "fill");
    if (cookie !== undefined) headers.cookie = cookie;
    const jarGeneration = jar.generation(origin);
    const method = req.method ?? "GET";
    try {
      const response = await send({ target, method, path: target.path, headers, body }, client.signal);
      if (!isIamChallenge(response)) {
        relayResponse(response, res, target, []);
      } else if (!options.signsInTo(target)) {
        logger.info("challenge", {
          host: target.host,
          outcome: "passed-through",
          reason: "the app is not named by --host",
        });
        relayResponse(response, res, target, []);
      } else if (options.loginFlow === "proxy" && body.kind === "complete") {
        const result = await selfLogin({
          target,
          method,
          headers,
          clientCookie,
          body,
          challenge: response,
          jarGeneration,
          signal: client.signal,
        });
        if (result.kind === "refused") sendPlainText(res, result.status, result.message);
        else relayResponse(result.response, res, target, result.setCookies);
      } else {
        await redirectToAuth(response, res, target);
      }
    } catch (error) {
      reportFailure(error, res, target, client.signal);
    }
  }

  /** The original's flow: the client goes to /auth with the token itself. */
  async function redirectToAuth(
    response: IncomingMessage,
    res: ServerResponse,
    target: ForwardTarget,
  ): Promise<void> {
    // The app's 401 body is replaced by our answer; read it to the end so the connection can be reused.
    response.resume();
    const decision = await options.answerChallenge(response, { host: target.host, scheme: target.scheme });
    if (decision.action === "pass-through")
      throw new Error("redirectToAuth was given a response that is not an IAM challenge");
    const { identity, method } = decision;
    if (decision.action === "deny") {
      const { error } = decision;
      logLogin(logger, {
        host: target.host,
        identity,
        method,
        outcome: "denied",
        code: error.code,
        reason: error.message,
      });
      sendPlainText(res, error.status, error.message);
      return;
    }
    logLogin(logger, { host: target.host, identity, method, outcome: "redirected" });
    sendPlainText(res, 302, `Signing in to ${target.host} with your AWS identity`, {
      Location: buildAuthLocation(target.host, target.path, decision.token),
    });
  }

  function relayResponse(
    response: IncomingMessage,
    res: ServerResponse,
    target: ForwardTarget,
    addedSetCookies: readonly string[],
  ): void {
    response.on("error", () => res.destroy());
    // Keep the jar in step with the app when it renews or ends a session the jar holds.
    const setCookies = response.headersDistinct["set-cookie"];
    if (setCookies !== undefined) {
      jar.store(originOf(target), target.path, setCookies, { onlyKnownNames: true });
    }
    // The sign-in's cookies first: if the app's own response sets the same cookie, it is the newer one.
    const headers = [
      ...addedSetCookies.flatMap((line) => ["Set-Cookie", line]),
      ...removeHopByHopHeaders(response.rawHeaders),
    ];
    try {
      res.writeHead(response.statusCode ?? 502, response.statusMessage, headers);
    } catch (error) {
      response.destroy();
      sendPlainText(res, 502, `The upstream response could not be relayed: ${(error as Error).message}`);
      return;
    }
    // pipeline tears down both sides if either fails or the client goes away mid-body.
    pipeline(response, res, () => undefined);
  }

  function reportFailure(
    error: unknown,
    res: ServerResponse,
    target: ForwardTarget,
    client: AbortSignal,
  ): void {
    if (client.aborted || res.destroyed || res.writableEnded) return;
    const failure = toUpstreamFailure(error, target);
    if (failure === undefined) {
      // Not a socket, TLS or SOCKS error: a bug. No details to the client; the log says what happened.
      logger.warn("forward", { host: target.host, outcome: "internal-error", reason: String(error) });
      sendPlainText(res, 500, "The proxy failed to handle this request (internal error; see the proxy log)");
      return;
    }
    if (res.headersSent) {
      // The app failed mid-response: all the client can be told is that the body is cut short.
      logger.warn("forward", { host: target.host, outcome: "upstream-aborted", code: errorCode(error) });
      res.destroy();
      return;
    }
    logUpstreamFailure(logger, "forward", target.host, failure);
    sendPlainText(res, failure.status, failure.message);
  }

  return (req, res, target) => {
    req.on("error", () => req.destroy());
    res.on("error", () => res.destroy());
    forward(req, res, target).catch((error: unknown) =>
      reportFailure(error, res, target, new AbortController().signal),
    );
  };
}
