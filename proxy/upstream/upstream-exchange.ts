import type { IncomingMessage } from "node:http";
import { ProxyError } from "../common/errors.js";
import type { AppConnection, ConnectionPool, ConnectionUser } from "./connection-pool.js";
import { ResponseReader, type ResponseEvents, type ResponseHead } from "./response-reader.js";
import { RelayedResponse, type ResponseFlow, type UpstreamResponse } from "./upstream-response.js";

/** A request ready for the wire: its head written out, its body as it will be sent. */
export interface PreparedRequest {
  readonly method: string;
  /** Request line and fields, ending in the empty line (see writeRequestHead). */
  readonly head: string;
  readonly body:
    | { readonly kind: "none" }
    | { readonly kind: "bytes"; readonly bytes: Buffer }
    /** Sent as it comes: `chunked` frames each piece, otherwise the client's Content-Length holds. */
    | {
        readonly kind: "stream";
        readonly head: readonly Buffer[];
        readonly rest: IncomingMessage;
        readonly chunked: boolean;
      };
  /** Asked for a protocol switch: a 101 hands the connection over. */
  readonly upgrade: boolean;
  /** Who the failures name: `host[:port]` as addressed. */
  readonly host: string;
}

/** How an exchange ends before a response could be handed on. */
export interface ExchangeOutcome {
  resolve(response: UpstreamResponse): void;
  /** `unanswered`: not one byte of a response arrived (a reused connection the app had closed). */
  reject(error: Error, unanswered: boolean): void;
}

/** The app's connection closed (or broke) before its response was complete. */
export class ConnectionClosedError extends Error {
  override readonly name = "ConnectionClosedError";
  readonly code = "UPSTREAM_CLOSED";
  constructor(cause: Error | undefined) {
    super(
      cause === undefined
        ? "the connection closed before a complete response"
        : `the connection failed before a complete response (${(cause as { code?: string }).code ?? cause.message})`,
      { cause },
    );
  }
}

const CRLF = "\r\n";
const LAST_CHUNK = "0\r\n\r\n";

/**
 * One request on one connection to an app: writes it, reads the response (ResponseReader) and
 * hands the head on as soon as it is complete, the body as it arrives; then gives the connection
 * back to the pool when the response ended cleanly and both sides are done with it, or closes
 * it. The connection's idle timer is the head timeout while the head is awaited, and nothing
 * times the body: a long poll or an event stream goes on for as long as the client wants it.
 */
export class UpstreamExchange implements ConnectionUser, ResponseEvents, ResponseFlow {
  readonly #reader: ResponseReader;
  #head: ResponseHead | undefined;
  #response: RelayedResponse | undefined;
  #bodyEnded = false;
  /** The whole request is written: the connection can carry another one after the response. */
  #requestSent = false;
  #received = false;
  /** The response ended or the exchange failed: later events of the connection are not ours. */
  #over = false;

  constructor(
    private readonly connection: AppConnection,
    private readonly pool: ConnectionPool,
    private readonly request: PreparedRequest,
    private readonly headTimeoutMs: number,
    private readonly outcome: ExchangeOutcome,
  ) {
    this.#reader = new ResponseReader(request.method, this);
  }

  /** Sends the request. */
  start(): void {
    const { connection, request } = this;
    const socket = connection.socket;
    connection.user = this;
    socket.setTimeout(this.headTimeoutMs);
    const { body } = request;
    if (body.kind === "none") {
      socket.write(request.head, "latin1");
      this.#requestSent = true;
    } else if (body.kind === "bytes") {
      // Head and body in one writev.
      socket.cork();
      socket.write(request.head, "latin1");
      socket.write(body.bytes);
      socket.uncork();
      this.#requestSent = true;
    } else {
      socket.write(request.head, "latin1");
      this.#sendStream(body).catch((error: unknown) => this.fail(error as Error));
    }
  }

  /** Stops the exchange: the connection is closed (it cannot be reused with a response half read). */
  abort(reason: Error): void {
    this.fail(reason);
  }

  // --- ResponseFlow: what the response's consumer asks of the connection.

  resume(): void {
    // Once the response has ended the connection is no longer this response's to resume.
    if (!this.#over) this.connection.socket.resume();
  }

  // --- ConnectionUser: the connection's events.

  onData(chunk: Buffer): void {
    if (this.#over) return;
    this.#received = true;
    let rest: Buffer | undefined;
    try {
      rest = this.#reader.read(chunk);
    } catch (error) {
      this.fail(error as Error);
      return;
    }
    if (this.#reader.done) this.#complete(rest);
  }

  onEnd(): void {
    if (this.#over) return;
    if (this.#reader.readEnd()) this.#complete(undefined);
    else this.fail(new ConnectionClosedError(undefined));
  }

  onClosed(error: Error | undefined): void {
    if (!this.#over) this.fail(new ConnectionClosedError(error));
  }

  onTimeout(): void {
    if (this.#over || this.#head !== undefined) return;
    this.fail(
      new ProxyError(
        "UPSTREAM_TIMEOUT",
        `${this.request.host} did not send its response head within ${this.headTimeoutMs / 1000} s (the upstream timeout)`,
      ),
    );
  }

  // --- ResponseEvents: what the reader found.

  head(head: ResponseHead): void {
    this.#head = head;
    this.connection.socket.setTimeout(0);
    // A 101 is handed on with its connection once the reader has said where the head ended.
    if (head.statusCode === 101) return;
    this.#response = new RelayedResponse(head.statusCode, head.statusMessage, head.rawHeaders, this);
    this.outcome.resolve(this.#response);
  }

  body(chunk: Buffer): void {
    if (this.#response?.deliver(chunk) === false) this.connection.socket.pause();
  }

  end(): void {
    this.#bodyEnded = true;
  }

  // --- Endings.

  #complete(rest: Buffer | undefined): void {
    this.#over = true;
    const head = this.#head as ResponseHead;
    if (head.statusCode === 101) {
      if (!this.request.upgrade) {
        // A protocol switch nobody asked for: its bytes cannot be relayed as HTTP.
        this.connection.destroy();
        this.#reject(
          new ProxyError(
            "UPSTREAM_BAD_RESPONSE",
            `${this.request.host} switched protocols without being asked to`,
          ),
        );
        return;
      }
      const socket = this.connection.detach();
      if (rest !== undefined && rest.length > 0) socket.unshift(rest);
      const upgraded = new RelayedResponse(101, head.statusMessage, head.rawHeaders, this, socket);
      upgraded.finish();
      this.outcome.resolve(upgraded);
      return;
    }
    // Reused only when nothing is left over: bytes after the response mean the app and the proxy
    // disagree on where it ended, and the next response on it could not be trusted.
    if (head.reusable && this.#requestSent && rest === undefined && !this.request.upgrade) {
      // The last piece may have paused it (the consumer had not attached): a paused idle
      // connection would not notice the app closing it.
      this.connection.socket.resume();
      this.pool.keep(this.connection, head.keepAliveSeconds);
    } else {
      this.connection.destroy();
    }
    if (this.#bodyEnded) this.#response?.finish();
  }

  fail(error: Error): void {
    if (this.#over) {
      // After a 101 or a completed response, only a response still being read can be stopped.
      return;
    }
    this.#over = true;
    this.connection.destroy(error);
    if (this.#response === undefined) this.#reject(error);
    else this.#response.fail(error);
  }

  #reject(error: Error): void {
    this.outcome.reject(error, !this.#received);
  }

  /** Writes a body as it comes from the client, pausing while the app's connection is full. */
  async #sendStream(body: Extract<PreparedRequest["body"], { kind: "stream" }>): Promise<void> {
    const socket = this.connection.socket;
    const write = async (chunk: Buffer): Promise<void> => {
      if (this.#over || chunk.length === 0) return;
      let room: boolean;
      if (body.chunked) {
        socket.cork();
        socket.write(`${chunk.length.toString(16)}${CRLF}`, "latin1");
        socket.write(chunk);
        room = socket.write(CRLF, "latin1");
        socket.uncork();
      } else {
        room = socket.write(chunk);
      }
      if (!room && !socket.destroyed) await waitForDrain(socket);
    };
    for (const chunk of body.head) await write(chunk);
    // Not destroyed when the loop stops early: the client's connection carries its next request.
    for await (const chunk of body.rest.iterator({ destroyOnReturn: false })) {
      if (this.#over) break;
      await write(chunk as Buffer);
    }
    if (this.#over) {
      // The app answered (or failed) before taking the whole body: the rest is read and dropped.
      body.rest.resume();
      return;
    }
    if (body.chunked) socket.write(LAST_CHUNK, "latin1");
    this.#requestSent = true;
  }
}

function waitForDrain(socket: AppConnection["socket"]): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off("drain", done);
      socket.off("close", done);
      resolve();
    };
    socket.on("drain", done);
    socket.on("close", done);
  });
}
