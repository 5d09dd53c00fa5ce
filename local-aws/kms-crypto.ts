import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

/*
 * Ciphertext blob layout (all of it is authenticated):
 *
 *   version (1 byte = 1) | key id length (1 byte) | key id (ASCII) | IV (12 bytes) | ciphertext | GCM tag (16 bytes)
 *
 * The header (version, key id) plus a canonical encoding of the encryption context is the
 * AES-GCM additional authenticated data, so a blob only decrypts under the key that made it
 * and with exactly the same context, and any flipped bit anywhere makes it fail.
 */

const blobVersion = 1;
const ivLength = 12;
const tagLength = 16;

/** A KMS key as the crypto layer sees it: its id and 32 bytes of AES-256 material. */
export interface KeyMaterial {
  readonly keyId: string;
  readonly material: Uint8Array;
}

export type EncryptionContext = Readonly<Record<string, string>>;

export type KmsCryptoErrorCode = "InvalidCiphertext" | "WrongKey";

/** Decryption failed; `code` says whether the blob is unusable or belongs to another key. */
export class KmsCryptoError extends Error {
  readonly code: KmsCryptoErrorCode;

  constructor(code: KmsCryptoErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "KmsCryptoError";
    this.code = code;
  }
}

/** 32 fresh random bytes, for keys whose configuration supplies no material. */
export function generateKeyMaterial(): Uint8Array {
  return randomBytes(32);
}

/**
 * Encrypts with AES-256-GCM under a fresh random IV, binding the key id and context.
 *
 * @example const blob = encryptBlob(key, Buffer.from("secret"), { purpose: "login" });
 */
export function encryptBlob(key: KeyMaterial, plaintext: Uint8Array, context: EncryptionContext): Uint8Array {
  const header = encodeHeader(key.keyId);
  const iv = randomBytes(ivLength);
  const cipher = createCipheriv("aes-256-gcm", key.material, iv, { authTagLength: tagLength });
  cipher.setAAD(Buffer.concat([header, serializeEncryptionContext(context)]));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([header, iv, body, cipher.getAuthTag()]);
}

/** The key id recorded in a blob's header. Throws KmsCryptoError("InvalidCiphertext") for a malformed blob. */
export function readBlobKeyId(blob: Uint8Array): string {
  return parseBlob(blob).keyId;
}

/**
 * Decrypts a blob made by encryptBlob. Throws KmsCryptoError: "WrongKey" when the blob names
 * another key, "InvalidCiphertext" when it is malformed, tampered with or the context differs.
 */
export function decryptBlob(key: KeyMaterial, blob: Uint8Array, context: EncryptionContext): Uint8Array {
  const parsed = parseBlob(blob);
  if (parsed.keyId !== key.keyId) {
    throw new KmsCryptoError(
      "WrongKey",
      `ciphertext was encrypted under key ${parsed.keyId}, not ${key.keyId}`,
    );
  }
  const decipher = createDecipheriv("aes-256-gcm", key.material, parsed.iv, { authTagLength: tagLength });
  decipher.setAAD(Buffer.concat([parsed.header, serializeEncryptionContext(context)]));
  decipher.setAuthTag(parsed.tag);
  try {
    return Buffer.concat([decipher.update(parsed.body), decipher.final()]);
  } catch (error) {
    throw new KmsCryptoError("InvalidCiphertext", "ciphertext or encryption context does not authenticate", {
      cause: error,
    });
  }
}

/**
 * Canonical, unambiguous encoding of an encryption context: JSON of the [key, value] pairs
 * sorted by key (JSON escaping keeps "a=b" + "c" distinct from "a" + "b=c").
 */
export function serializeEncryptionContext(context: EncryptionContext): Buffer {
  const pairs = Object.keys(context)
    .sort()
    .map((name) => [name, context[name]]);
  return Buffer.from(JSON.stringify(pairs), "utf8");
}

function encodeHeader(keyId: string): Buffer {
  const id = Buffer.from(keyId, "ascii");
  if (id.length === 0 || id.length > 255) throw new TypeError(`key id must be 1 to 255 bytes: ${keyId}`);
  return Buffer.concat([Buffer.from([blobVersion, id.length]), id]);
}

function parseBlob(blob: Uint8Array): {
  header: Buffer;
  keyId: string;
  iv: Buffer;
  body: Buffer;
  tag: Buffer;
} {
  const bytes = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  const idLength = bytes[1] ?? 0;
  const headerLength = 2 + idLength;
  if (bytes[0] !== blobVersion || idLength === 0 || bytes.length < headerLength + ivLength + tagLength) {
    throw new KmsCryptoError("InvalidCiphertext", "ciphertext is not a local-aws KMS blob");
  }
  const keyId = bytes.subarray(2, headerLength).toString("ascii");
  if (!/^[\x21-\x7e]+$/.test(keyId))
    throw new KmsCryptoError("InvalidCiphertext", "ciphertext header is malformed");
  return {
    header: bytes.subarray(0, headerLength),
    keyId,
    iv: bytes.subarray(headerLength, headerLength + ivLength),
    body: bytes.subarray(headerLength + ivLength, bytes.length - tagLength),
    tag: bytes.subarray(bytes.length - tagLength),
  };
}
