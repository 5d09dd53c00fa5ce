import type { IncomingMessage } from "node:http";

/** A client's request body as the proxy holds it. */
export type RequestBody =
  /** Read to the end: it can be sent again (replayed after a sign-in). */
  | { readonly kind: "complete"; readonly bytes: Buffer }
  /** Larger than the limit: `head` was read, `rest` is the request stream, paused. Sent once only. */
  | { readonly kind: "streaming"; readonly head: readonly Buffer[]; readonly rest: IncomingMessage };

/** What a request without a body holds: nothing to read, and it can be replayed as it is. */
export const NO_REQUEST_BODY: Extract<RequestBody, { kind: "complete" }> = Object.freeze({
  kind: "complete",
  bytes: Buffer.alloc(0),
});

/**
 * Whether `req` has a body to read: only a Content-Length or Transfer-Encoding field announces
 * one (RFC 9112 §6.3), whatever the method. A GET without either has none.
 */
export function hasRequestBody(req: IncomingMessage): boolean {
  const { headers } = req;
  return headers["content-length"] !== undefined || headers["transfer-encoding"] !== undefined;
}

/** Bodies up to this size are kept so the request can be replayed after a sign-in. */
export const DEFAULT_MAX_REPLAY_BODY_BYTES = 1024 * 1024;

/**
 * Reads a request body up to `maxBytes`. A body that fits is returned whole; a bigger one is
 * returned as what was read plus the paused rest, to be streamed. Rejects if the client goes
 * away before the body ends.
 *
 * @example const body = await readRequestBody(req, 1024 * 1024)
 */
export function readRequestBody(req: IncomingMessage, maxBytes: number): Promise<RequestBody> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = (): void => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("close", onClose);
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      size += chunk.length;
      if (size > maxBytes) {
        req.pause();
        cleanup();
        resolve({ kind: "streaming", head: chunks, rest: req });
      }
    };
    const onEnd = (): void => {
      cleanup();
      resolve({ kind: "complete", bytes: Buffer.concat(chunks, size) });
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(error);
    };
    const onClose = (): void => {
      cleanup();
      reject(new Error("the client closed the connection before the request body ended"));
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
    req.on("close", onClose);
  });
}
