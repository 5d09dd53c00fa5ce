const standardBase64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Decodes standard (RFC 4648 §4) padded base64, or returns undefined. Node's own decoder
 * skips characters it does not know, which would let two different strings decode to
 * the same bytes; this one accepts only the canonical form.
 *
 * @example decodeStrictBase64("aGk=") // Buffer "hi"
 */
export function decodeStrictBase64(value: string): Buffer | undefined {
  if (!standardBase64.test(value)) return undefined;
  const bytes = Buffer.from(value, "base64");
  // Reject non-zero padding bits ("aGl=" and "aGk=" must not both decode to "hi").
  return bytes.toString("base64") === value ? bytes : undefined;
}

/** Encodes bytes as standard padded base64. */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}
