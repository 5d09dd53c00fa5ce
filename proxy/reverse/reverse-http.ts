import type { IncomingMessage, ServerResponse } from "node:http";
import { pipeline } from "node:stream";
import { redirectToAuth } from "../signin/auth-redirect.js";
import { sendSignInRefusal } from "../signin/auth-refusal.js";
import { isIamChallenge } from "../signin/challenge-answerer.js";
import {
  listenForErrors,
  removeHopByHopHeaders,
  sendPlainText,
  writeRelayedHead,
} from "../http/http-messages.js";
import { readRequestBody, type RequestBody } from "../http/request-body.js";
import { sendUpstreamFailure } from "../upstream/upstream-failure-response.js";
import {
  logRefusedRequest,
  prepareUpstreamRequest,
  rewriteResponseHeaders,
  updateJarFromResponse,
  type ReadyRequest,
  type ReverseRoute,
} from "./reverse-route.js";
import { describeUpstreamFailure, logUnreachableUpstream } from "./upstream-failure.js";
import type { UpstreamResponse } from "../upstream/upstream-response.js";

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

  async function forward(req: IncomingMessage, res: ServerResponse, prepared: ReadyRequest): Promise<void> {
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
        // The original's flow, on the local origin: the browser brings the token to /auth through the proxy.
        await redirectToAuth(response, res, target, prepared.localHost, route);
      }
    } catch (error) {
      reportFailure(error, res, prepared, client.signal);
    }
  }

  function relay(
    response: UpstreamResponse,
    res: ServerResponse,
    prepared: ReadyRequest,
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
    // pipeline tears down both sides if either fails or the browser goes away mid-body.
    if (writeRelayedHead(res, response, headers)) pipeline(response, res, () => undefined);
  }

  function reportFailure(
    error: unknown,
    res: ServerResponse,
    prepared: ReadyRequest,
    client: AbortSignal,
  ): void {
    if (client.aborted || res.destroyed || res.writableEnded) return;
    const { host } = prepared.target;
    sendUpstreamFailure(res, error, describeUpstreamFailure(error, host), {
      logger,
      event: "reverse",
      host,
      logFailure: logUnreachableUpstream,
    });
  }

  return (req, res) => {
    listenForErrors(req, res);
    const prepared = prepareUpstreamRequest(req, route);
    if (prepared.kind === "refused") {
      const { error } = prepared;
      logRefusedRequest(route, error);
      sendPlainText(res, error.status, error.message);
      return;
    }
    forward(req, res, prepared).catch((error: unknown) =>
      reportFailure(error, res, prepared, new AbortController().signal),
    );
  };
}
