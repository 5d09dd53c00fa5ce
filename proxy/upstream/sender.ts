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
import { Readable } from "node:stream";
import type { Dispatcher } from "undici";
import type { RequestBody } from "../http/request-body.js";
import type { LazyDispatcher } from "./lazy-dispatcher.js";
import type { ForwardTarget } from "../http/request-target.js";
import { DispatchedResponse, type UpstreamResponse } from "./upstream-response.js";

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
export type UpstreamSender = (upstream: UpstreamRequest, signal?: AbortSignal) => Promise<UpstreamResponse>;

/** The keep-alive agents websocket upgrades go through (see createUpstreamConnections). */
export interface UpstreamAgents {
  readonly http: HttpAgent;
  readonly https: HttpsAgent;
}

/**
 * Creates the sender: undici's dispatch() over `dispatcher` (an undici Agent keeping connections
 * to each app alive; see createUpstreamConnections), a leaner client than node:http on the path
 * every forwarded request takes. A complete body goes with a Content-Length (a chunked request
 * body is re-framed, so it can be sent more than once); a streaming one is sent chunked unless
 * the client gave its length. Aborting `signal`, or the `client` response closing unfinished,
 * aborts the request. Rejects with the socket, SOCKS or TLS error when the app cannot be reached.
 *
 * @example const response = await createUpstreamSender(connections.dispatcher)({ target, method: "GET", path: "/", headers, body: undefined }, signal)
 */
export function createUpstreamSender(dispatcher: LazyDispatcher): UpstreamSender {
  return (upstream, signal) =>
    new Promise((resolve, reject) => {
      const agent = dispatcher.get();
      if (agent instanceof Promise)
        agent.then((loaded) => dispatchRequest(loaded, upstream, signal, resolve, reject), reject);
      else dispatchRequest(agent, upstream, signal, resolve, reject);
    });
}

function dispatchRequest(
  agent: Dispatcher,
  upstream: UpstreamRequest,
  signal: AbortSignal | undefined,
  resolve: (response: UpstreamResponse) => void,
  reject: (error: Error) => void,
): void {
  const { target, body, client } = upstream;
  const headers: OutgoingHttpHeaders = { ...upstream.headers };
  // undici frames the body itself: it refuses a Transfer-Encoding field.
  delete headers["transfer-encoding"];
  let payload: Buffer | Readable | null = null;
  if (body?.kind === "complete") {
    const hadBody =
      upstream.headers["content-length"] !== undefined || upstream.headers["transfer-encoding"] !== undefined;
    if (body.bytes.length > 0 || hadBody) {
      headers["content-length"] = String(body.bytes.length);
      payload = body.bytes;
    }
  } else if (body?.kind === "streaming") {
    payload = Readable.from(streamBody(body.head, body.rest), { objectMode: false });
  }
  let controller: Dispatcher.DispatchController | undefined;
  let response: DispatchedResponse | undefined;
  const abort = (reason: Error): void => controller?.abort(reason);
  const onSignal = (): void => abort(new Error("The request to the app was aborted"));
  signal?.addEventListener("abort", onSignal, { once: true });
  // After the response was relayed in full this does nothing.
  client?.once("close", () => {
    if (!client.writableFinished) abort(new Error("The client went away"));
  });
  const handler: Dispatcher.DispatchHandler = {
    onRequestStart(started) {
      controller = started;
      if (signal?.aborted === true) onSignal();
    },
    onResponseStart(started, statusCode, _headers, statusMessage) {
      // 1xx (100 Continue, 103 Early Hints): the final response is still to come.
      if (statusCode < 200) return;
      response = new DispatchedResponse(
        statusCode,
        statusMessage ?? "",
        (started.rawHeaders as Buffer[] | null | undefined) ?? [],
        started,
      );
      resolve(response);
    },
    onResponseData(started, chunk) {
      if (response?.deliver(chunk) === false) started.pause();
    },
    onResponseEnd() {
      signal?.removeEventListener("abort", onSignal);
      response?.finish();
    },
    onResponseError(_started, error) {
      signal?.removeEventListener("abort", onSignal);
      if (response === undefined) reject(error);
      else response.fail(error);
    },
  };
  try {
    agent.dispatch(
      {
        origin: originFor(target),
        path: upstream.path,
        method: upstream.method,
        headers: headers as Record<string, string | string[]>,
        body: payload,
        // Forwarding must not cut a slow app, a long poll or an event stream short: the client decides.
        headersTimeout: 0,
        bodyTimeout: 0,
      },
      handler,
    );
  } catch (error) {
    // undici refuses a request it cannot send (a header it does not allow): no request went out.
    reject(error as Error);
  }
}

/** The origin undici keeps a pool of connections for: scheme, host and port, IPv6 literals in brackets. */
function originFor(target: UpstreamRequest["target"]): string {
  const host = isIP(target.hostname) === 6 ? `[${target.hostname}]` : target.hostname;
  return `${target.scheme ?? "http"}://${host}:${target.port}`;
}

/** The bytes of a streaming body: what was read before, then the rest of the client's request. */
async function* streamBody(head: readonly Buffer[], rest: IncomingMessage): AsyncGenerator<Buffer> {
  yield* head;
  for await (const chunk of rest) yield chunk as Buffer;
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
