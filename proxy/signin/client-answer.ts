import type { ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { ProxyError } from "../common/errors.js";
import type { ProxyLogger } from "../common/log.js";
import {
  formatResponseHead,
  keepUpgradeHeaders,
  removeHopByHopHeaders,
  sendPlainText,
  sendProxyError,
  writeRawPlainText,
  writeRawProxyError,
  writeRelayedHead,
} from "../http/http-messages.js";
import {
  describeUpstreamFailure,
  errorCode,
  logUpstreamFailure,
  type FailedTarget,
} from "../upstream/failure.js";
import type { UpstreamResponse } from "../upstream/upstream-response.js";
import { sendSignInRefusal } from "./auth-refusal.js";
import type { ExchangeOutcome } from "./exchange.js";

/**
 * How a mode shows the app's response head to its client: forward mode as it is, reverse mode
 * with Location and Set-Cookie rewritten for the local origin. Gets the app's fields (hop-by-hop
 * ones already removed) and the sign-in's Set-Cookie lines; returns the rawHeaders to send.
 */
export type HeadRewriter = (rawHeaders: string[], addedSetCookies: readonly string[]) => string[];

/**
 * Forward mode's rewriter: the sign-in's cookies first (the app's own, newer, win), the app's
 * fields as they came — the same array when there is nothing to add (the usual case, on the path
 * every forwarded response takes).
 */
export const KEEP_HEAD: HeadRewriter = (rawHeaders, added) =>
  added.length === 0 ? rawHeaders : [...added.flatMap((line) => ["Set-Cookie", line]), ...rawHeaders];

/** Where a failed exchange is logged: the event (`forward`, `reverse`, `upgrade`) and the app. */
export interface FailureLog {
  readonly logger: ProxyLogger;
  readonly event: string;
  readonly target: FailedTarget;
}

/** What the client is told when the proxy itself failed: no details, the proxy's log has them. */
const INTERNAL_ERROR = new ProxyError(
  "INTERNAL_ERROR",
  "The proxy failed to handle this request (internal error; see the proxy log)",
);

/**
 * Answers an HTTP client with the outcome of its exchange: the app's response streamed (with
 * `rewrite` applied), the 302 to /auth, or the refusal.
 *
 * @example answerHttp(res, await exchange(request), KEEP_HEAD)
 */
export function answerHttp(res: ServerResponse, outcome: ExchangeOutcome, rewrite: HeadRewriter): void {
  if (outcome.kind === "refused") {
    sendSignInRefusal(res, outcome);
    return;
  }
  if (outcome.kind === "redirect") {
    // The 401's own cookies (the nonce cookie that binds the proof to this browser) go with the
    // 302, as the mode shows cookies (reverse mode rewrites them for the local origin).
    const cookies = fieldValues(rewrite([], outcome.setCookies), "set-cookie");
    if (cookies.length > 0) res.setHeader("Set-Cookie", cookies);
    sendPlainText(res, 302, outcome.message, { Location: outcome.location });
    return;
  }
  const { response } = outcome;
  response.on("error", () => res.destroy());
  const headers = rewrite(removeHopByHopHeaders(response.rawHeaders), outcome.addedSetCookies);
  if (writeRelayedHead(res, response, headers)) response.relayBodyTo(res);
}

/**
 * Answers an Upgrade (websocket handshake) on the client's raw socket: the app's `101` is written
 * and the two connections are joined byte for byte (`head`: what the client sent after its
 * request head); any other response is relayed with `Connection: close` and the connection
 * closed; a refusal or redirect is written as one line. Joined sockets go into `openSockets`
 * until they close, so the proxy can tear them down.
 *
 * @example answerUpgrade(socket, head, await exchange({ ...request, upgrade: "websocket" }), KEEP_HEAD, openSockets)
 */
export function answerUpgrade(
  client: Socket,
  head: Buffer,
  outcome: ExchangeOutcome,
  rewrite: HeadRewriter,
  openSockets: Set<Duplex>,
  log: FailureLog,
): void {
  if (outcome.kind === "refused") {
    if (outcome.code === undefined) writeRawPlainText(client, outcome.status, outcome.message);
    else writeRawProxyError(client, { status: outcome.status, message: outcome.message, code: outcome.code });
    return;
  }
  if (outcome.kind === "redirect") {
    client.end(
      formatResponseHead(302, undefined, [
        "Location",
        outcome.location,
        "Content-Length",
        "0",
        "Connection",
        "close",
      ]),
    );
    return;
  }
  const { response } = outcome;
  const upstream = response.upgraded;
  if (client.destroyed) {
    // The client went away while the app answered: nothing to join, nothing to read.
    upstream?.destroy();
    response.destroy();
    return;
  }
  if (upstream === undefined) {
    log.logger.info(log.event, {
      host: log.target.host,
      outcome: "not-upgraded",
      status: response.statusCode,
    });
    relayRefusedUpgrade(
      client,
      response,
      rewrite(removeHopByHopHeaders(response.rawHeaders), outcome.addedSetCookies),
    );
    return;
  }
  track(openSockets, upstream);
  log.logger.info(log.event, { host: log.target.host, outcome: "upgraded" });
  // A 101 keeps Connection and Upgrade: they are the handshake itself, not hop-by-hop noise.
  client.write(
    formatResponseHead(
      101,
      response.statusMessage,
      rewrite(keepUpgradeHeaders(response.rawHeaders), outcome.addedSetCookies),
    ),
  );
  if (head.length > 0) upstream.write(head);
  upstream.on("error", () => client.destroy());
  // Once either side is gone the other is closed too, after flushing what it has; pipe() forwards half-closes until then.
  client.on("close", () => upstream.destroy());
  upstream.on("close", () => client.destroySoon());
  client.pipe(upstream);
  upstream.pipe(client);
}

/**
 * Answers a client whose exchange failed: a ProxyError (whatever the app did; see
 * describeUpstreamFailure) with its status, code and one line, logged once the same way in every
 * mode; anything else is a bug: 500 INTERNAL_ERROR without details, the log says what happened.
 * When the app failed mid-response, all the client can be told is that the body is cut short.
 *
 * @example exchange(request).then((outcome) => answerHttp(res, outcome, KEEP_HEAD), (error) => answerHttpFailure(res, error, log))
 */
export function answerHttpFailure(res: ServerResponse, error: unknown, log: FailureLog): void {
  // The client went away (the request to the app was aborted with it): no one to answer.
  if (res.destroyed || res.writableEnded) return;
  if (res.headersSent) {
    log.logger.warn(log.event, {
      host: log.target.host,
      outcome: "upstream-aborted",
      code: errorCode(error),
    });
    res.destroy();
    return;
  }
  sendProxyError(res, toClientError(error, log));
}

/** answerHttpFailure for an Upgrade's raw socket. */
export function answerUpgradeFailure(client: Duplex, error: unknown, log: FailureLog): void {
  if (client.destroyed) return;
  writeRawProxyError(client, toClientError(error, log));
}

function toClientError(error: unknown, log: FailureLog): ProxyError {
  const { host } = log.target;
  // A ProxyError, or a socket or sender error (it has a code: ResponseSyntaxError, ConnectionClosedError)
  // from reading an app's response after its head (a sign-in's /auth answer cut short): what the app did, mapped once. Anything else is ours.
  if (error instanceof ProxyError || errorCode(error) !== undefined) {
    const failure = describeUpstreamFailure(error, log.target);
    logUpstreamFailure(log.logger, log.event, host, failure);
    return failure;
  }
  log.logger.warn(log.event, { host, outcome: "internal-error", reason: String(error) });
  return INTERNAL_ERROR;
}

/** The values of the fields named `lowerName` in a rawHeaders list. */
function fieldValues(rawHeaders: readonly string[], lowerName: string): string[] {
  const values: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i]?.toLowerCase() === lowerName) values.push(rawHeaders[i + 1] ?? "");
  }
  return values;
}

/** Relays a handshake the app did not accept (status, fields, body) and closes the connection. */
function relayRefusedUpgrade(client: Duplex, response: UpstreamResponse, headers: readonly string[]): void {
  response.on("error", () => client.destroy());
  client.write(
    formatResponseHead(response.statusCode ?? 502, response.statusMessage, [
      ...headers,
      "Connection",
      "close",
    ]),
  );
  // Without Transfer-Encoding the body is delimited by closing the connection (RFC 9112 §6.3).
  response.pipe(client);
}

/** Adds a socket to `openSockets` until it closes. */
export function track(openSockets: Set<Duplex>, socket: Duplex): void {
  openSockets.add(socket);
  socket.once("close", () => openSockets.delete(socket));
}
