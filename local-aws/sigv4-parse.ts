/*
 * Parsing of SigV4 signature parameters: from the Authorization header
 * (`AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…` plus X-Amz-Date) or from a
 * presigned query (X-Amz-Algorithm, -Credential, -Date, -Expires, -SignedHeaders, -Signature).
 * Malformed parameters are IncompleteSignature, as in AWS.
 */

/** An incoming request as seen on the wire. Header names are lower-case. */
export interface SignedHttpRequest {
  readonly method: string;
  /** The path exactly as sent, without the query string. */
  readonly path: string;
  readonly query: Readonly<Record<string, string | readonly string[]>>;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
}

export type SigV4ErrorCode =
  | "MissingAuthentication"
  | "IncompleteSignature"
  | "UnknownAccessKey"
  | "InvalidSessionToken"
  | "SignatureMismatch"
  | "SignatureExpired"
  | "ExpiredSessionToken";

/** Verification failed; `code` is stable, the message uses AWS's wording. */
export class SigV4Error extends Error {
  readonly code: SigV4ErrorCode;

  constructor(code: SigV4ErrorCode, message: string) {
    super(message);
    this.name = "SigV4Error";
    this.code = code;
  }
}

export const algorithm = "AWS4-HMAC-SHA256";
export const maxPresignSeconds = 604800;
/** The query parameters of a presigned request that carry the signature itself. */
export const authQueryParams = [
  "X-Amz-Algorithm",
  "X-Amz-Credential",
  "X-Amz-Date",
  "X-Amz-Expires",
  "X-Amz-SignedHeaders",
  "X-Amz-Security-Token",
  "X-Amz-Signature",
];
export const mismatchMessage =
  "The request signature we calculated does not match the signature you provided. " +
  "Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

/** The signature parameters of a request, from its Authorization header or presigned query. */
export interface ParsedAuth {
  readonly accessKeyId: string;
  readonly shortDate: string;
  readonly region: string;
  readonly service: string;
  readonly amzDate: string;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
  readonly sessionToken: string | undefined;
  /** X-Amz-Expires; set only for presigned requests. */
  readonly expiresIn: number | undefined;
}

/**
 * Reads the signature parameters of a request; a request with X-Amz-Signature in its query is presigned.
 *
 * @example parseSigV4Auth(request).accessKeyId // "AKIA…"
 */
export function parseSigV4Auth(request: SignedHttpRequest): ParsedAuth {
  const presigned = firstValue(request.query["X-Amz-Signature"]) !== undefined;
  return presigned ? parsePresignedQuery(request) : parseAuthorizationHeader(request);
}

function parseAuthorizationHeader(request: SignedHttpRequest): ParsedAuth {
  const header = request.headers.authorization;
  if (header === undefined)
    throw new SigV4Error("MissingAuthentication", "Request is missing Authentication Token");
  if (!header.startsWith(`${algorithm} `)) {
    throw new SigV4Error("IncompleteSignature", `Unsupported AWS 'algorithm': expected '${algorithm}'.`);
  }
  const fields = new Map<string, string>();
  for (const part of header.slice(algorithm.length + 1).split(",")) {
    const eq = part.indexOf("=");
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const amzDate = request.headers["x-amz-date"];
  for (const [name, value] of [
    ["Credential", fields.get("Credential")],
    ["SignedHeaders", fields.get("SignedHeaders")],
    ["Signature", fields.get("Signature")],
  ] as const) {
    if (value === undefined || value === "") {
      throw new SigV4Error("IncompleteSignature", `Authorization header requires '${name}' parameter.`);
    }
  }
  if (amzDate === undefined) {
    throw new SigV4Error(
      "IncompleteSignature",
      "Authorization header requires existence of a valid 'X-Amz-Date' header.",
    );
  }
  const signedHeaders = (fields.get("SignedHeaders") ?? "").split(";");
  if (!signedHeaders.includes("x-amz-date")) {
    throw new SigV4Error(
      "SignatureMismatch",
      "'x-amz-date' must be a 'SignedHeader' in the AWS Authorization.",
    );
  }
  return {
    ...parseCredential(fields.get("Credential") ?? ""),
    amzDate,
    signedHeaders,
    signature: fields.get("Signature") ?? "",
    sessionToken: request.headers["x-amz-security-token"],
    expiresIn: undefined,
  };
}

function parsePresignedQuery(request: SignedHttpRequest): ParsedAuth {
  const param = (name: string): string => {
    const raw = request.query[name];
    const value = firstValue(raw);
    if (value === undefined || value === "" || (Array.isArray(raw) && raw.length > 1)) {
      throw new SigV4Error("IncompleteSignature", `AWS query-string parameters must include '${name}'.`);
    }
    return value;
  };
  if (param("X-Amz-Algorithm") !== algorithm) {
    throw new SigV4Error("IncompleteSignature", `Unsupported AWS 'algorithm': expected '${algorithm}'.`);
  }
  const expires = param("X-Amz-Expires");
  const expiresIn = /^\d{1,6}$/.test(expires) ? Number(expires) : NaN;
  if (!(expiresIn >= 1 && expiresIn <= maxPresignSeconds)) {
    throw new SigV4Error(
      "IncompleteSignature",
      `X-Amz-Expires must be an integer from 1 to ${maxPresignSeconds}.`,
    );
  }
  const token = request.query["X-Amz-Security-Token"];
  return {
    ...parseCredential(param("X-Amz-Credential")),
    amzDate: param("X-Amz-Date"),
    signedHeaders: param("X-Amz-SignedHeaders").split(";"),
    signature: param("X-Amz-Signature"),
    sessionToken: token === undefined ? undefined : param("X-Amz-Security-Token"),
    expiresIn,
  };
}

function parseCredential(
  credential: string,
): Pick<ParsedAuth, "accessKeyId" | "shortDate" | "region" | "service"> {
  const parts = credential.split("/");
  const [accessKeyId, shortDate, region, service, terminator] = parts;
  if (
    parts.length !== 5 ||
    accessKeyId === undefined ||
    accessKeyId === "" ||
    shortDate === undefined ||
    region === undefined ||
    region === "" ||
    service === undefined ||
    terminator !== "aws4_request"
  ) {
    throw new SigV4Error(
      "IncompleteSignature",
      "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/aws4_request.",
    );
  }
  return { accessKeyId, shortDate, region, service };
}

export function parseAmzDate(amzDate: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  const date = m === null ? new Date(NaN) : new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`);
  if (Number.isNaN(date.getTime())) {
    throw new SigV4Error(
      "IncompleteSignature",
      "X-Amz-Date must be in the ISO8601 basic format yyyyMMdd'T'HHmmss'Z'.",
    );
  }
  return date;
}

/** `20240102T030405Z`, the format of X-Amz-Date. */
export function formatAmzDate(date: Date): string {
  return date
    .toISOString()
    .replace(/\.\d{3}Z$/, "Z")
    .replace(/[-:]/g, "");
}

export function firstValue(value: string | readonly string[] | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  return typeof value === "string" ? value : value[0];
}
