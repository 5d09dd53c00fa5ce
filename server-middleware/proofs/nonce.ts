import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from "node:crypto";
import { IamAuthError } from "../errors.js";

/*
 * The STS method's challenge nonce, stateless and unforgeable:
 *
 *   base64url( version (1 byte) ‖ issue time (8 bytes, ms, big-endian) ‖ 16 random bytes ‖ HMAC-SHA256 of the 25 bytes before it )
 *
 * 57 bytes, 76 characters: inside the protocol's /^[A-Za-z0-9_-]{16,256}$/. The server keeps no
 * state per challenge (a flood of 401s costs nothing); the HMAC proves this app issued the
 * nonce and when. That it is used once is the replay store's job, not the nonce's.
 */

const VERSION = 1;
const BODY_BYTES = 1 + 8 + 16;
const MAC_BYTES = 32;
const NONCE_BYTES = BODY_BYTES + MAC_BYTES;
/** How far in the future an issue time may be: another instance's clock may be a little ahead. */
const FUTURE_SKEW_MS = 60_000;
// HKDF "info": a key derived for nonces is useless for anything else derived from the same secret.
const HKDF_INFO = "iam-auth-proxy sts-nonce v1";
const HKDF_SALT = "iam-auth-proxy";

/** What a nonce that passed verification says. */
export interface VerifiedNonce {
  readonly issuedAt: Date;
  /** When it stops being accepted; the replay store must remember it until then. */
  readonly expiresAt: Date;
}

/** Issues and verifies nonces with keys derived from one or more secrets. */
export interface NonceIssuer {
  /** A fresh nonce stamped with `now`. */
  issue(now: Date): string;
  /** Checks the MAC and the age; throws IamAuthError NONCE_INVALID or NONCE_EXPIRED. */
  verify(nonce: string, now: Date): VerifiedNonce;
}

/**
 * Makes a NonceIssuer. The first secret's key signs; every secret's key verifies, so rotating
 * the session secrets (a new one first) does not break challenges issued just before.
 * Keys are derived with HKDF-SHA256, so the secrets themselves never key the HMAC directly.
 *
 * @example createNonceIssuer({ secrets: [sessionSecret], maxAgeSeconds: 300 }).issue(new Date())
 */
export function createNonceIssuer(settings: {
  readonly secrets: readonly string[];
  readonly maxAgeSeconds: number;
}): NonceIssuer {
  const keys = settings.secrets.map((secret) =>
    Buffer.from(hkdfSync("sha256", Buffer.from(secret, "utf8"), HKDF_SALT, HKDF_INFO, 32)),
  );
  const signingKey = keys[0];
  if (signingKey === undefined) throw new TypeError("createNonceIssuer: at least one secret is needed");
  const maxAgeMs = settings.maxAgeSeconds * 1000;
  const invalid = (): IamAuthError =>
    new IamAuthError("NONCE_INVALID", "The STS proof's nonce was not issued by this app");

  return {
    issue(now) {
      const body = Buffer.alloc(BODY_BYTES);
      body.writeUInt8(VERSION, 0);
      body.writeBigUInt64BE(BigInt(now.getTime()), 1);
      randomBytes(16).copy(body, 9);
      return Buffer.concat([body, mac(signingKey, body)]).toString("base64url");
    },
    verify(nonce, now) {
      const bytes = Buffer.from(nonce, "base64url");
      // base64url decoding skips stray characters; only the canonical spelling is a nonce.
      if (bytes.length !== NONCE_BYTES || bytes.toString("base64url") !== nonce) throw invalid();
      const body = bytes.subarray(0, BODY_BYTES);
      const tag = bytes.subarray(BODY_BYTES);
      if (!keys.some((key) => timingSafeEqual(mac(key, body), tag))) throw invalid();
      if (body.readUInt8(0) !== VERSION) throw invalid();
      const issuedAt = Number(body.readBigUInt64BE(1));
      const age = now.getTime() - issuedAt;
      if (age < -FUTURE_SKEW_MS) {
        throw new IamAuthError("NONCE_INVALID", "The STS proof's nonce is dated in the future");
      }
      if (age > maxAgeMs) {
        throw new IamAuthError("NONCE_EXPIRED", "The STS proof's nonce has expired; sign in again");
      }
      return { issuedAt: new Date(issuedAt), expiresAt: new Date(issuedAt + maxAgeMs + 1000) };
    },
  };
}

function mac(key: Buffer, body: Buffer): Buffer {
  return createHmac("sha256", key).update(body).digest();
}
