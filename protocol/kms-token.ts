import { ProtocolError } from "./errors.js";
import type { EncryptionContext } from "./encryption-context.js";

/**
 * Encryption-context key that binds a KMS token to one app: its server-id. Reserved: an app's
 * own context may not use it (the proxy refuses such a challenge, the middleware such options),
 * so the only way it gets into a ciphertext is a client that checked the server-id.
 */
export const KMS_SERVER_ID_CONTEXT_KEY = "iam-auth:server-id";

/**
 * Prefix of a bound KMS token: `kms1.<standard base64 of the ciphertext>`. An unbound token (the
 * original Go proxy's) is the bare base64, which never contains ".". The prefix tells the server
 * which encryption context to decrypt with, so no token costs it a second kms:Decrypt. It is only
 * a hint: KMS checks the context, so adding or removing it from a token makes decryption fail.
 */
export const KMS_BOUND_TOKEN_PREFIX = "kms1.";

/** A KMS token split into its ciphertext (still base64) and whether it claims to be bound. */
export interface KmsToken {
  readonly bound: boolean;
  readonly ciphertextBase64: string;
}

/**
 * The context a token for the app `serverId` is encrypted under: the app's own plus the
 * reserved key. Throws ProtocolError ENCRYPTION_CONTEXT_INVALID when the app's context
 * already has the reserved key (an app that sets it could pass another app's server-id off as its own).
 *
 * @example bindEncryptionContext({ salt: "abc" }, "app.example.com") // { salt: "abc", "iam-auth:server-id": "app.example.com" }
 */
export function bindEncryptionContext(context: EncryptionContext, serverId: string): EncryptionContext {
  checkNoReservedKey(context);
  return Object.freeze({ ...context, [KMS_SERVER_ID_CONTEXT_KEY]: serverId });
}

/** Throws ProtocolError ENCRYPTION_CONTEXT_INVALID when the context uses the reserved key. */
export function checkNoReservedKey(context: EncryptionContext): void {
  if (Object.hasOwn(context, KMS_SERVER_ID_CONTEXT_KEY)) {
    throw new ProtocolError(
      "ENCRYPTION_CONTEXT_INVALID",
      `The KMS encryption context must not contain the reserved key "${KMS_SERVER_ID_CONTEXT_KEY}"`,
    );
  }
}

/**
 * Formats the token for /auth: `kms1.<base64>` when bound to a server-id, the bare base64 (as
 * the original Go proxy sends) when not.
 *
 * @example formatKmsToken("AQICAH…", true) // "kms1.AQICAH…"
 */
export function formatKmsToken(ciphertextBase64: string, bound: boolean): string {
  return bound ? `${KMS_BOUND_TOKEN_PREFIX}${ciphertextBase64}` : ciphertextBase64;
}

/**
 * Splits a KMS token. The base64 itself is checked by whoever decodes it.
 *
 * @example parseKmsToken("kms1.AQICAH…") // { bound: true, ciphertextBase64: "AQICAH…" }
 */
export function parseKmsToken(token: string): KmsToken {
  return token.startsWith(KMS_BOUND_TOKEN_PREFIX)
    ? { bound: true, ciphertextBase64: token.slice(KMS_BOUND_TOKEN_PREFIX.length) }
    : { bound: false, ciphertextBase64: token };
}
