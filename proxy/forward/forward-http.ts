import type { IncomingMessage, ServerResponse } from "node:http";
import { ProxyError } from "../common/errors.js";
import type { ProxyLogger } from "../common/log.js";
import { copyForwardedRequestHeaders, listenForErrors, sendProxyError } from "../http/http-messages.js";
import { hasRequestBody, NO_REQUEST_BODY, readRequestBody, type RequestBody } from "../http/request-body.js";
import { parseAbsoluteTarget, type ForwardTarget } from "../http/request-target.js";
import { answerHttp, answerHttpFailure, KEEP_HEAD } from "../signin/client-answer.js";
import type { AppExchange } from "../signin/exchange.js";
import { classifyRequestSite, isOriginOfHost } from "../signin/request-site.js";

export interface HttpForwarderOptions {
  /** The one exchange every mode goes through (session, sign-in policy, replay, redirect). */
  readonly exchange: AppExchange;
  /** Request bodies up to this size are kept for the replay after a sign-in; bigger ones get the redirect flow. */
  readonly maxReplayBodyBytes: number;
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
        sendProxyError(res, error);
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
 * Forwards requests to apps (plain HTTP, or HTTPS inside an intercepted tunnel): reads the body
 * (kept whole up to `maxReplayBodyBytes`, so the request can be replayed after a sign-in), tells
 * whose request it is (see classifyRequestSite), and hands it to the one exchange, which adds the
 * session, sends it and carries out the sign-in policy; the client gets the outcome with the
 * app's fields as they came (hop-by-hop ones removed) and the body streamed.
 *
 * @example const forward = createHttpForwarder({ exchange, maxReplayBodyBytes: 1 << 20, logger })
 */
export function createHttpForwarder(options: HttpForwarderOptions): ForwardHandler {
  const { exchange, logger } = options;

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
    const outcome = await exchange({
      target,
      method,
      headers: copyForwardedRequestHeaders(req.headers, target.host),
      clientCookie: req.headers.cookie,
      site: classifyRequestSite(method, req.headers, isOriginOfHost(target.hostname)),
      body,
      authHost: target.host,
      // The request to the app is destroyed if the client goes away first.
      client: res,
    });
    answerHttp(res, outcome, KEEP_HEAD);
  }

  return (req, res, target) => {
    listenForErrors(req, res);
    forward(req, res, target).catch((error: unknown) =>
      answerHttpFailure(res, error, { logger, event: "forward", target }),
    );
  };
}
