import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import type { Duplex, Readable } from "node:stream";
import { STATUS_CODES } from "node:http";
import { formatPlainTextResponse, READ_ONLY_PAGE_CONTENT_SECURITY_POLICY } from "../../protocol/index.js";
import type { ProxyError } from "../common/errors.js";
import { formatProxyErrorLine, isBrowserRequest, renderProxyErrorPage } from "./proxy-error-page.js";

/**
 * The field naming the ProxyError code on every answer the proxy makes itself (never on an
 * app's response), so scripts and tests can branch on the code rather than on the message.
 */
export const PROXY_ERROR_HEADER = "Iam-Auth-Proxy-Error";

// RFC 9110 §7.6.1: fields that describe one connection, not the message; a proxy must not forward them.
const hopByHopFields = [
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
];
const hopByHop = new Set(hopByHopFields);
// What prepareForwardedRequestHeaders drops besides the fields Connection names. Transfer-Encoding
// is kept: it frames the body Node re-sends (see there).
const notForwardedRequestFields: ReadonlySet<string> = new Set([
  ...hopByHopFields.filter((name) => name !== "transfer-encoding"),
  "proxy-authorization",
  "expect",
]);

/** The fields a Connection header names (RFC 9110 §7.6.1), lower-cased. */
function readConnectionOptions(values: readonly string[]): Set<string> {
  const names = new Set<string>();
  for (const value of values) {
    for (const name of value.split(",")) {
      const trimmed = name.trim().toLowerCase();
      if (trimmed !== "") names.add(trimmed);
    }
  }
  return names;
}

/** True for a Connection value that is just `keep-alive` or `close` (any case). */
function connectionNamesNothingElse(value: string): boolean {
  return (
    (value.length === 10 && value.toLowerCase() === "keep-alive") ||
    (value.length === 5 && value.toLowerCase() === "close")
  );
}

/**
 * Copies a rawHeaders list (`[name, value, name, value, …]`, as IncomingMessage#rawHeaders) without
 * hop-by-hop fields: Connection and the fields it names, Keep-Alive, Proxy-Connection, TE, Trailer,
 * Transfer-Encoding, Upgrade. Names keep their case and repeated fields (Set-Cookie) their order.
 *
 * @example removeHopByHopHeaders(["Connection", "close, X-A", "X-A", "1", "X-B", "2"]) // ["X-B", "2"]
 */
export function removeHopByHopHeaders(rawHeaders: readonly string[]): string[] {
  // Runs on every response: no Set of the named fields unless there is a Connection field.
  let connectionValues: string[] | undefined;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const value = rawHeaders[i + 1] ?? "";
    if (rawHeaders[i]?.toLowerCase() === "connection" && !connectionNamesNothingElse(value)) {
      (connectionValues ??= []).push(value);
    }
  }
  const named = connectionValues === undefined ? undefined : readConnectionOptions(connectionValues);
  const kept: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] ?? "";
    const lower = name.toLowerCase();
    if (!hopByHop.has(lower) && named?.has(lower) !== true) kept.push(name, rawHeaders[i + 1] ?? "");
  }
  return kept;
}

/**
 * Rewrites a client request's headers (in place) for forwarding to `host`:
 * - drops hop-by-hop fields and those Connection names, Proxy-Authorization (meant for this proxy,
 *   and it must not leak to the app) and Expect (Node already answered "100 Continue" to the client);
 * - keeps Transfer-Encoding and Content-Length: they frame the body Node re-sends, and dropping
 *   Transfer-Encoding on a GET would send its body unframed (a request-smuggling hazard);
 * - sets Host from the request target (RFC 9112 §3.2.2: a proxy must ignore the Host it received).
 */
export function prepareForwardedRequestHeaders(headers: IncomingHttpHeaders, host: string): void {
  const named = namedByConnection(headers.connection);
  for (const name of Object.keys(headers)) {
    if (!isForwardedRequestField(name, named)) delete headers[name];
  }
  headers.host = host;
}

/**
 * The headers prepareForwardedRequestHeaders would leave, as a new object (the request's own are
 * left alone), without Cookie: the forwarding path adds its own. Host keeps its place.
 *
 * @example copyForwardedRequestHeaders({ host: "x", connection: "keep-alive", accept: "text/html" }, "app:3000") // { host: "app:3000", accept: "text/html" }
 */
export function copyForwardedRequestHeaders(headers: IncomingHttpHeaders, host: string): OutgoingHttpHeaders {
  const named = namedByConnection(headers.connection);
  const copy: OutgoingHttpHeaders = {};
  let hostSet = false;
  for (const name of Object.keys(headers)) {
    if (name === "host") {
      copy.host = host;
      hostSet = true;
    } else if (name !== "cookie" && isForwardedRequestField(name, named)) {
      copy[name] = headers[name];
    }
  }
  if (!hostSet) copy.host = host;
  return copy;
}

/** The fields a request's Connection value names, if it names any besides keep-alive and close. */
function namedByConnection(connection: string | undefined): Set<string> | undefined {
  // `keep-alive` and `close`, what clients send, name no field that is forwarded anyway.
  if (connection === undefined || connectionNamesNothingElse(connection)) return undefined;
  return readConnectionOptions([connection]);
}

/** Whether a request field (lower-case name) goes to the app; see prepareForwardedRequestHeaders. */
function isForwardedRequestField(name: string, named: Set<string> | undefined): boolean {
  if (name === "transfer-encoding" || name === "content-length" || name === "host") return true;
  return !notForwardedRequestFields.has(name) && named?.has(name) !== true;
}

/**
 * Ends `res` with a one-line text/plain body (plus newline). Never put a secret in `message`.
 * Does nothing if the client is gone or a response was already started.
 */
export function sendPlainText(
  res: ServerResponse,
  status: number,
  message: string,
  headers: Readonly<Record<string, string>> = {},
): void {
  sendOwnAnswer(res, status, "text/plain; charset=utf-8", `${message}\n`, headers);
}

/**
 * Answers with a ProxyError: its status, its code in `Iam-Auth-Proxy-Error`, and a body for who
 * asked — a browser (isBrowserRequest) a small page saying what happened and what to do
 * (renderProxyErrorPage), everyone else one line of text with the message and the code. Never
 * cached, never sniffed, no script may run in it; a HEAD request gets the fields only. Does
 * nothing if the client is gone or a response was already started.
 *
 * @example sendProxyError(res, new ProxyError("UPSTREAM_TIMEOUT", "app:3000 did not answer within 30 s"))
 */
export function sendProxyError(
  res: ServerResponse,
  error: Pick<ProxyError, "status" | "message" | "code">,
  headers: Readonly<Record<string, string>> = {},
): void {
  // The same URL gets a page when a browser asks and one line of text when curl does.
  const fields = { ...headers, [PROXY_ERROR_HEADER]: error.code, Vary: "Accept, Sec-Fetch-Dest" };
  // res.req is the request being answered (undefined only for a response made by hand, in tests).
  const request = (res as Partial<Pick<ServerResponse, "req">>).req;
  if (request === undefined || !isBrowserRequest(request.headers)) {
    sendPlainText(res, error.status, formatProxyErrorLine(error), fields);
    return;
  }
  sendOwnAnswer(res, error.status, "text/html; charset=utf-8", renderProxyErrorPage(error), {
    ...fields,
    "Content-Security-Policy": READ_ONLY_PAGE_CONTENT_SECURITY_POLICY,
  });
}

/**
 * Ends `res` with an answer of the proxy's own: never cached, never sniffed. Node sends no body
 * for HEAD by itself; Content-Length still says what GET would get. Does nothing if the client
 * is gone or a response was already started.
 */
function sendOwnAnswer(
  res: ServerResponse,
  status: number,
  contentType: string,
  text: string,
  headers: Readonly<Record<string, string>>,
): void {
  if (res.headersSent || res.destroyed || res.writableEnded) {
    if (!res.writableEnded) res.destroy();
    return;
  }
  const body = Buffer.from(text, "utf8");
  // The reason phrase is always given: without one, writeHead reuses res.statusMessage, which a
  // failed relay (writeRelayedHead) has left set to the app's, and an app whose reason phrase
  // Node refuses to send (`HTTP/1.1 401 \x00`) made this throw again, outside any handler, and
  // crashed the proxy.
  res.writeHead(status, STATUS_CODES[status] ?? "Unknown", {
    ...headers,
    "Content-Type": contentType,
    "Content-Length": String(body.length),
    // These answers come from the proxy, never from the app: do not let anything cache them.
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
  });
  res.end(body);
}

/**
 * Starts the client's response with the app's status and `rawHeaders`. When Node refuses them
 * (a field value it will not send), the app's response is dropped and the client gets a 502
 * instead: false then, and nothing more may be written.
 *
 * @example if (writeRelayedHead(res, response, removeHopByHopHeaders(response.rawHeaders))) response.pipe(res)
 */
export function writeRelayedHead(
  res: ServerResponse,
  response: Readable & Pick<IncomingMessage, "statusCode" | "statusMessage">,
  rawHeaders: string[],
): boolean {
  try {
    res.writeHead(response.statusCode ?? 502, response.statusMessage, rawHeaders);
    return true;
  } catch (error) {
    response.destroy();
    sendProxyError(res, {
      status: 502,
      code: "UPSTREAM_BAD_RESPONSE",
      message: `The app's response could not be relayed: ${(error as Error).message}`,
    });
    return false;
  }
}

/** A client's request and response must never crash the proxy: an error ends that exchange. */
export function listenForErrors(req: IncomingMessage, res: ServerResponse): void {
  req.on("error", () => req.destroy());
  res.on("error", () => res.destroy());
}

/** Writes a complete one-line text/plain HTTP/1.1 response on a raw socket (CONNECT, clientError, upgrades) and ends it. */
export function writeRawPlainText(socket: Duplex, status: number, message: string, code?: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const fields: Record<string, string> = code === undefined ? {} : { [PROXY_ERROR_HEADER]: code };
  socket.end(formatPlainTextResponse(status, message, fields, STATUS_CODES[status] ?? "Error"));
}

/**
 * writeRawPlainText for a ProxyError: its status, its code in `Iam-Auth-Proxy-Error`, and the one
 * line with the message and the code (see sendProxyError). Always text: the answers written on a
 * raw socket (a refused CONNECT or websocket handshake, another OS user's connection refused before
 * its request is read) are never shown by a browser as a page.
 *
 * @example writeRawProxyError(socket, new ProxyError("UPGRADE_WITH_BODY", "…"))
 */
export function writeRawProxyError(
  socket: Duplex,
  error: Pick<ProxyError, "status" | "message" | "code">,
): void {
  writeRawPlainText(socket, error.status, formatProxyErrorLine(error), error.code);
}

/**
 * A `101 Switching Protocols` head's rawHeaders for the client: hop-by-hop fields removed except
 * Connection and Upgrade, which the client needs to see the switch.
 *
 * @example keepUpgradeHeaders(["Upgrade", "websocket", "Connection", "Upgrade", "Keep-Alive", "5"]) // ["Upgrade", "websocket", "Connection", "Upgrade"]
 */
export function keepUpgradeHeaders(rawHeaders: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] ?? "";
    const lower = name.toLowerCase();
    if (lower === "connection" || lower === "upgrade" || !hopByHopFields.includes(lower)) {
      kept.push(name, rawHeaders[i + 1] ?? "");
    }
  }
  return kept;
}

/** An HTTP/1.1 response head (status line, fields, blank line) for writing on a raw socket. */
export function formatResponseHead(
  status: number,
  statusMessage: string | undefined,
  rawHeaders: readonly string[],
): string {
  let head = `HTTP/1.1 ${status} ${statusMessage ?? STATUS_CODES[status] ?? ""}\r\n`;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) head += `${rawHeaders[i]}: ${rawHeaders[i + 1]}\r\n`;
  return `${head}\r\n`;
}
