/** Stable codes for every way a protocol message can be malformed. Code branches on these, never on text. */
export type ProtocolErrorCode =
  | "CHALLENGE_REALM_MISSING"
  | "CHALLENGE_REALM_INVALID"
  | "CHALLENGE_MALFORMED"
  | "AUTH_PATH_UNSAFE"
  | "KMS_KEY_ID_MISSING"
  | "ENCRYPTION_CONTEXT_MISSING"
  | "ENCRYPTION_CONTEXT_INVALID"
  | "TOKEN_MISSING"
  | "TOKEN_REPEATED"
  | "TOKEN_TOO_LARGE"
  | "TOKEN_NOT_BASE64"
  | "PROOF_HEADER_REPEATED"
  | "PROOF_HEADER_MALFORMED"
  | "CREDENTIALS_INVALID"
  | "RETURN_URL_REPEATED"
  | "RETURN_URL_UNSAFE"
  | "ARN_INVALID"
  | "STS_PROOF_MALFORMED"
  | "STS_PROOF_REJECTED";

/**
 * A message on the wire did not follow the protocol. `message` is one line that says
 * what was wrong and is safe to show to the other party: it never contains a secret.
 */
export class ProtocolError extends Error {
  override readonly name = "ProtocolError";
  readonly code: ProtocolErrorCode;

  constructor(code: ProtocolErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
