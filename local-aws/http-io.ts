import type { IncomingMessage, ServerResponse } from "node:http";
import type { SignedHttpRequest } from "./sigv4-verify.js";

/** What an API handler answers; the server writes it and logs `log`. */
export interface ApiResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
  readonly requestId?: string;
  /** Fields of the one log line for this call: who, what, outcome. Never secrets. */
  readonly log: Readonly<Record<string, string | undefined>>;
}

/** Thrown by readBody when the body exceeds the limit. */
export class BodyTooLargeError extends Error {
  readonly code = "BODY_TOO_LARGE";

  constructor(readonly limit: number) {
    super(`request body exceeds ${limit} bytes`);
    this.name = "BodyTooLargeError";
  }
}

/** Reads the whole request body, rejecting with BodyTooLargeError past `limit` bytes. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > limit) {
      reject(new BodyTooLargeError(limit));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (error: Error | undefined): void => {
      if (settled) return;
      settled = true;
      if (error === undefined) resolve(Buffer.concat(chunks));
      else reject(error);
    };
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) settle(new BodyTooLargeError(limit));
      else if (!settled) chunks.push(chunk);
    });
    req.on("end", () => settle(undefined));
    req.on("error", (error) => settle(error));
    req.on("close", () => settle(new Error("request closed before its body was complete")));
  });
}

/** Splits a raw request target into its path (kept encoded, as signed) and decoded query. */
export function splitTarget(target: string): { path: string; query: Record<string, string | string[]> } {
  const q = target.indexOf("?");
  const path = q === -1 ? target : target.slice(0, q);
  // Null prototype: a parameter named "__proto__" must be just a parameter.
  const query = Object.create(null) as Record<string, string | string[]>;
  if (q === -1) return { path, query };
  for (const [name, value] of new URLSearchParams(target.slice(q + 1))) {
    const existing = query[name];
    if (existing === undefined) query[name] = value;
    else if (typeof existing === "string") query[name] = [existing, value];
    else existing.push(value);
  }
  return { path, query };
}

/** Headers as SigV4 sees them: lower-case names, repeated headers joined with commas. */
export function collectHeaders(req: IncomingMessage): Record<string, string> {
  const headers = Object.create(null) as Record<string, string>;
  for (const [name, values] of Object.entries(req.headersDistinct)) {
    if (values !== undefined) headers[name] = values.join(",");
  }
  return headers;
}

/** The request in the shape the signature verifier takes. */
export function toSignedRequest(req: IncomingMessage, body: Buffer): SignedHttpRequest {
  const { path, query } = splitTarget(req.url ?? "/");
  return { method: req.method ?? "GET", path, query, headers: collectHeaders(req), body };
}

/** Writes a JSON reply; `close` asks the client to drop the connection (e.g. after an unread body). */
export function sendJson(res: ServerResponse, status: number, value: unknown, close = false): void {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
    ...(close ? { connection: "close" } : {}),
  });
  res.end(body);
}

/** Writes an API handler's reply. */
export function sendApiResponse(res: ServerResponse, response: ApiResponse): void {
  res.writeHead(response.status, {
    "content-type": response.contentType,
    "content-length": Buffer.byteLength(response.body),
    ...(response.requestId === undefined ? {} : { "x-amzn-requestid": response.requestId }),
  });
  res.end(response.body);
}
