/*
 * What a server answers a request Node's HTTP parser rejected before any handler saw it (a bad
 * request line or header, a head too big or too slow): one line of text/plain that names the
 * parser's error, on a response that closes the connection. Node's own answer is a bare
 * `400 Bad Request` with no body, which tells a person or a script nothing. The proxy, the
 * gateway and the example server each write this on their 'clientError' event; the decision is
 * here because protocol/ is the one folder all three may import (and it stays pure: the servers
 * do the writing).
 */

/** The answer to a request the HTTP parser rejected. */
export interface ClientErrorAnswer {
  /** 431 for a head too big, 408 for a head (or request) too slow, else 400. */
  readonly status: 400 | 408 | 431;
  /** What the client did wrong; the status says how. */
  readonly code: "REQUEST_INVALID";
  /** One line, e.g. `Bad request: HPE_INVALID_METHOD`. */
  readonly message: string;
}

const reasonPhrases: Readonly<Record<ClientErrorAnswer["status"], string>> = {
  400: "Bad Request",
  408: "Request Timeout",
  431: "Request Header Fields Too Large",
};

/**
 * The answer for a 'clientError' event's error code (Node's `HPE_*` parser codes,
 * `ERR_HTTP_REQUEST_TIMEOUT`, …).
 *
 * @example describeClientError("HPE_HEADER_OVERFLOW") // { status: 431, code: "REQUEST_INVALID", message: "Bad request: HPE_HEADER_OVERFLOW" }
 */
export function describeClientError(errorCode: string | undefined): ClientErrorAnswer {
  const status =
    errorCode === "HPE_HEADER_OVERFLOW" ? 431 : errorCode === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : 400;
  return { status, code: "REQUEST_INVALID", message: `Bad request: ${errorCode ?? "malformed HTTP"}` };
}

/**
 * A complete HTTP/1.1 response carrying one line of text/plain, for writing on a raw socket
 * (no ServerResponse exists for a request the parser rejected): `Content-Length`, `no-store`,
 * `nosniff`, `Connection: close`, and `fields` (such as the code in an error header) first.
 * `reason`: the status line's reason phrase; default the standard one of the statuses above.
 *
 * @example formatPlainTextResponse(400, "Bad request: HPE_INVALID_METHOD", { "Iam-Auth-Gateway-Error": "REQUEST_INVALID" })
 */
export function formatPlainTextResponse(
  status: number,
  line: string,
  fields: Readonly<Record<string, string>> = {},
  reason: string = (reasonPhrases as Readonly<Record<number, string>>)[status] ?? "Error",
): string {
  const body = `${line}\n`;
  return (
    `HTTP/1.1 ${status} ${reason}\r\n` +
    Object.entries(fields)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join("") +
    "Content-Type: text/plain; charset=utf-8\r\n" +
    `Content-Length: ${new TextEncoder().encode(body).length}\r\n` +
    "Cache-Control: no-store\r\n" +
    "X-Content-Type-Options: nosniff\r\n" +
    "Connection: close\r\n\r\n" +
    body
  );
}
