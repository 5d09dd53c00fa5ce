import type { OutgoingHttpHeaders } from "node:http";
import { ProxyError } from "../common/errors.js";

/** How the request's body is framed on the wire (RFC 9112 §6). */
export type RequestFraming =
  | { readonly kind: "none" }
  | { readonly kind: "length"; readonly bytes: number }
  /** A body whose length is not known in advance, sent in chunks. */
  | { readonly kind: "chunked" };

// RFC 9110 §5.1: a field name is a token.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// RFC 9110 §5.5: a field value has no control characters but HTAB (no CR, LF or NUL: no header injection).
const INVALID_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
// RFC 9112 §3.2: a request-target has no whitespace or control characters (some servers split on a tab).
const INVALID_TARGET = /[^\x21-\x7e\x80-\xff]/;
// Set by the sender from the body and the upgrade; a caller's copy would contradict it.
const FRAMING_FIELDS: ReadonlySet<string> = new Set([
  "content-length",
  "transfer-encoding",
  "connection",
  "upgrade",
]);

/**
 * The request line and header section for an app, as one latin1 string ending in the empty
 * line: `headers` as given (names as they are, each value of a list on its own line), then the
 * framing and, for an upgrade, `Connection: upgrade` and `Upgrade`. A name or value HTTP/1.1
 * does not allow is refused with 400 REQUEST_INVALID: nothing is sent.
 *
 * @example writeRequestHead("GET", "/", { host: "app" }, { kind: "none" }, undefined, "app") // "GET / HTTP/1.1\r\nhost: app\r\n\r\n"
 */
export function writeRequestHead(
  method: string,
  path: string,
  headers: OutgoingHttpHeaders,
  framing: RequestFraming,
  upgrade: string | undefined,
  host: string,
): string {
  if (!TOKEN.test(method) || path === "" || INVALID_TARGET.test(path))
    throw invalid(host, `the request line ${JSON.stringify(`${method} ${path}`)} is not valid HTTP/1.1`);
  let head = `${method} ${path} HTTP/1.1\r\n`;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || FRAMING_FIELDS.has(name.toLowerCase())) continue;
    if (!TOKEN.test(name)) throw invalid(host, `${JSON.stringify(name)} is not a valid header name`);
    if (Array.isArray(value)) {
      for (const item of value) head += field(name, item, host);
    } else {
      head += field(name, typeof value === "number" ? String(value) : value, host);
    }
  }
  if (framing.kind === "length") head += `content-length: ${framing.bytes}\r\n`;
  else if (framing.kind === "chunked") head += "transfer-encoding: chunked\r\n";
  if (upgrade !== undefined) head += field("upgrade", upgrade, host) + "connection: upgrade\r\n";
  return `${head}\r\n`;
}

function field(name: string, value: string, host: string): string {
  if (INVALID_VALUE.test(value))
    throw invalid(host, `the value of ${name} has a character HTTP/1.1 does not allow`);
  return `${name}: ${value}\r\n`;
}

function invalid(host: string, why: string): ProxyError {
  return new ProxyError("REQUEST_INVALID", `The request cannot be forwarded to ${host}: ${why}`);
}
