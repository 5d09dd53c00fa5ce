/*
 * STS replies in its two wire formats: the awsQuery XML the SDKs parse, and the JSON AWS
 * returns when the request says `Accept: application/json` (what presigned-URL verifiers use).
 */

/** A reply field: text, a timestamp, or a nested structure. */
export type StsValue = string | Date | StsRecord;
export interface StsRecord {
  readonly [name: string]: StsValue;
}

export type StsFormat = "xml" | "json";

const namespace = "https://sts.amazonaws.com/doc/2011-06-15/";

/** Escapes text for XML element content and attribute values; drops characters XML 1.0 forbids. */
export function escapeXml(text: string): string {
  return text
    .replace(/[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, "\uFFFD")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

/**
 * Renders `<Action>Response` with its `<Action>Result` and request id.
 *
 * @example renderStsResult("xml", "GetCallerIdentity", { Account: "111122223333" }, "req-1")
 */
export function renderStsResult(
  format: StsFormat,
  action: string,
  result: StsRecord,
  requestId: string,
): string {
  if (format === "json") {
    const body = { [`${action}Result`]: toJson(result), ResponseMetadata: { RequestId: requestId } };
    return JSON.stringify({ [`${action}Response`]: body });
  }
  return (
    `<${action}Response xmlns="${namespace}">\n` +
    `  <${action}Result>\n${toXml(result, "    ")}  </${action}Result>\n` +
    `  <ResponseMetadata>\n    <RequestId>${escapeXml(requestId)}</RequestId>\n  </ResponseMetadata>\n` +
    `</${action}Response>\n`
  );
}

/** Renders AWS's query-protocol error document. `type` is Sender for client faults, Receiver for server faults. */
export function renderStsError(format: StsFormat, code: string, message: string, requestId: string): string {
  const type = code.endsWith("InternalError") || code.startsWith("Internal") ? "Receiver" : "Sender";
  if (format === "json") {
    return JSON.stringify({ Error: { Type: type, Code: code, Message: message }, RequestId: requestId });
  }
  return (
    `<ErrorResponse xmlns="${namespace}">\n` +
    `  <Error>\n    <Type>${type}</Type>\n    <Code>${escapeXml(code)}</Code>\n` +
    `    <Message>${escapeXml(message)}</Message>\n  </Error>\n` +
    `  <RequestId>${escapeXml(requestId)}</RequestId>\n` +
    `</ErrorResponse>\n`
  );
}

/** The content type of a reply in the given format. */
export function stsContentType(format: StsFormat): string {
  return format === "json" ? "application/json" : "text/xml";
}

function toXml(record: StsRecord, indent: string): string {
  let out = "";
  for (const [name, value] of Object.entries(record)) {
    if (typeof value === "string") out += `${indent}<${name}>${escapeXml(value)}</${name}>\n`;
    else if (value instanceof Date) out += `${indent}<${name}>${value.toISOString()}</${name}>\n`;
    else out += `${indent}<${name}>\n${toXml(value, `${indent}  `)}${indent}</${name}>\n`;
  }
  return out;
}

/** AWS's JSON flavour of query responses carries timestamps as epoch seconds. */
function toJson(record: StsRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(record)) {
    if (typeof value === "string") out[name] = value;
    else if (value instanceof Date) out[name] = value.getTime() / 1000;
    else out[name] = toJson(value);
  }
  return out;
}
