import { ProtocolError } from "./errors.js";
import { IAM_AUTH_SCHEME } from "./headers.js";
import { MAX_TOKEN_LENGTH } from "./auth-query.js";

/*
 * The header proof: a client that keeps no cookies (a script, a CLI, a service) sends the same
 * token it would hand over at /auth in a request header, `Authorization: IAM <token>`, and that
 * one request is served as the proven identity. The token is exactly the /auth `token` value,
 * not URL-encoded: `sts1.<nonce>.<presigned URL>` or a KMS token's base64. A nonce for the STS
 * method comes from any challenge, or from `GET <authPath>/nonce` (NonceAnswer below).
 */

/** Where a header proof is looked for unless the app names another header. */
export const DEFAULT_PROOF_HEADER = "authorization";

/** Appended to the auth path: `GET /auth/nonce` answers a NonceAnswer. */
export const NONCE_PATH_SUFFIX = "/nonce";

/** `GET <authPath>/nonce`'s JSON body: what a client needs to make an STS proof without a 401. */
export interface NonceAnswer {
  /** The challenge's realm: the app's account. */
  readonly realm: string;
  /** The methods the app accepts, as its challenge lists them. */
  readonly methods: readonly string[];
  /** The server-id the proof must be bound to (the STS method's signed `x-iam-auth-server-id`). */
  readonly serverId: string;
  /** A fresh nonce, used once. */
  readonly nonce: string;
  /** When the app stops accepting proofs made with it (ISO 8601). */
  readonly expiresAt: string;
}

/**
 * The value of a header proof: `IAM <token>`.
 *
 * @example formatProofHeaderValue("sts1.abc.https://sts.amazonaws.com/?…") // "IAM sts1.abc.https://sts.amazonaws.com/?…"
 */
export function formatProofHeaderValue(token: string): string {
  return `${IAM_AUTH_SCHEME} ${token}`;
}

/** Whether one header field value uses the IAM scheme (compared case-insensitively, RFC 9110 §11.1). */
export function isIamProofValue(value: string): boolean {
  const scheme = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/.exec(value)?.[0];
  return (
    scheme !== undefined &&
    scheme.toUpperCase() === IAM_AUTH_SCHEME &&
    /^\s|^$/.test(value.slice(scheme.length))
  );
}

/**
 * Reads the token of a header proof from every value the request has for the proof header
 * (IncomingMessage#headersDistinct). Undefined when no value uses the IAM scheme: the header
 * belongs to someone else (`Authorization: Bearer …`) and the request goes on as if there were
 * no proof. An IAM value must be the header's only value: two are ambiguous, and servers that
 * disagree on which one counts are how proof-smuggling starts. Throws ProtocolError
 * PROOF_HEADER_REPEATED, TOKEN_MISSING, PROOF_HEADER_MALFORMED (a space inside the token, or a
 * second scheme after it) or TOKEN_TOO_LARGE.
 *
 * @example readProofHeader(["IAM sts1.abc.https://sts.amazonaws.com/?X=1"]) // "sts1.abc.https://sts.amazonaws.com/?X=1"
 */
export function readProofHeader(
  values: readonly string[] | undefined,
  headerName: string,
): string | undefined {
  if (values === undefined || !values.some(isIamProofValue)) return undefined;
  if (values.length > 1) {
    throw new ProtocolError(
      "PROOF_HEADER_REPEATED",
      `The ${headerName} header is given ${values.length} times; send one IAM proof`,
    );
  }
  const token = (values[0] as string).slice(IAM_AUTH_SCHEME.length).trim();
  if (token === "")
    throw new ProtocolError("TOKEN_MISSING", `The ${headerName} header has no token after IAM`);
  if (/\s/.test(token)) {
    throw new ProtocolError(
      "PROOF_HEADER_MALFORMED",
      `The ${headerName} header must be "IAM <token>", one token without spaces`,
    );
  }
  if (token.length > MAX_TOKEN_LENGTH) {
    throw new ProtocolError("TOKEN_TOO_LARGE", `The token is longer than ${MAX_TOKEN_LENGTH} characters`);
  }
  return token;
}
