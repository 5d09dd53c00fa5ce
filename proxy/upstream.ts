import { request, type Agent, type IncomingMessage, type OutgoingHttpHeaders } from "node:http";
import type { RequestBody } from "./request-body.js";
import type { ForwardTarget } from "./request-target.js";

/** One request to an app. */
export interface UpstreamRequest {
  readonly target: Pick<ForwardTarget, "hostname" | "port">;
  readonly method: string;
  /** Path and query exactly as they go on the wire. */
  readonly path: string;
  /** Already prepared for forwarding (hop-by-hop fields removed, Host set). */
  readonly headers: OutgoingHttpHeaders;
  readonly body: RequestBody | undefined;
}

/** Sends requests to apps; resolves with the response head (the body still to be read). */
export type UpstreamSender = (upstream: UpstreamRequest, signal: AbortSignal) => Promise<IncomingMessage>;

/**
 * Creates the sender: node:http over `agent` (keep-alive). A complete body goes with a
 * Content-Length (a chunked request body is re-framed, so it can be sent more than once); a
 * streaming one keeps the client's framing and is piped through. Aborting `signal` (the client
 * went away) destroys the request. Rejects with the socket error when the app cannot be reached.
 *
 * @example const response = await createUpstreamSender(agent)({ target, method: "GET", path: "/", headers, body: undefined }, signal)
 */
export function createUpstreamSender(agent: Agent): UpstreamSender {
  return (upstream, signal) =>
    new Promise((resolve, reject) => {
      const headers = { ...upstream.headers };
      const { body } = upstream;
      if (body?.kind === "complete") {
        const hadBody = headers["content-length"] !== undefined || headers["transfer-encoding"] !== undefined;
        delete headers["transfer-encoding"];
        if (body.bytes.length > 0 || hadBody) headers["content-length"] = String(body.bytes.length);
      }
      const req = request({
        agent,
        host: upstream.target.hostname,
        port: upstream.target.port,
        method: upstream.method,
        path: upstream.path,
        headers,
        signal,
      });
      req.once("response", resolve);
      // Not once: a socket error after the response is still an error event, and an unhandled one would crash.
      req.on("error", reject);
      if (body?.kind === "streaming") {
        for (const chunk of body.head) req.write(chunk);
        body.rest.pipe(req);
        body.rest.resume();
      } else {
        req.end(body?.bytes);
      }
    });
}
