/**
 * Header and path names of the wire protocol, as the original Go iam-auth-proxy and its
 * Flask example server use them. Node lower-cases incoming header names, so these are lower case.
 */
export const WWW_AUTHENTICATE_HEADER = "www-authenticate";
export const KMS_KEY_ID_HEADER = "iam-auth-kms-key-id";
export const KMS_ENCRYPTION_CONTEXT_HEADER = "iam-auth-kms-encryption-context";

/** Path the proxy sends the browser to with the token; the server verifies it there. */
export const AUTH_PATH = "/auth";

/** Challenge auth-scheme. Schemes compare case-insensitively (RFC 9110 §11.1). */
export const IAM_AUTH_SCHEME = "IAM";

/** GetSessionToken lifetime the proxy asks for: the shortest AWS allows (15 minutes). */
export const SESSION_TOKEN_DURATION_SECONDS = 900;
