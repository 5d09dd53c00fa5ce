import type { IncomingMessage } from "node:http";
import { Readable, type Duplex, type Writable } from "node:stream";

/**
 * An app's response as the forwarding code reads it: the head, and the body as a stream. What
 * node:http's IncomingMessage has of it, so either client's responses fit.
 */
export type UpstreamResponse = Readable &
  Pick<IncomingMessage, "statusCode" | "statusMessage" | "rawHeaders" | "headersDistinct" | "complete"> & {
    /**
     * The connection an app handed over with `101 Switching Protocols` (only ever for a request
     * sent with `upgrade`); whoever relays the 101 joins it to the client's, or destroys it.
     */
    readonly upgraded?: Duplex | undefined;
    /**
     * Writes the body into `client` as it arrives and ends it with the body, honouring its
     * backpressure; a client closed before the body ended stops the response. Instead of the
     * stream interface, not with it: what pipe() would do, without a Readable's buffering,
     * flowing mode and end/close events per response (see relayBodyTo).
     */
    relayBodyTo(client: RelaySink): void;
  };

/** What relayBodyTo writes into: the client's response (node:http's ServerResponse). */
export type RelaySink = Pick<Writable, "write" | "end" | "once" | "destroyed">;

/** What the response needs of the request it belongs to (the exchange on the app's connection). */
export interface ResponseFlow {
  /** Reading more of the body resumes the connection after pause(). */
  resume(): void;
  /** Stops the request: the app's connection is closed rather than reused with a body half read. */
  abort(reason: Error): void;
}

// Body bytes held for a consumer that has not attached yet before the app's connection is paused:
// a Readable's default highWaterMark.
const HELD_BYTES_LIMIT = 16 * 1024;
// A complete body up to this size goes to the client as one string with the head (see relayBodyTo).
const JOINED_BODY_BYTES = 16 * 1024;

/**
 * The response to one request to an app: the head as IncomingMessage has it (`rawHeaders` as
 * strings, `headersDistinct` built on first use), the body handed in by the exchange reading
 * the app's connection (see UpstreamExchange). Destroying it before the body ended aborts the
 * request.
 *
 * The body is held in a plain list until a consumer comes: relayBodyTo() writes it straight into
 * the client's response (the forwarding path: a small body usually arrives with the head, so the
 * client gets head and body in one write), and a read through the stream interface (read(),
 * 'data', pipe(), async iteration) switches to a Readable's own buffering for good.
 */
export class RelayedResponse extends Readable implements UpstreamResponse {
  complete = false;
  #failed = false;
  #headersDistinct: NodeJS.Dict<string[]> | undefined;
  /** Chunks not yet taken by a consumer; undefined once one has attached. */
  #held: Buffer[] | undefined = [];
  #heldBytes = 0;
  #sink: RelaySink | undefined;
  #waitingForDrain = false;

  constructor(
    readonly statusCode: number,
    readonly statusMessage: string,
    /** Names and values in turn; values are octets (RFC 9110 §5.5), one latin1 character each, as node:http has them. */
    readonly rawHeaders: string[],
    private readonly flow: ResponseFlow,
    readonly upgraded?: Duplex,
  ) {
    super();
  }

  get headersDistinct(): NodeJS.Dict<string[]> {
    if (this.#headersDistinct !== undefined) return this.#headersDistinct;
    const fields: NodeJS.Dict<string[]> = Object.create(null) as NodeJS.Dict<string[]>;
    for (let i = 0; i + 1 < this.rawHeaders.length; i += 2) {
      const name = (this.rawHeaders[i] as string).toLowerCase();
      (fields[name] ??= []).push(this.rawHeaders[i + 1] as string);
    }
    this.#headersDistinct = fields;
    return fields;
  }

  /** Called by the exchange with each chunk of the body; false: pause the connection. */
  deliver(chunk: Buffer): boolean {
    if (this.#sink !== undefined) return this.#writeToSink(this.#sink, chunk);
    if (this.#held === undefined) return this.push(chunk);
    this.#held.push(chunk);
    this.#heldBytes += chunk.length;
    return this.#heldBytes < HELD_BYTES_LIMIT;
  }

  /** Called by the exchange when the body has arrived in full. */
  finish(): void {
    this.complete = true;
    if (this.#sink !== undefined) this.#sink.end();
    else if (this.#held === undefined) this.push(null);
    // Otherwise the end is passed on when a consumer attaches.
  }

  /** Called by the exchange when the request failed mid-body: the stream errors with it. */
  fail(error: Error): void {
    this.#failed = true;
    this.destroy(error);
  }

  relayBodyTo(client: RelaySink): void {
    const held = this.#held;
    if (held === undefined) throw new Error("relayBodyTo: the body already has a consumer");
    this.#held = undefined;
    this.#sink = client;
    // The whole body is here (the usual case for a small response): head and body go in one write.
    if (this.complete) {
      const last = held.pop();
      for (const chunk of held) client.write(chunk);
      if (last === undefined) client.end();
      // node:http joins a latin1 string body to the head it has not sent yet, one buffer and one
      // write(2); a Buffer body would go as a second chunk of a writev. latin1 keeps every byte.
      else if (held.length === 0 && last.length <= JOINED_BODY_BYTES)
        client.end(last.toString("latin1"), "latin1");
      else client.end(last);
      return;
    }
    // A client gone before the body ended: the app's connection cannot be reused with it half read.
    if (client.destroyed) {
      this.destroy();
      return;
    }
    client.once("close", () => {
      if (!this.complete) this.destroy();
    });
    let drained = true;
    for (const chunk of held) drained = this.#writeToSink(client, chunk) && drained;
    // deliver() paused the connection when too much was held: resume it unless the client is full.
    if (drained && this.#heldBytes >= HELD_BYTES_LIMIT) this.flow.resume();
    this.#heldBytes = 0;
  }

  /** Writes a chunk into the client; false when it is full, and the connection resumes once it drains. */
  #writeToSink(sink: RelaySink, chunk: Buffer): boolean {
    if (sink.write(chunk)) return true;
    if (!this.#waitingForDrain) {
      this.#waitingForDrain = true;
      sink.once("drain", () => {
        this.#waitingForDrain = false;
        this.flow.resume();
      });
    }
    return false;
  }

  override _read(): void {
    const held = this.#held;
    if (held !== undefined) {
      // The first read through the stream interface: what arrived so far goes into its buffer.
      this.#held = undefined;
      for (const chunk of held) this.push(chunk);
      if (this.complete) {
        this.push(null);
        return;
      }
    }
    this.flow.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.complete && !this.#failed)
      this.flow.abort(error ?? new Error("The response was dropped before its body ended"));
    callback(error);
  }
}
