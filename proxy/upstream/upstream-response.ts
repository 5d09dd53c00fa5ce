import type { IncomingMessage } from "node:http";
import { Readable, type Duplex } from "node:stream";

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
  };

/** What the response needs of the request it belongs to (undici's DispatchController). */
export interface ResponseFlow {
  /** Reading more of the body resumes the connection after pause(). */
  resume(): void;
  /** Stops the request: the app's connection is closed rather than reused with a body half read. */
  abort(reason: Error): void;
}

/**
 * The response to one request sent with undici's dispatch(): the head as IncomingMessage has it
 * (`rawHeaders` as strings, `headersDistinct` built on first use), the body pushed in by the
 * dispatch handler. Destroying it before the body ended aborts the request.
 */
export class DispatchedResponse extends Readable implements UpstreamResponse {
  complete = false;
  readonly rawHeaders: string[];
  #failed = false;
  #headersDistinct: NodeJS.Dict<string[]> | undefined;

  constructor(
    readonly statusCode: number,
    readonly statusMessage: string,
    rawHeaders: readonly (Buffer | string)[],
    private readonly flow: ResponseFlow,
    readonly upgraded?: Duplex,
  ) {
    super();
    // Field values are octets (RFC 9110 §5.5): latin1 keeps every byte as one character, as node:http does.
    this.rawHeaders = rawHeaders.map((field) =>
      typeof field === "string" ? field : field.toString("latin1"),
    );
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

  /** Called by the dispatch handler with each chunk of the body; false: pause the connection. */
  deliver(chunk: Buffer): boolean {
    return this.push(chunk);
  }

  /** Called by the dispatch handler when the body has arrived in full. */
  finish(): void {
    this.complete = true;
    this.push(null);
  }

  /** Called by the dispatch handler when the request failed mid-body: the stream errors with it. */
  fail(error: Error): void {
    this.#failed = true;
    this.destroy(error);
  }

  override _read(): void {
    this.flow.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.complete && !this.#failed)
      this.flow.abort(error ?? new Error("The response was dropped before its body ended"));
    callback(error);
  }
}
