import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  decryptBlob,
  encryptBlob,
  generateKeyMaterial,
  KmsCryptoError,
  readBlobKeyId,
  serializeEncryptionContext,
  type KeyMaterial,
} from "../../../local-aws/kms-crypto.js";

const keyA: KeyMaterial = { keyId: "aaaaaaaa-1111-2222-3333-444444444444", material: generateKeyMaterial() };
const keyB: KeyMaterial = { keyId: "bbbbbbbb-1111-2222-3333-444444444444", material: generateKeyMaterial() };
const plaintext = Buffer.from("attack at dawn", "utf8");
const context = { purpose: "login", audience: "app.example" };

function failsWith(code: string, action: () => unknown): void {
  assert.throws(action, (error: unknown) => {
    assert.ok(error instanceof KmsCryptoError, `expected KmsCryptoError, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  });
}

describe("kms-crypto", () => {
  it("round-trips plaintext under the same key and context", () => {
    const blob = encryptBlob(keyA, plaintext, context);
    assert.deepEqual(Buffer.from(decryptBlob(keyA, blob, context)), plaintext);
  });

  it("records the key id in the blob", () => {
    assert.equal(readBlobKeyId(encryptBlob(keyB, plaintext, {})), keyB.keyId);
  });

  it("uses a fresh IV: the same input never yields the same blob", () => {
    const a = Buffer.from(encryptBlob(keyA, plaintext, context));
    const b = Buffer.from(encryptBlob(keyA, plaintext, context));
    assert.notDeepEqual(a, b);
  });

  it("does not care about the order of context keys", () => {
    const blob = encryptBlob(keyA, plaintext, { a: "1", b: "2" });
    assert.deepEqual(Buffer.from(decryptBlob(keyA, blob, { b: "2", a: "1" })), plaintext);
  });

  describe("when the context differs", () => {
    const blob = encryptBlob(keyA, plaintext, context);
    it("fails on a changed value", () =>
      failsWith("InvalidCiphertext", () => decryptBlob(keyA, blob, { ...context, purpose: "x" })));
    it("fails on an extra pair", () =>
      failsWith("InvalidCiphertext", () => decryptBlob(keyA, blob, { ...context, extra: "1" })));
    it("fails on a missing pair", () =>
      failsWith("InvalidCiphertext", () => decryptBlob(keyA, blob, { purpose: "login" })));
    it("fails on no context at all", () => failsWith("InvalidCiphertext", () => decryptBlob(keyA, blob, {})));
  });

  it("keeps contexts that concatenate alike distinct", () => {
    assert.notDeepEqual(serializeEncryptionContext({ "a=b": "c" }), serializeEncryptionContext({ a: "b=c" }));
    const blob = encryptBlob(keyA, plaintext, { "a=b": "c" });
    failsWith("InvalidCiphertext", () => decryptBlob(keyA, blob, { a: "b=c" }));
  });

  it("refuses to decrypt under another key", () => {
    const blob = encryptBlob(keyA, plaintext, context);
    failsWith("WrongKey", () => decryptBlob(keyB, blob, context));
  });

  it("fails under other material claiming the same key id", () => {
    const blob = encryptBlob(keyA, plaintext, context);
    const impostor = { keyId: keyA.keyId, material: generateKeyMaterial() };
    failsWith("InvalidCiphertext", () => decryptBlob(impostor, blob, context));
  });

  it("fails when any single byte after the header is flipped", () => {
    const blob = Buffer.from(encryptBlob(keyA, plaintext, context));
    const headerLength = 2 + keyA.keyId.length;
    for (let i = headerLength; i < blob.length; i++) {
      const tampered = Buffer.from(blob);
      tampered[i] = (tampered[i] ?? 0) ^ 0x01;
      failsWith("InvalidCiphertext", () => decryptBlob(keyA, tampered, context));
    }
  });

  it("fails when the version byte or the key id in the header is changed", () => {
    const blob = Buffer.from(encryptBlob(keyA, plaintext, context));
    const badVersion = Buffer.from(blob);
    badVersion[0] = 2;
    failsWith("InvalidCiphertext", () => decryptBlob(keyA, badVersion, context));
    const otherId = Buffer.from(blob);
    otherId[2] = "b".charCodeAt(0);
    failsWith("WrongKey", () => decryptBlob(keyA, otherId, context));
  });

  it("rejects truncated and foreign blobs as invalid ciphertext", () => {
    const blob = Buffer.from(encryptBlob(keyA, plaintext, context));
    failsWith("InvalidCiphertext", () => decryptBlob(keyA, blob.subarray(0, blob.length - 1), context));
    failsWith("InvalidCiphertext", () => readBlobKeyId(blob.subarray(0, 20)));
    failsWith("InvalidCiphertext", () =>
      readBlobKeyId(Buffer.from("not a blob at all, just some text here")),
    );
    failsWith("InvalidCiphertext", () => readBlobKeyId(Buffer.alloc(0)));
  });
});
