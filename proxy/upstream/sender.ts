import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import { isIP } from "node:net";
import { Readable } from "node:stream";
import type { Dispatcher } from "undici";
import type { RequestBody } from "../http/request-body.js";
import { ProxyError } from "../common/errors.js";
import { describeUpstreamFailure, errorCode } from "./failure.js";
import type { LazyDispatcher } from "./lazy-dispatcher.js";
import type { ForwardTarget } from "../http/request-target.js";
import { DispatchedResponse, type UpstreamResponse } from "./upstream-response.js";

/** One request to an app. */
export interface UpstreamRequest {
  readonly target: Pick<ForwardTarget, "scheme" | "hostname" | "port" | "host">;
  readonly method: string;
  /** Path and query exactly as they go on the wire. */
  readonly path: string;
  /** Already prepared for forwarding (hop-by-hop fields removed, Host set; no Connection or Upgrade). */
  readonly headers: OutgoingHttpHeaders;
  readonly body: RequestBody | undefined;
  /**
   * The protocol to switch to (the client's Upgrade field, e.g. `websocket`) for an Upgrade
   * request; the app's `101` then resolves with the connection in `upgraded`. Default: none.
   */
  readonly upgrade?: string | undefined;
  /**
   * The response to the client this request is sent for: when it closes before it is finished
   * (the client went away), the request to the app is destroyed. Does what an AbortSignal does
   * without an AbortController per request on the forwarding path. Default: none.
   */
  readonly client?: ServerResponse | undefined;
}

/**
 * Sends requests to apps; resolves with the response head (the body still to be read). Aborting
 * `signal` destroys the request. Rejects with a ProxyError saying what went wrong with the app
 * (see describeUpstreamFailure), or with the abort reason when `signal` was aborted.
 */
export type UpstreamSender = (upstream: UpstreamRequest, signal?: AbortSignal) => Promise<UpstreamResponse>;

/** How long an app may take to send its response head, by default (`upstreamTimeoutMs`). */
export const DEFAULT_UPSTREAM_TIMEOUT_MS = 30_000;
// An app that has not begun to answer after 10 minutes is not going to.
const MAX_UPSTREAM_TIMEOUT_MS = 600_000;

/**
 * Checks a factory's `upstreamTimeoutMs` option (pushing a problem naming it); returns it, or the default.
 *
 * @example checkUpstreamTimeoutMs(undefined, problems) // 30000
 */
export function checkUpstreamTimeoutMs(value: number | undefined, problems: string[]): number {
  const timeoutMs = value ?? DEFAULT_UPSTREAM_TIMEOUT_MS;
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0 || timeoutMs > MAX_UPSTREAM_TIMEOUT_MS) {
    problems.push(
      `upstreamTimeoutMs: must be a whole number of milliseconds from 1 to ${MAX_UPSTREAM_TIMEOUT_MS} (got ${String(value)})`,
    );
  }
  return timeoutMs;
}

export interface UpstreamSenderOptions {
  /**
   * How long an app may take to send its whole response head once the request is sent, in ms;
   * then 504 UPSTREAM_TIMEOUT. The body is never timed: a long poll or an event stream goes on
   * for as long as the client wants it. Default 30000.
   */
  readonly headTimeoutMs?: number;
}

/**
 * Creates THE sender every mode uses, for plain requests and websocket upgrades alike: undici's
 * dispatch() over `dispatcher` (an undici Agent keeping connections to each app alive, direct or
 * through SOCKS, TLS verified; see createUpstreamConnections). A complete body goes with a
 * Content-Length (a chunked request body is re-framed, so it can be sent more than once); a
 * streaming one is sent chunked unless the client gave its length. Aborting `signal`, or the
 * `client` response closing unfinished, aborts the request.
 *
 * @example const response = await createUpstreamSender(connections.dispatcher)({ target, method: "GET", path: "/", headers, body: undefined }, signal)
 */
export function createUpstreamSender(
  dispatcher: LazyDispatcher,
  options: UpstreamSenderOptions = {},
): UpstreamSender {
  const headTimeoutMs = options.headTimeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS;
  return (upstream, signal) =>
    new Promise((resolve, reject) => {
      const fail = (error: Error): void => {
        if (signal?.aborted === true) reject(error);
        else reject(toSendFailure(error, upstream.target, headTimeoutMs));
      };
      const agent = dispatcher.get();
      if (agent instanceof Promise)
        agent.then((loaded) => dispatchRequest(loaded, upstream, signal, headTimeoutMs, resolve, fail), fail);
      else dispatchRequest(agent, upstream, signal, headTimeoutMs, resolve, fail);
    });
}

/** What a request failed with, as the client is told it: the head timeout named, the rest mapped once. */
function toSendFailure(error: Error, target: UpstreamRequest["target"], headTimeoutMs: number): ProxyError {
  if (errorCode(error) === "UND_ERR_HEADERS_TIMEOUT") {
    return new ProxyError(
      "UPSTREAM_TIMEOUT",
      `${target.host} did not send its response head within ${headTimeoutMs / 1000} s (the upstream timeout)`,
      { cause: error },
    );
  }
  return describeUpstreamFailure(error, target);
}

function dispatchRequest(
  agent: Dispatcher,
  upstream: UpstreamRequest,
  signal: AbortSignal | undefined,
  headTimeoutMs: number,
  resolve: (response: UpstreamResponse) => void,
  reject: (error: Error) => void,
): void {
  const { target, body, client } = upstream;
  // The caller's headers go as they are unless the body's framing changes them: the same object
  // may be sent again (a replay after a sign-in), so it is copied, not changed.
  const given = upstream.headers;
  const hadBody = given["content-length"] !== undefined || given["transfer-encoding"] !== undefined;
  // undici frames the body itself: it refuses a Transfer-Encoding field.
  let headers = given["transfer-encoding"] === undefined ? given : withoutTransferEncoding(given);
  let payload: Buffer | Readable | null = null;
  if (body?.kind === "complete") {
    if (body.bytes.length > 0 || hadBody) {
      if (headers === given) headers = { ...given };
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
    onRequestUpgrade(started, statusCode, _headers, socket) {
      signal?.removeEventListener("abort", onSignal);
      // undici has removed its own listeners: an error before the caller takes it must not crash the proxy.
      socket.on("error", () => socket.destroy());
      const upgraded = new DispatchedResponse(
        statusCode,
        "Switching Protocols",
        (started.rawHeaders as Buffer[] | null | undefined) ?? [],
        started,
        socket,
      );
      upgraded.finish();
      resolve(upgraded);
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
        upgrade: upstream.upgrade ?? null,
        headersTimeout: headTimeoutMs,
        // Forwarding must not cut a slow body, a long poll or an event stream short: the client decides.
        bodyTimeout: 0,
      },
      handler,
    );
  } catch (error) {
    // undici refuses a request it cannot send (a header it does not allow): no request went out.
    reject(error as Error);
  }
}

/** A copy of `headers` without Transfer-Encoding: undici frames the body itself and refuses the field. */
function withoutTransferEncoding(headers: OutgoingHttpHeaders): OutgoingHttpHeaders {
  const copy = { ...headers };
  delete copy["transfer-encoding"];
  return copy;
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
