/**
 * Every way the local CA and its certificates can fail. Code branches on these, never on message text.
 *
 * | code                  | when                                                                              |
 * | --------------------- | --------------------------------------------------------------------------------- |
 * | `CA_DIR_UNAVAILABLE`  | the CA directory cannot be created, or the CA files cannot be written in it       |
 * | `CA_FILES_INCOMPLETE` | one of ca-key.pem / ca-cert.pem exists without the other                          |
 * | `CA_FILE_UNREADABLE`  | an existing CA file cannot be read (permissions, a directory in its place, …)     |
 * | `CA_FILE_INVALID`     | a CA file is not a PEM EC P-256 key / a PEM CA certificate                        |
 * | `CA_KEY_PERMISSIONS`  | ca-key.pem is readable or writable by other users (mode looser than 0600)         |
 * | `CA_KEY_MISMATCH`     | ca-key.pem is not the key of ca-cert.pem                                          |
 * | `CA_EXPIRED`          | the CA certificate has expired                                                    |
 * | `LEAF_HOST_INVALID`   | a certificate was asked for a name that is neither a DNS name nor an IP literal   |
 * | `LEAF_HOST_REFUSED`   | a TLS client asked (by SNI) for a host the proxy does not intercept               |
 */
export type MitmErrorCode =
  | "CA_DIR_UNAVAILABLE"
  | "CA_FILES_INCOMPLETE"
  | "CA_FILE_UNREADABLE"
  | "CA_FILE_INVALID"
  | "CA_KEY_PERMISSIONS"
  | "CA_KEY_MISMATCH"
  | "CA_EXPIRED"
  | "LEAF_HOST_INVALID"
  | "LEAF_HOST_REFUSED";

/**
 * A failure of the local CA or of issuing a certificate. `message` is one line that says what to
 * do; it names files and hosts but never holds key material.
 *
 * @example new MitmError("CA_EXPIRED", "The CA certificate /home/me/.iam-auth-proxy/ca-cert.pem expired …").code // "CA_EXPIRED"
 */
export class MitmError extends Error {
  override readonly name = "MitmError";
  readonly code: MitmErrorCode;

  constructor(code: MitmErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
