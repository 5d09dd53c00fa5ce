import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { IamAuthError } from "../../../../server-middleware/index.js";
import { createNonceIssuer } from "../../../../server-middleware/proofs/nonce.js";
import { SECRET_A, SECRET_B, START_TIME } from "../test-app.js";

const issuer = createNonceIssuer({ secrets: [SECRET_A], maxAgeSeconds: 300 });
const later = (ms: number): Date => new Date(START_TIME.getTime() + ms);

function assertRefused(nonce: string, now: Date, code: string, message: string, verifier = issuer): void {
  assert.throws(
    () => verifier.verify(nonce, now),
    (error: unknown) => {
      assert.ok(error instanceof IamAuthError);
      assert.equal(error.code, code);
      assert.equal(error.status, 403);
      assert.equal(error.message, message);
      return true;
    },
  );
}

const notIssued = "The STS proof's nonce was not issued by this app";

describe("createNonceIssuer", () => {
  it("issues nonces in the protocol's format, different every time", () => {
    const first = issuer.issue(START_TIME);
    const second = issuer.issue(START_TIME);
    assert.match(first, /^[A-Za-z0-9_-]{16,256}$/);
    assert.equal(first.length, 76);
    assert.notEqual(first, second);
  });

  it("verifies its own nonce and says when it was issued and until when it must be remembered", () => {
    const verified = issuer.verify(issuer.issue(START_TIME), later(1000));
    assert.equal(verified.issuedAt.toISOString(), START_TIME.toISOString());
    assert.equal(verified.expiresAt.toISOString(), later(301_000).toISOString());
  });

  it("when exactly maxAgeSeconds old, still accepts it", () => {
    assert.doesNotThrow(() => issuer.verify(issuer.issue(START_TIME), later(300_000)));
  });

  it("when older than maxAgeSeconds: NONCE_EXPIRED", () => {
    assertRefused(
      issuer.issue(START_TIME),
      later(300_001),
      "NONCE_EXPIRED",
      "The STS proof's nonce has expired; sign in again",
    );
  });

  it("when dated more than a minute in the future: NONCE_INVALID", () => {
    assertRefused(
      issuer.issue(later(61_000)),
      START_TIME,
      "NONCE_INVALID",
      "The STS proof's nonce is dated in the future",
    );
    assert.doesNotThrow(() => issuer.verify(issuer.issue(later(60_000)), START_TIME));
  });

  it("when one character is changed anywhere (time, random part or MAC): NONCE_INVALID", () => {
    const nonce = issuer.issue(START_TIME);
    for (const index of [3, 20, 60, 75]) {
      const char = nonce[index] === "A" ? "B" : "A";
      assertRefused(
        `${nonce.slice(0, index)}${char}${nonce.slice(index + 1)}`,
        START_TIME,
        "NONCE_INVALID",
        notIssued,
      );
    }
  });

  it("when the issue time is moved forward to extend its life, the MAC no longer matches", () => {
    const bytes = Buffer.from(issuer.issue(START_TIME), "base64url");
    bytes.writeBigUInt64BE(BigInt(later(299_000).getTime()), 1);
    assertRefused(bytes.toString("base64url"), later(400_000), "NONCE_INVALID", notIssued);
  });

  it("when it was issued with another secret: NONCE_INVALID", () => {
    const other = createNonceIssuer({ secrets: [SECRET_B], maxAgeSeconds: 300 });
    assertRefused(other.issue(START_TIME), START_TIME, "NONCE_INVALID", notIssued);
  });

  it("when it is cut short, padded or not base64url: NONCE_INVALID", () => {
    const nonce = issuer.issue(START_TIME);
    for (const bad of [nonce.slice(0, 75), `${nonce}A`, `${nonce.slice(0, 75)}=`, "not a nonce", ""]) {
      assertRefused(bad, START_TIME, "NONCE_INVALID", notIssued);
    }
  });

  it("after a secret rotation (new secret first), still accepts nonces issued with the old one", () => {
    const rotated = createNonceIssuer({ secrets: [SECRET_B, SECRET_A], maxAgeSeconds: 300 });
    assert.doesNotThrow(() => rotated.verify(issuer.issue(START_TIME), START_TIME));
    assertRefused(rotated.issue(START_TIME), START_TIME, "NONCE_INVALID", notIssued);
  });
});
