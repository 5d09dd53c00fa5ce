/**
 * Every way a sign-in can fail, with the HTTP status the middleware answers with.
 * 4xx: the request or its token is at fault; 5xx: AWS, the replay store, or this server's
 * access to them is. Code branches on `code`, never on message text. docs/protocol.md lists
 * every code with the check that raises it.
 */
export type IamAuthErrorCode =
  | "BAD_REQUEST"
  | "METHOD_NOT_ALLOWED"
  | "TOKEN_MISSING"
  | "TOKEN_INVALID"
  | "TOKEN_UNREADABLE"
  | "TOKEN_FOREIGN_KEY"
  | "TOKEN_REPLAYED"
  | "KMS_TOKEN_UNBOUND"
  | "AUTH_METHOD_NOT_ACCEPTED"
  | "CREDENTIALS_INVALID"
  | "CREDENTIALS_EXPIRED"
  | "CREDENTIALS_REJECTED"
  | "STS_PROOF_MALFORMED"
  | "STS_PROOF_REJECTED"
  | "STS_PROOF_REFUSED"
  | "NONCE_INVALID"
  | "NONCE_EXPIRED"
  | "NONCE_COOKIE_MISSING"
  | "NONCE_COOKIE_MISMATCH"
  | "NOT_ALLOWED"
  | "RETURN_URL_UNSAFE"
  | "KMS_UNAVAILABLE"
  | "KMS_THROTTLED"
  | "KMS_ACCESS_DENIED"
  | "KMS_KEY_UNUSABLE"
  | "STS_UNAVAILABLE"
  | "STS_THROTTLED"
  | "STS_BAD_RESPONSE"
  | "SIGN_IN_RATE_LIMITED"
  | "SIGN_OUT_CROSS_SITE"
  | "REPLAY_STORE_FULL"
  | "REPLAY_STORE_UNAVAILABLE";

const statusByCode: Readonly<Record<IamAuthErrorCode, number>> = {
  BAD_REQUEST: 400,
  METHOD_NOT_ALLOWED: 405,
  TOKEN_MISSING: 403,
  TOKEN_INVALID: 403,
  TOKEN_UNREADABLE: 403,
  TOKEN_FOREIGN_KEY: 403,
  TOKEN_REPLAYED: 403,
  KMS_TOKEN_UNBOUND: 403,
  AUTH_METHOD_NOT_ACCEPTED: 403,
  CREDENTIALS_INVALID: 403,
  CREDENTIALS_EXPIRED: 403,
  CREDENTIALS_REJECTED: 403,
  STS_PROOF_MALFORMED: 403,
  STS_PROOF_REJECTED: 403,
  STS_PROOF_REFUSED: 403,
  NONCE_INVALID: 403,
  NONCE_EXPIRED: 403,
  NONCE_COOKIE_MISSING: 403,
  NONCE_COOKIE_MISMATCH: 403,
  NOT_ALLOWED: 403,
  RETURN_URL_UNSAFE: 403,
  KMS_UNAVAILABLE: 502,
  KMS_THROTTLED: 503,
  KMS_ACCESS_DENIED: 502,
  KMS_KEY_UNUSABLE: 502,
  STS_UNAVAILABLE: 502,
  STS_THROTTLED: 503,
  STS_BAD_RESPONSE: 502,
  SIGN_IN_RATE_LIMITED: 429,
  SIGN_OUT_CROSS_SITE: 403,
  REPLAY_STORE_FULL: 503,
  REPLAY_STORE_UNAVAILABLE: 503,
};

/**
 * A sign-in failed. `message` is one line that is safe to send to the client: it never
 * holds a token, a key or a credential. `cause` keeps the underlying error for the log.
 *
 * @example new IamAuthError("TOKEN_MISSING", "The token query parameter is missing").status // 403
 */
export class IamAuthError extends Error {
  override readonly name = "IamAuthError";
  readonly code: IamAuthErrorCode;
  /** The HTTP status the middleware answers with; fixed per code. */
  readonly status: number;

  constructor(code: IamAuthErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.status = statusByCode[code];
  }
}
