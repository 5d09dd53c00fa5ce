// @peculiar/x509 resolves its parsers through tsyringe, which needs the Reflect metadata API
// loaded first. ES modules evaluate their imports in order, so this import must stay first.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { randomBytes, webcrypto } from "node:crypto";

// The library signs and hashes through WebCrypto: use Node's, never a JavaScript fallback.
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** ECDSA on P-256 with SHA-256: the key algorithm of the CA and the leaves, and how both are signed. */
export const ecdsaP256Sha256 = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;

export { x509 };

/**
 * A random, positive serial number of 16 bytes (hex). RFC 5280 §4.1.2.2 allows up to 20 octets;
 * the CA/Browser Forum asks for at least 64 random bits. The top bit is cleared so the INTEGER is
 * positive without a padding byte, the next one set so it never has a leading zero octet.
 */
export function randomSerialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x40;
  return bytes.toString("hex");
}
