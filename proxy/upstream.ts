import {
  request as requestHttp,
  type Agent as HttpAgent,
  type ClientRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type RequestOptions,
  type ServerResponse,
} from "node:http";
import { request as requestHttps, type Agent as HttpsAgent } from "node:https";
import { isIP } from "node:net";
import type { RequestBody } from "./request-body.js";
import type { ForwardTarget } from "./request-target.js";

/** One request to an app. */
export interface UpstreamRequest {
  readonly target: Pick<ForwardTarget, "scheme" | "hostname" | "port">;
  readonly method: string;
  /** Path and query exactly as they go on the wire. */
  readonly path: string;
  /** Already prepared for forwarding (hop-by-hop fields removed, Host set). */
  readonly headers: OutgoingHttpHeaders;
  readonly body: RequestBody | undefined;
  /**
   * The response to the client this request is sent for: when it closes before it is finished
   * (the client went away), the request to the app is destroyed. Does what an AbortSignal does
   * without an AbortController per request on the forwarding path. Default: none.
   */
  readonly client?: ServerResponse | undefined;
}

/**
 * Sends requests to apps; resolves with the response head (the body still to be read). Aborting
 * `signal` destroys the request.
 */
export type UpstreamSender = (upstream: UpstreamRequest, signal?: AbortSignal) => Promise<IncomingMessage>;

/** The keep-alive agents requests to apps go through (see createUpstreamConnections). */
export interface UpstreamAgents {
  readonly http: HttpAgent;
  readonly https: HttpsAgent;
}

/**
 * Creates the sender: node:http or node:https (by the target's scheme) over the agents. A
 * complete body goes with a Content-Length (a chunked request body is re-framed, so it can be
 * sent more than once); a streaming one keeps the client's framing and is piped through.
 * Aborting `signal`, or the `client` response closing unfinished, destroys the request. Rejects
 * with the socket, SOCKS or TLS error when the app cannot be reached.
 *
 * @example const response = await createUpstreamSender(agents)({ target, method: "GET", path: "/", headers, body: undefined }, signal)
 */
export function createUpstreamSender(agents: UpstreamAgents): UpstreamSender {
  return (upstream, signal) =>
    new Promise((resolve, reject) => {
      let { headers } = upstream;
      const { body } = upstream;
      if (body?.kind === "complete") {
        const hadBody = headers["content-length"] !== undefined || headers["transfer-encoding"] !== undefined;
        if (body.bytes.length > 0 || hadBody) {
          // A copy: the caller's headers are sent again as they are on a replay.
          headers = { ...headers, "content-length": String(body.bytes.length) };
          delete headers["transfer-encoding"];
        }
      }
      const req = openUpstreamRequest(agents, upstream, headers, signal);
      const { client } = upstream;
      // After the response was relayed in full, or once the request has given its connection back
      // to the agent (req.destroyed), this does nothing.
      client?.once("close", () => {
        if (!client.writableFinished) req.destroy();
      });
      req.once("response", resolve);
      // Not once: a socket error after the response is still an error event, and an unhandled one would crash.
      req.on("error", reject);
      if (body?.kind === "streaming") {
        for (const chunk of body.head) req.write(chunk);
        body.rest.pipe(req);
        body.rest.resume();
      } else if (body === undefined || body.bytes.length === 0) {
        // No empty chunk: the head alone goes out in one write.
        req.end();
      } else {
        req.end(body.bytes);
      }
    });
}

/**
 * Starts a request to an app without sending its body. For https the certificate is verified
 * against `target.hostname` (SNI set to it; none for IP literals, RFC 6066 §3).
 */
export function openUpstreamRequest(
  agents: UpstreamAgents,
  upstream: Pick<UpstreamRequest, "target" | "method" | "path">,
  headers: OutgoingHttpHeaders,
  signal?: AbortSignal,
): ClientRequest {
  const { target } = upstream;
  const https = target.scheme === "https";
  const options: RequestOptions & { servername?: string } = {
    host: target.hostname,
    port: target.port,
    method: upstream.method,
    path: upstream.path,
    headers,
    signal,
    agent: https ? agents.https : agents.http,
  };
  if (!https) return requestHttp(options);
  options.servername = isIP(target.hostname) === 0 ? target.hostname : "";
  return requestHttps(options);
}
