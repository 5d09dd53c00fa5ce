import type { OutgoingHttpHeaders, ServerResponse } from "node:http";
import { isIP } from "node:net";
import type { RequestBody } from "../http/request-body.js";
import { ProxyError } from "../common/errors.js";
import { describeUpstreamFailure } from "./failure.js";
import type { ForwardTarget } from "../http/request-target.js";
import type { AppConnector } from "./app-connection.js";
import { AppConnection, type ConnectionPool } from "./connection-pool.js";
import { writeRequestHead, type RequestFraming } from "./request-head.js";
import type { UpstreamResponse } from "./upstream-response.js";
import { UpstreamExchange, type PreparedRequest } from "./upstream-exchange.js";

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
   * How long an app may leave its response head unfinished once the request is sent (no byte
   * for this long), in ms; then 504 UPSTREAM_TIMEOUT. The body is never timed: a long poll or an
   * event stream goes on for as long as the client wants it. Default 30000.
   */
  readonly headTimeoutMs?: number;
}

/** Where the sender gets connections: kept-alive ones, and new ones (direct or SOCKS, TLS for https). */
export interface SenderConnections {
  readonly pool: ConnectionPool;
  readonly connect: AppConnector;
}

// RFC 9110 §9.2.2: only these may be sent again when a kept-alive connection turns out closed.
const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]);
// RFC 9110 §8.6: a request whose method gives its content a meaning says how long it is, even when empty.
const METHODS_WITH_CONTENT: ReadonlySet<string> = new Set(["POST", "PUT", "PATCH"]);

/**
 * Creates THE sender every mode uses, for plain requests and websocket upgrades alike, over
 * connections kept alive per app (see ConnectionPool): it writes the request head itself
 * (writeRequestHead) and reads only what relaying needs (ResponseReader: the head and the
 * body's framing). A complete body goes with a Content-Length (a chunked request body is
 * re-framed, so it can be sent more than once); a streaming one is sent chunked unless the
 * client gave its length. A request on a kept-alive connection the app had already closed
 * (nothing came back) is sent once more on a new connection when its method is idempotent and
 * its body complete. Aborting `signal`, or the `client` response closing unfinished, aborts the
 * request.
 *
 * @example const response = await createUpstreamSender(connections)({ target, method: "GET", path: "/", headers, body: undefined }, signal)
 */
export function createUpstreamSender(
  connections: SenderConnections,
  options: UpstreamSenderOptions = {},
): UpstreamSender {
  const headTimeoutMs = options.headTimeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS;
  const { pool, connect } = connections;
  return (upstream, signal) =>
    new Promise((resolve, reject) => {
      const { target, client } = upstream;
      let request: PreparedRequest;
      try {
        request = prepareRequest(upstream);
      } catch (error) {
        // writeRequestHead's ProxyError (REQUEST_INVALID): nothing was sent.
        reject(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      const origin = originKey(target);
      let exchange: UpstreamExchange | undefined;
      let settled = false;
      let stopped: Error | undefined;
      const fail = (error: Error): void => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener("abort", onSignal);
        reject(signal?.aborted === true ? error : describeUpstreamFailure(error, target));
      };
      const stop = (reason: Error): void => {
        stopped ??= reason;
        if (exchange === undefined) fail(reason);
        else exchange.abort(reason);
      };
      const onSignal = (): void => stop(new Error("The request to the app was aborted"));
      if (signal?.aborted === true) {
        onSignal();
        return;
      }
      signal?.addEventListener("abort", onSignal, { once: true });
      // After the response was relayed in full this does nothing.
      client?.once("close", () => {
        if (!client.writableFinished) stop(new Error("The client went away"));
      });
      const replayable =
        IDEMPOTENT_METHODS.has(upstream.method) && request.body.kind !== "stream" && !request.upgrade;
      const run = (connection: AppConnection, reused: boolean): void => {
        exchange = new UpstreamExchange(connection, pool, request, headTimeoutMs, {
          resolve(response) {
            settled = true;
            signal?.removeEventListener("abort", onSignal);
            resolve(response);
          },
          reject(error, unanswered) {
            if (
              reused &&
              unanswered &&
              replayable &&
              stopped === undefined &&
              !(error instanceof ProxyError)
            ) {
              // The app closed the kept-alive connection as the request went out: a new one.
              exchange = undefined;
              openNew();
            } else {
              fail(error);
            }
          },
        });
        exchange.start();
      };
      const openNew = (): void => {
        connect(target).then((socket) => {
          const connection = new AppConnection(socket, origin, pool);
          if (stopped !== undefined) connection.destroy();
          else run(connection, false);
        }, fail);
      };
      const idle = pool.take(origin);
      if (idle === undefined) openNew();
      else run(idle, true);
    });
}

/** The request as it goes on the wire: framing chosen from the body, head written (and checked) once. */
function prepareRequest(upstream: UpstreamRequest): PreparedRequest {
  const { body, headers } = upstream;
  const given = headers["content-length"];
  const hadBody = given !== undefined || headers["transfer-encoding"] !== undefined;
  let framing: RequestFraming = { kind: "none" };
  let prepared: PreparedRequest["body"] = { kind: "none" };
  if (body?.kind === "complete" || body === undefined) {
    const bytes = body?.bytes ?? Buffer.alloc(0);
    if (bytes.length > 0 || hadBody || METHODS_WITH_CONTENT.has(upstream.method)) {
      framing = { kind: "length", bytes: bytes.length };
      prepared = bytes.length > 0 ? { kind: "bytes", bytes } : { kind: "none" };
    }
  } else {
    // node:http has checked the client's Content-Length: the body that comes has exactly that many bytes.
    const length = typeof given === "string" && /^\d+$/.test(given) ? Number(given) : undefined;
    framing = length === undefined ? { kind: "chunked" } : { kind: "length", bytes: length };
    prepared = { kind: "stream", head: body.head, rest: body.rest, chunked: length === undefined };
  }
  return {
    method: upstream.method,
    head: writeRequestHead(
      upstream.method,
      upstream.path,
      headers,
      framing,
      upstream.upgrade,
      upstream.target.host,
    ),
    body: prepared,
    upgrade: upstream.upgrade !== undefined,
    host: upstream.target.host,
  };
}

/** The pool's key: scheme, host and port, IPv6 literals in brackets. */
function originKey(target: UpstreamRequest["target"]): string {
  const host = isIP(target.hostname) === 6 ? `[${target.hostname}]` : target.hostname;
  return `${target.scheme ?? "http"}://${host}:${target.port}`;
}
