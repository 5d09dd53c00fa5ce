import type { IncomingMessage, ServerResponse } from "node:http";
import { pipeline } from "node:stream";
import { buildAuthLocation } from "../../protocol/index.js";
import { sendSignInRefusal } from "../auth-refusal.js";
import { isIamChallenge } from "../challenge-answerer.js";
import { removeHopByHopHeaders, sendPlainText } from "../http-messages.js";
import { logLogin } from "../login-log.js";
import { readRequestBody, type RequestBody } from "../request-body.js";
import {
  prepareUpstreamRequest,
  rewriteResponseHeaders,
  updateJarFromResponse,
  type PreparedRequest,
  type ReverseRoute,
} from "./reverse-route.js";
import { describeUpstreamFailure } from "./upstream-failure.js";

type Ready = Extract<PreparedRequest, { kind: "ready" }>;

/**
 * Handles the browser's requests to one upstream's local address (`GET /path`, no proxy
 * settings): forwards each to the upstream over TLS with the upstream's Host, and relays the
 * response with Location and Set-Cookie rewritten for the local origin and the body streamed.
 * An IAM challenge is answered as forward mode answers it: the proxy signs in itself and replays
 * the request (createSelfLogin), or — with the redirect flow, or a body too big to replay — sends
 * the browser to the local /auth with the token. A challenge to a request another site's page
 * made passes through unanswered (see classifyRequestSite).
 *
 * @example http.createServer(createReverseRequestHandler(route))
 */
export function createReverseRequestHandler(
  route: ReverseRoute,
): (req: IncomingMessage, res: ServerResponse) => void {
  const { logger } = route;

  async function forward(req: IncomingMessage, res: ServerResponse, prepared: Ready): Promise<void> {
    const client = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) client.abort();
    });
    let body: RequestBody;
    try {
      body = await readRequestBody(req, route.maxReplayBodyBytes);
    } catch {
      // The browser went away mid-body: there is no one to answer.
      res.destroy();
      return;
    }
    const { target, method, headers } = prepared;
    try {
      const response = await route.sender.send(
        { target, method, path: target.path, headers, body },
        client.signal,
      );
      if (!isIamChallenge(response)) {
        relay(response, res, prepared, []);
      } else if (prepared.site === "cross-site-subrequest") {
        logger.info("reverse-challenge", {
          host: target.host,
          outcome: "passed-through",
          reason: "another site's page sent this request; the proxy does not sign in for it",
        });
        relay(response, res, prepared, []);
      } else if (route.loginFlow === "proxy" && body.kind === "complete") {
        const result = await route.selfLogin({
          target,
          method,
          headers,
          clientCookie: prepared.clientCookie,
          body,
          challenge: response,
          jarGeneration: prepared.jarGeneration,
          signal: client.signal,
        });
        if (result.kind === "refused") sendSignInRefusal(res, result);
        else relay(result.response, res, prepared, result.setCookies);
      } else {
        await redirectToAuth(response, res, prepared);
      }
    } catch (error) {
      reportFailure(error, res, prepared, client.signal);
    }
  }

  /** The original's flow, on the local origin: the browser brings the token to /auth through the proxy. */
  async function redirectToAuth(
    response: IncomingMessage,
    res: ServerResponse,
    prepared: Ready,
  ): Promise<void> {
    response.resume();
    const { target } = prepared;
    const decision = await route.answerChallenge(response, { host: target.host, scheme: target.scheme });
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
      Location: buildAuthLocation(prepared.localHost, target.path, decision.token),
    });
  }

  function relay(
    response: IncomingMessage,
    res: ServerResponse,
    prepared: Ready,
    addedSetCookies: readonly string[],
  ): void {
    response.on("error", () => res.destroy());
    const stray = route.sender.takeUpgrade(response);
    if (stray !== undefined) {
      // Only an Upgrade request (the upgrade handler's) may switch protocols.
      stray.socket.destroy();
      sendPlainText(res, 502, `${route.host} switched protocols on a request that did not ask to`);
      return;
    }
    updateJarFromResponse(route, prepared, response);
    const headers = rewriteResponseHeaders(
      removeHopByHopHeaders(response.rawHeaders),
      addedSetCookies,
      route,
      prepared.mappings,
    );
    try {
      res.writeHead(response.statusCode ?? 502, response.statusMessage, headers);
    } catch (error) {
      response.destroy();
      sendPlainText(res, 502, `The upstream response could not be relayed: ${(error as Error).message}`);
      return;
    }
    // pipeline tears down both sides if either fails or the browser goes away mid-body.
    pipeline(response, res, () => undefined);
  }

  function reportFailure(error: unknown, res: ServerResponse, prepared: Ready, client: AbortSignal): void {
    if (client.aborted || res.destroyed || res.writableEnded) return;
    const { host } = prepared.target;
    const failure = describeUpstreamFailure(error, host);
    if (failure === undefined) {
      // Not a socket error: a bug. No details to the browser; the log says what happened.
      logger.warn("reverse", { host, outcome: "internal-error", reason: String(error) });
      sendPlainText(res, 500, "The proxy failed to handle this request (internal error; see the proxy log)");
      return;
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (res.headersSent) {
      // The upstream failed mid-response: all the browser can be told is that the body is cut short.
      logger.warn("reverse", { host, outcome: "upstream-aborted", code });
      res.destroy();
      return;
    }
    logger.warn("reverse", { host, outcome: "upstream-unreachable", code, reason: failure.message });
    sendPlainText(res, failure.status, failure.message);
  }

  return (req, res) => {
    req.on("error", () => req.destroy());
    res.on("error", () => res.destroy());
    const prepared = prepareUpstreamRequest(req, route);
    if (prepared.kind === "refused") {
      const { error } = prepared;
      logger.info("reverse-refused", {
        host: route.host,
        code: error.code,
        status: error.status,
        reason: error.message,
      });
      sendPlainText(res, error.status, error.message);
      return;
    }
    forward(req, res, prepared).catch((error: unknown) =>
      reportFailure(error, res, prepared, new AbortController().signal),
    );
  };
}
