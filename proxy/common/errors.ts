/**
 * Every way the proxy can refuse or fail a request. Code branches on these, never on message text.
 *
 * | code                           | status | when                                                                   |
 * | ------------------------------ | ------ | ---------------------------------------------------------------------- |
 * | `CHALLENGE_INVALID`            | 403    | the IAM challenge is malformed (realm, repeated headers, STS params)   |
 * | `KMS_KEY_ID_MISSING`           | 403    | the challenge has no Iam-Auth-Kms-Key-Id                               |
 * | `ENCRYPTION_CONTEXT_MISSING`   | 403    | the challenge has no Iam-Auth-Kms-Encryption-Context                   |
 * | `ENCRYPTION_CONTEXT_INVALID`   | 403    | the context is not base64 of a JSON object of strings                  |
 * | `METHOD_NOT_OFFERED`           | 403    | the app does not offer the method --method asks for (or any we know)   |
 * | `SERVER_ID_MISMATCH`           | 403    | the STS challenge names a server-id other than the app's own address   |
 * | `REALM_MISMATCH`               | 403    | your AWS identity is in another account than the realm (KMS method)    |
 * | `KMS_NEEDS_USER_CREDENTIALS`   | 403    | KMS method with role or SSO credentials: AWS refuses GetSessionToken   |
 * | `KMS_APP_NOT_NAMED`            | 403    | a KMS proof for an app not named by --kms-host or --host               |
 * | `AWS_REQUEST_FAILED`           | 403    | STS or KMS answered with an error (AccessDenied, ExpiredToken, …)      |
 * | `LOGIN_LOOP`                   | 403    | the app challenged the request again right after a sign-in             |
 * | `HOST_NOT_ALLOWED`             | 403    | reverse mode: the Host is not a local name (a DNS-rebinding attempt)   |
 * | `OTHER_USER_REFUSED`           | 403    | another OS user's connection on loopback (see --allow-other-users)     |
 * | `AWS_UNREACHABLE`              | 502    | STS or KMS could not be reached (refused, reset, DNS, timeout)         |
 * | `AWS_UNAVAILABLE`              | 502    | STS or KMS failed (HTTP 5xx) or answered something that is not AWS's   |
 * | `AWS_THROTTLED`                | 503    | STS or KMS is throttling the proxy's requests                          |
 * | `NO_CREDENTIALS`               | 503    | no usable AWS credentials were found                                   |
 * | `MFA_CODE_UNAVAILABLE`         | 503    | an MFA code is needed and none could be read (no terminal, timeout)    |
 * | `UPSTREAM_UNREACHABLE`         | 502    | the app (or the CONNECT target) could not be reached                   |
 * | `UPSTREAM_CERTIFICATE_INVALID` | 502    | an HTTPS app's certificate is not trusted, expired or for another name |
 * | `UPSTREAM_TLS_FAILED`          | 502    | the TLS handshake with an HTTPS app failed for another reason          |
 * | `UPSTREAM_BAD_RESPONSE`        | 502    | the app answered with something that is not readable HTTP/1.1          |
 * | `UPSTREAM_TIMEOUT`             | 504    | the app went silent for --upstream-timeout before its head was complete |
 * | `SOCKS_UNREACHABLE`            | 502    | the --socks-proxy server could not be reached                          |
 * | `SOCKS_REFUSED`                | 502    | the SOCKS server refused (or failed) the connection to the app         |
 * | `INTERCEPT_FAILED`             | 502    | the proxy could not make a certificate for an intercepted host         |
 * | `NOT_A_PROXY_REQUEST`          | 400    | an origin-form request (`GET /`) was sent to the proxy itself          |
 * | `REQUEST_TARGET_INVALID`       | 400    | the request target is not an http:// URL (or host:port for CONNECT)    |
 * | `UPGRADE_WITH_BODY`            | 400    | an Upgrade request (websocket handshake) carries a body                |
 * | `REQUEST_INVALID`              | 400    | the request cannot be forwarded as it is (a field HTTP/1.1 forbids)    |
 * | `INTERNAL_ERROR`               | 500    | a bug in the proxy itself (never caused by what an app or client sends) |
 */
export type ProxyErrorCode =
  | "CHALLENGE_INVALID"
  | "KMS_KEY_ID_MISSING"
  | "ENCRYPTION_CONTEXT_MISSING"
  | "ENCRYPTION_CONTEXT_INVALID"
  | "METHOD_NOT_OFFERED"
  | "SERVER_ID_MISMATCH"
  | "REALM_MISMATCH"
  | "KMS_NEEDS_USER_CREDENTIALS"
  | "KMS_APP_NOT_NAMED"
  | "AWS_REQUEST_FAILED"
  | "LOGIN_LOOP"
  | "HOST_NOT_ALLOWED"
  | "OTHER_USER_REFUSED"
  | "AWS_UNREACHABLE"
  | "AWS_UNAVAILABLE"
  | "AWS_THROTTLED"
  | "NO_CREDENTIALS"
  | "MFA_CODE_UNAVAILABLE"
  | "UPSTREAM_UNREACHABLE"
  | "UPSTREAM_CERTIFICATE_INVALID"
  | "UPSTREAM_TLS_FAILED"
  | "UPSTREAM_BAD_RESPONSE"
  | "UPSTREAM_TIMEOUT"
  | "SOCKS_UNREACHABLE"
  | "SOCKS_REFUSED"
  | "INTERCEPT_FAILED"
  | "NOT_A_PROXY_REQUEST"
  | "REQUEST_TARGET_INVALID"
  | "UPGRADE_WITH_BODY"
  | "REQUEST_INVALID"
  | "INTERNAL_ERROR";

const statusByCode: Readonly<Record<ProxyErrorCode, number>> = {
  CHALLENGE_INVALID: 403,
  KMS_KEY_ID_MISSING: 403,
  ENCRYPTION_CONTEXT_MISSING: 403,
  ENCRYPTION_CONTEXT_INVALID: 403,
  METHOD_NOT_OFFERED: 403,
  SERVER_ID_MISMATCH: 403,
  REALM_MISMATCH: 403,
  KMS_NEEDS_USER_CREDENTIALS: 403,
  KMS_APP_NOT_NAMED: 403,
  AWS_REQUEST_FAILED: 403,
  LOGIN_LOOP: 403,
  HOST_NOT_ALLOWED: 403,
  OTHER_USER_REFUSED: 403,
  AWS_UNREACHABLE: 502,
  AWS_UNAVAILABLE: 502,
  AWS_THROTTLED: 503,
  NO_CREDENTIALS: 503,
  MFA_CODE_UNAVAILABLE: 503,
  UPSTREAM_UNREACHABLE: 502,
  UPSTREAM_CERTIFICATE_INVALID: 502,
  UPSTREAM_TLS_FAILED: 502,
  UPSTREAM_BAD_RESPONSE: 502,
  UPSTREAM_TIMEOUT: 504,
  SOCKS_UNREACHABLE: 502,
  SOCKS_REFUSED: 502,
  INTERCEPT_FAILED: 502,
  NOT_A_PROXY_REQUEST: 400,
  REQUEST_TARGET_INVALID: 400,
  UPGRADE_WITH_BODY: 400,
  REQUEST_INVALID: 400,
  INTERNAL_ERROR: 500,
};

/**
 * A request the proxy refuses or cannot complete. `message` is one line that is safe to send
 * to the client and to log: it never holds a secret key, session token, plaintext, token or
 * presigned URL.
 *
 * @example new ProxyError("REALM_MISMATCH", "The IAM identity does not match the server realm (expected: 111122223333)").status // 403
 */
export class ProxyError extends Error {
  override readonly name = "ProxyError";
  readonly code: ProxyErrorCode;
  /** The HTTP status the client gets; fixed per code. */
  readonly status: number;

  constructor(code: ProxyErrorCode, message: string, options?: { cause?: unknown }) {
    super(toOneLine(message), options);
    this.code = code;
    this.status = statusByCode[code];
  }
}

/** Collapses whitespace (including newlines from AWS or socket messages) so a message stays one line. */
export function toOneLine(text: string, maxLength = 500): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > maxLength ? `${line.slice(0, maxLength - 1)}…` : line;
}
