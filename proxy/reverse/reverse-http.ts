import type { IncomingMessage, ServerResponse } from "node:http";
import { listenForErrors, sendProxyError } from "../http/http-messages.js";
import { readRequestBody, type RequestBody } from "../http/request-body.js";
import { answerHttp, answerHttpFailure } from "../signin/client-answer.js";
import {
  logRefusedRequest,
  prepareUpstreamRequest,
  rewriteForBrowser,
  type ReverseRoute,
} from "./reverse-route.js";

/**
 * Handles the browser's requests to one upstream's local address (`GET /path`, no proxy
 * settings): prepares each for the upstream (see prepareUpstreamRequest), hands it to the one
 * exchange every mode goes through (the session, the sign-in policy, sign-in and replay or the
 * redirect to the local /auth), and relays the outcome with Location and Set-Cookie rewritten
 * for the local origin and the body streamed.
 *
 * @example http.createServer(createReverseRequestHandler(route))
 */
export function createReverseRequestHandler(
  route: ReverseRoute,
): (req: IncomingMessage, res: ServerResponse) => void {
  const { logger } = route;

  async function forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const prepared = prepareUpstreamRequest(req, route);
    if (prepared.kind === "refused") {
      logRefusedRequest(route, prepared.error);
      sendProxyError(res, prepared.error);
      return;
    }
    let body: RequestBody;
    try {
      body = await readRequestBody(req, route.maxReplayBodyBytes);
    } catch {
      // The browser went away mid-body: there is no one to answer.
      res.destroy();
      return;
    }
    const outcome = await route.exchange({ ...prepared.request, body, client: res });
    answerHttp(res, outcome, rewriteForBrowser(route, prepared.mappings));
  }

  return (req, res) => {
    listenForErrors(req, res);
    forward(req, res).catch((error: unknown) =>
      answerHttpFailure(res, error, { logger, event: "reverse", target: route }),
    );
  };
}
