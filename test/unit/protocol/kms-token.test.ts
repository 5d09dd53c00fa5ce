import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  bindEncryptionContext,
  formatKmsToken,
  KMS_SERVER_ID_CONTEXT_KEY,
  parseKmsToken,
  ProtocolError,
} from "../../../protocol/index.js";

describe("bindEncryptionContext", () => {
  it("adds the server-id under the reserved key, keeping the app's entries", () => {
    const bound = bindEncryptionContext({ salt: "s" }, "app.example.com");
    assert.deepEqual(bound, { salt: "s", "iam-auth:server-id": "app.example.com" });
    assert.equal(KMS_SERVER_ID_CONTEXT_KEY, "iam-auth:server-id");
    assert.ok(Object.isFrozen(bound));
  });

  it("refuses an app context that already has the reserved key (it could name another app)", () => {
    assert.throws(
      () =>
        bindEncryptionContext({ salt: "s", "iam-auth:server-id": "other.example.com" }, "app.example.com"),
      (error: unknown) => {
        assert.ok(error instanceof ProtocolError);
        assert.equal(error.code, "ENCRYPTION_CONTEXT_INVALID");
        assert.equal(
          error.message,
          'The KMS encryption context must not contain the reserved key "iam-auth:server-id"',
        );
        return true;
      },
    );
  });
});

describe("formatKmsToken / parseKmsToken", () => {
  it("prefixes a bound token with kms1.", () => {
    assert.equal(formatKmsToken("AQID", true), "kms1.AQID");
    assert.deepEqual(parseKmsToken("kms1.AQID"), { bound: true, ciphertextBase64: "AQID" });
  });

  it("leaves an unbound token as the bare base64 the original proxy sends", () => {
    assert.equal(formatKmsToken("AQID", false), "AQID");
    assert.deepEqual(parseKmsToken("AQID"), { bound: false, ciphertextBase64: "AQID" });
  });
});
