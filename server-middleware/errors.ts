/**
 * Every way a sign-in can fail, with the HTTP status the middleware answers with.
 * 4xx: the request or its token is at fault; 5xx: AWS (or this server's access to it) is.
 * Code branches on `code`, never on message text.
 */
export type IamAuthErrorCode =
  | "BAD_REQUEST"
  | "METHOD_NOT_ALLOWED"
  | "TOKEN_MISSING"
  | "TOKEN_INVALID"
  | "TOKEN_UNREADABLE"
  | "TOKEN_FOREIGN_KEY"
  | "CREDENTIALS_INVALID"
  | "CREDENTIALS_EXPIRED"
  | "CREDENTIALS_REJECTED"
  | "ACCOUNT_MISMATCH"
  | "RETURN_URL_UNSAFE"
  | "KMS_UNAVAILABLE"
  | "KMS_THROTTLED"
  | "KMS_ACCESS_DENIED"
  | "KMS_KEY_UNUSABLE"
  | "STS_UNAVAILABLE"
  | "STS_THROTTLED";

const statusByCode: Readonly<Record<IamAuthErrorCode, number>> = {
  BAD_REQUEST: 400,
  METHOD_NOT_ALLOWED: 405,
  TOKEN_MISSING: 403,
  TOKEN_INVALID: 403,
  TOKEN_UNREADABLE: 403,
  TOKEN_FOREIGN_KEY: 403,
  CREDENTIALS_INVALID: 403,
  CREDENTIALS_EXPIRED: 403,
  CREDENTIALS_REJECTED: 403,
  ACCOUNT_MISMATCH: 403,
  RETURN_URL_UNSAFE: 403,
  KMS_UNAVAILABLE: 502,
  KMS_THROTTLED: 503,
  KMS_ACCESS_DENIED: 502,
  KMS_KEY_UNUSABLE: 502,
  STS_UNAVAILABLE: 502,
  STS_THROTTLED: 503,
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
