import { decodeStrictBase64 } from "./base64.js";
import { ProtocolError } from "./errors.js";

/** A KMS encryption context: string keys to string values, bound to the ciphertext. */
export type EncryptionContext = Readonly<Record<string, string>>;

/**
 * Encodes the context for the Iam-Auth-Kms-Encryption-Context header: standard base64 of its JSON.
 *
 * @example encodeEncryptionContext({ salt: "abc" }) // "eyJzYWx0IjoiYWJjIn0="
 */
export function encodeEncryptionContext(context: EncryptionContext): string {
  return Buffer.from(JSON.stringify(context), "utf8").toString("base64");
}

/** Decodes the header value; throws ProtocolError ENCRYPTION_CONTEXT_INVALID naming what is wrong. */
export function decodeEncryptionContext(headerValue: string): EncryptionContext {
  const bytes = decodeStrictBase64(headerValue.trim());
  if (bytes === undefined) {
    throw new ProtocolError(
      "ENCRYPTION_CONTEXT_INVALID",
      "The KMS encryption context header is not valid base64",
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString("utf8"));
  } catch (cause) {
    throw new ProtocolError("ENCRYPTION_CONTEXT_INVALID", "The KMS encryption context is not valid JSON", {
      cause,
    });
  }
  return checkEncryptionContext(parsed);
}

/** Checks that a value is a JSON object whose values are all strings; returns a frozen copy. */
export function checkEncryptionContext(value: unknown): EncryptionContext {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ProtocolError("ENCRYPTION_CONTEXT_INVALID", "The KMS encryption context must be a JSON object");
  }
  const entries = Object.entries(value);
  for (const [key, entry] of entries) {
    if (typeof entry !== "string") {
      throw new ProtocolError(
        "ENCRYPTION_CONTEXT_INVALID",
        `The KMS encryption context value for ${JSON.stringify(key)} must be a string`,
      );
    }
  }
  // Object.fromEntries defines each key as an own property: an assignment would drop a
  // "__proto__" key (setting the prototype instead), and the context sent to KMS would not be
  // the one the app asked for.
  return Object.freeze(Object.fromEntries(entries) as Record<string, string>);
}
