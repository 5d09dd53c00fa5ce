/**
 * Reads an app's HTTP/1.1 response off its connection: the head in full (status, reason, every
 * field as it came, for the sign-in decision and the relay) and the body's framing (RFC 9112 §6),
 * so that a connection is reused only when where the response ends is certain. It is strict
 * where leniency lets two readers disagree on that: CRLF line ends only, no obs-fold, no space
 * before a colon, one Content-Length value and never with Transfer-Encoding, a chunk size of
 * hex digits. A response it cannot
 * read rejects with a ResponseSyntaxError (502 UPSTREAM_BAD_RESPONSE), never a guess.
 */

/** Which rule an app's response broke; code branches on these, never on the message. */
export type ResponseSyntaxCode =
  | "STATUS_LINE_INVALID"
  | "HEADER_LINE_INVALID"
  | "HEAD_TOO_LARGE"
  | "CONTENT_LENGTH_INVALID"
  | "CHUNK_INVALID";

/** An app's response that is not HTTP/1.1 the proxy can relay. */
export class ResponseSyntaxError extends Error {
  override readonly name = "ResponseSyntaxError";
  constructor(
    readonly code: ResponseSyntaxCode,
    message: string,
  ) {
    super(message);
  }
}

/** A final response head (or a 101), as the app sent it. */
export interface ResponseHead {
  readonly statusCode: number;
  /** The reason phrase; may be empty. */
  readonly statusMessage: string;
  /** Field names and values in turn, as they came (latin1: every octet one character). */
  readonly rawHeaders: string[];
  /**
   * The connection may carry another request once this response has ended: HTTP/1.1, no
   * `Connection: close`, and a body whose end is known from the message itself.
   */
  readonly reusable: boolean;
  /** How long the app keeps an idle connection open, from `Keep-Alive: timeout=N`, in seconds. */
  readonly keepAliveSeconds: number | undefined;
}

/** Where the reader hands what it read. */
export interface ResponseEvents {
  /** The final head (1xx interim responses are skipped, except a 101 to an upgrade). */
  head(head: ResponseHead): void;
  /** A piece of the body, framing removed. */
  body(chunk: Buffer): void;
  /** The body has ended (at once, for a response without one). */
  end(): void;
}

/** What a response may be; beyond it the reader refuses (node:http's and undici's default is 16 KiB). */
export interface ResponseLimits {
  /** Bytes of a head (status line and fields), and of a chunked body's trailer section. Default 16 KiB. */
  readonly maxHeadBytes?: number;
}

const DEFAULT_MAX_HEAD_BYTES = 16 * 1024;
// A chunk-size line: up to 16 hex digits and extensions, which the proxy ignores (RFC 9112 §7.1.1).
const MAX_CHUNK_LINE_BYTES = 4096;
const CRLF = Buffer.from("\r\n");
const HEAD_END = Buffer.from("\r\n\r\n");
const HTTP_PREFIX = Buffer.from("HTTP/");

// RFC 9112 §4: HTTP-version SP 3DIGIT SP reason-phrase; a missing SP before an empty reason is accepted.
const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: ([^\x00-\x08\x0a-\x1f\x7f]*))?$/;
// RFC 9110 §5.1/§5.5: a token, a colon with nothing before it, the value without leading or
// trailing whitespace and without control characters (a bare CR or LF included). A line
// starting with whitespace (obs-fold, RFC 9112 §5.2) fails the token.
const FIELD_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[\t ]*([^\x00-\x08\x0a-\x1f\x7f]*?)[\t ]*$/;
// A chunk size, then optional extensions without control characters (RFC 9112 §7.1.1).
const CHUNK_LINE = /^([0-9A-Fa-f]{1,13})[\t ]*(?:;[^\x00-\x08\x0a-\x1f\x7f]*)?$/;
const DIGITS = /^\d{1,15}$/;

type BodyState =
  | { kind: "head" }
  | { kind: "length"; remaining: number }
  | { kind: "chunk-size" }
  | { kind: "chunk-data"; remaining: number }
  | { kind: "chunk-data-end"; seen: number }
  | { kind: "trailers"; bytes: number }
  | { kind: "until-close" }
  | { kind: "done" };

/**
 * Reads one response to a request with `method`, fed the connection's bytes in order.
 *
 * @example
 * const reader = new ResponseReader("GET", { head: (h) => …, body: (b) => …, end: () => … });
 * socket.on("data", (chunk) => { const rest = reader.read(chunk); … });
 */
export class ResponseReader {
  #state: BodyState = { kind: "head" };
  /** Bytes of an unfinished head, chunk-size line or trailer line. */
  #pending: Buffer | undefined;
  readonly #maxHeadBytes: number;

  constructor(
    private readonly method: string,
    private readonly events: ResponseEvents,
    limits: ResponseLimits = {},
  ) {
    this.#maxHeadBytes = limits.maxHeadBytes ?? DEFAULT_MAX_HEAD_BYTES;
  }

  /** The head has been read. */
  get headRead(): boolean {
    return this.#state.kind !== "head";
  }

  /** The response has ended. */
  get done(): boolean {
    return this.#state.kind === "done";
  }

  /**
   * Reads the next bytes of the connection. Returns the bytes after the end of the response
   * (after a 101's head: the new protocol's first bytes), or undefined when all were used.
   * Throws a ResponseSyntaxError; the connection must then be closed.
   */
  read(chunk: Buffer): Buffer | undefined {
    let data = chunk;
    while (data.length > 0) {
      const state = this.#state;
      switch (state.kind) {
        case "head":
          data = this.#readHead(data);
          break;
        case "length": {
          if (data.length < state.remaining) {
            state.remaining -= data.length;
            this.events.body(data);
            return undefined;
          }
          const body = data.subarray(0, state.remaining);
          data = data.subarray(state.remaining);
          this.#finish();
          this.events.body(body);
          this.events.end();
          break;
        }
        case "chunk-size":
          data = this.#readChunkSize(data);
          break;
        case "chunk-data": {
          const take = Math.min(state.remaining, data.length);
          state.remaining -= take;
          this.events.body(take === data.length ? data : data.subarray(0, take));
          data = data.subarray(take);
          if (state.remaining === 0) this.#state = { kind: "chunk-data-end", seen: 0 };
          break;
        }
        case "chunk-data-end": {
          // Exactly CRLF after a chunk's data, possibly split across reads.
          while (state.seen < 2 && data.length > 0) {
            if (data[0] !== CRLF[state.seen]) throw chunkError("no CRLF after a chunk's data");
            state.seen += 1;
            data = data.subarray(1);
          }
          if (state.seen === 2) this.#state = { kind: "chunk-size" };
          break;
        }
        case "trailers":
          data = this.#readTrailers(data, state);
          break;
        case "until-close":
          this.events.body(data);
          return undefined;
        case "done":
          return data;
      }
    }
    return undefined;
  }

  /**
   * The app closed its side. Ends a body that runs until the connection closes and returns
   * true; false when the response was cut short (no complete head, or a body short of its framing).
   */
  readEnd(): boolean {
    if (this.#state.kind === "until-close") {
      this.#finish();
      this.events.end();
      return true;
    }
    return this.#state.kind === "done";
  }

  #finish(): void {
    this.#state = { kind: "done" };
    this.#pending = undefined;
  }

  #readHead(chunk: Buffer): Buffer {
    const data = this.#pending === undefined ? chunk : Buffer.concat([this.#pending, chunk]);
    // Not a response at all: said at once rather than after 16 KiB or a timeout.
    const prefix = Math.min(data.length, HTTP_PREFIX.length);
    if (data.compare(HTTP_PREFIX, 0, prefix, 0, prefix) !== 0)
      throw new ResponseSyntaxError("STATUS_LINE_INVALID", "the response does not start with HTTP/");
    const end = data.indexOf(HEAD_END);
    if (end < 0 || end + HEAD_END.length > this.#maxHeadBytes) {
      if (data.length > this.#maxHeadBytes || end >= 0) throw headTooLarge(this.#maxHeadBytes);
      this.#pending = data;
      return Buffer.alloc(0);
    }
    this.#pending = undefined;
    const rest = data.subarray(end + HEAD_END.length);
    const lines = data.toString("latin1", 0, end).split("\r\n");
    const status = STATUS_LINE.exec(lines[0] as string);
    if (status === null)
      throw new ResponseSyntaxError("STATUS_LINE_INVALID", "the status line is not HTTP/1.x");
    const statusCode = Number(status[2]);
    // 1xx interim responses (100 Continue, 103 Early Hints) come before the final one; a 101 is final.
    if (statusCode < 200 && statusCode !== 101) {
      checkFields(lines);
      return rest;
    }
    const framing = readFraming(lines, status[1] === "1");
    // RFC 9112 §6.3: no body after HEAD, 1xx, 204 and 304, whatever the fields say; a 101's
    // connection belongs to the new protocol from the byte after the head.
    const bodiless = this.method === "HEAD" || statusCode === 204 || statusCode === 304;
    const head: ResponseHead = {
      statusCode,
      statusMessage: status[3] ?? "",
      rawHeaders: framing.rawHeaders,
      reusable: statusCode !== 101 && (bodiless ? !framing.close : framing.reusable),
      keepAliveSeconds: framing.keepAliveSeconds,
    };
    if (bodiless || statusCode === 101) {
      this.#finish();
      this.events.head(head);
      this.events.end();
      return rest;
    }
    const body = framing.body;
    this.#state =
      body.kind === "length"
        ? { kind: "length", remaining: body.bytes }
        : body.kind === "chunked"
          ? { kind: "chunk-size" }
          : { kind: "until-close" };
    this.events.head(head);
    if (this.#state.kind === "length" && this.#state.remaining === 0) {
      this.#finish();
      this.events.end();
    }
    return rest;
  }

  #readChunkSize(chunk: Buffer): Buffer {
    const line = this.#takeLine(chunk, MAX_CHUNK_LINE_BYTES, "a chunk-size line");
    if (line === undefined) return Buffer.alloc(0);
    const size = CHUNK_LINE.exec(line.text);
    if (size === null) throw chunkError("a chunk size is not hexadecimal digits");
    const bytes = Number.parseInt(size[1] as string, 16);
    this.#state = bytes === 0 ? { kind: "trailers", bytes: 0 } : { kind: "chunk-data", remaining: bytes };
    return line.rest;
  }

  #readTrailers(chunk: Buffer, state: { bytes: number }): Buffer {
    const line = this.#takeLine(
      chunk,
      Math.max(0, this.#maxHeadBytes - state.bytes - CRLF.length),
      "the trailer section",
      this.#maxHeadBytes,
    );
    if (line === undefined) return Buffer.alloc(0);
    state.bytes += line.text.length + 2;
    if (line.text === "") {
      this.#finish();
      this.events.end();
    } else if (!FIELD_LINE.test(line.text)) {
      // Trailer fields are not relayed (neither does node:http), but they must be well formed.
      throw chunkError("a trailer field is malformed");
    }
    return line.rest;
  }

  /**
   * The next CRLF-terminated line (without it) of at most `maxBytes`, keeping a partial one for
   * the next read; past the limit, an error naming `what` and `limit` (default `maxBytes`).
   */
  #takeLine(
    chunk: Buffer,
    maxBytes: number,
    what: string,
    limit = maxBytes,
  ): { text: string; rest: Buffer } | undefined {
    const data = this.#pending === undefined ? chunk : Buffer.concat([this.#pending, chunk]);
    const end = data.indexOf(CRLF);
    if (end < 0 || end > maxBytes) {
      // A line of exactly maxBytes may be waiting for the LF after its CR.
      if (data.length > maxBytes + 1 || end >= 0) throw chunkError(`${what} is longer than ${limit} bytes`);
      this.#pending = data;
      return undefined;
    }
    this.#pending = undefined;
    return { text: data.toString("latin1", 0, end), rest: data.subarray(end + CRLF.length) };
  }
}

type Framing = {
  readonly rawHeaders: string[];
  /** HTTP/1.0, or `Connection: close`. */
  readonly close: boolean;
  readonly body:
    | { readonly kind: "chunked" }
    | { readonly kind: "until-close" }
    | { readonly kind: "length"; readonly bytes: number };
  readonly reusable: boolean;
  readonly keepAliveSeconds: number | undefined;
};

/** The fields of a head (lines after the status line), and the framing they give its body (RFC 9112 §6.3). */
function readFraming(lines: readonly string[], http11: boolean): Framing {
  const rawHeaders: string[] = [];
  let contentLength: number | undefined;
  let transferCodings: string[] | undefined;
  let close = !http11;
  let keepAliveSeconds: number | undefined;
  for (let i = 1; i < lines.length; i++) {
    const field = FIELD_LINE.exec(lines[i] as string);
    if (field === null) throw fieldError(lines[i] as string);
    const name = field[1] as string;
    const value = field[2] as string;
    rawHeaders.push(name, value);
    // Only the framing fields are looked at; their names' lengths rule out the rest cheaply.
    switch (name.length) {
      case 14:
        if (name.toLowerCase() === "content-length") contentLength = readContentLength(value, contentLength);
        break;
      case 17:
        if (name.toLowerCase() === "transfer-encoding")
          (transferCodings ??= []).push(
            ...value
              .toLowerCase()
              .split(",")
              .map((coding) => coding.trim()),
          );
        break;
      case 10: {
        const lower = name.toLowerCase();
        if (lower === "connection") {
          if (
            value
              .toLowerCase()
              .split(",")
              .some((token) => token.trim() === "close")
          )
            close = true;
        } else if (lower === "keep-alive") {
          // A number of seconds standing alone (RFC 2068 §19.7.1.1); anything else is not a hint.
          const timeout = /(?:^|[,\s])timeout=(\d{1,6})(?=$|[,\s])/i.exec(value);
          if (timeout !== null) keepAliveSeconds = Number(timeout[1]);
        }
        break;
      }
    }
  }
  if (transferCodings !== undefined) {
    // RFC 9112 §6.3: a message with both "might indicate an attempt to perform request
    // smuggling or response splitting and ought to be handled as an error" (llhttp refuses it too).
    if (contentLength !== undefined)
      throw new ResponseSyntaxError(
        "CONTENT_LENGTH_INVALID",
        "the response has both Transfer-Encoding and Content-Length",
      );
    // A last coding other than chunked: the body ends when the connection does.
    const chunked = transferCodings.at(-1) === "chunked";
    return {
      rawHeaders,
      close,
      body: chunked ? { kind: "chunked" } : { kind: "until-close" },
      reusable: chunked && !close,
      keepAliveSeconds,
    };
  }
  if (contentLength !== undefined)
    return {
      rawHeaders,
      close,
      body: { kind: "length", bytes: contentLength },
      reusable: !close,
      keepAliveSeconds,
    };
  return { rawHeaders, close, body: { kind: "until-close" }, reusable: false, keepAliveSeconds };
}

/** A Content-Length value: digits, or a list of the same digits (RFC 9110 §8.6); every field must agree. */
function readContentLength(value: string, earlier: number | undefined): number {
  let length = earlier;
  for (const part of value.split(",")) {
    const digits = part.trim();
    if (!DIGITS.test(digits))
      throw new ResponseSyntaxError("CONTENT_LENGTH_INVALID", "Content-Length is not a number of bytes");
    const bytes = Number(digits);
    if (length !== undefined && bytes !== length)
      throw new ResponseSyntaxError(
        "CONTENT_LENGTH_INVALID",
        "the response has two different Content-Length values",
      );
    length = bytes;
  }
  return length as number;
}

function checkFields(lines: readonly string[]): void {
  for (let i = 1; i < lines.length; i++)
    if (!FIELD_LINE.test(lines[i] as string)) throw fieldError(lines[i] as string);
}

function fieldError(line: string): ResponseSyntaxError {
  const why = /^[\t ]/.test(line)
    ? "a header line is folded (obs-fold)"
    : line.includes(":")
      ? "a header field has an invalid name or value"
      : "a header line has no colon";
  return new ResponseSyntaxError("HEADER_LINE_INVALID", why);
}

function headTooLarge(maxBytes: number): ResponseSyntaxError {
  return new ResponseSyntaxError("HEAD_TOO_LARGE", `the response head is larger than ${maxBytes} bytes`);
}

function chunkError(why: string): ResponseSyntaxError {
  return new ResponseSyntaxError("CHUNK_INVALID", `the chunked body is malformed: ${why}`);
}
