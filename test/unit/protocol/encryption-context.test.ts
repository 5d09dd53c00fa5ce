import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeEncryptionContext, encodeEncryptionContext, ProtocolError } from "../../../protocol/index.js";

const b64 = (text: string): string => Buffer.from(text, "utf8").toString("base64");

describe("decodeEncryptionContext", () => {
  it("decodes the header exactly as example-server.py encodes it (json.dumps adds a space)", () => {
    assert.deepEqual(decodeEncryptionContext(b64('{"salt": "pepper"}')), { salt: "pepper" });
  });

  it("round-trips what encodeEncryptionContext produces", () => {
    const context = { salt: "s", app: "reports" };
    assert.deepEqual(decodeEncryptionContext(encodeEncryptionContext(context)), context);
  });

  it("returns a frozen object", () => {
    assert.ok(Object.isFrozen(decodeEncryptionContext(b64("{}"))));
  });

  const bad: [string, string, string][] = [
    ["not base64", "%%%", "The KMS encryption context header is not valid base64"],
    ["base64 with junk inside", "eyJ9*", "The KMS encryption context header is not valid base64"],
    ["not JSON", b64("salt=1"), "The KMS encryption context is not valid JSON"],
    ["a JSON array", b64('["a"]'), "The KMS encryption context must be a JSON object"],
    ["JSON null", b64("null"), "The KMS encryption context must be a JSON object"],
    ["a number value", b64('{"salt": 1}'), 'The KMS encryption context value for "salt" must be a string'],
    ["a nested object", b64('{"a": {}}'), 'The KMS encryption context value for "a" must be a string'],
  ];
  for (const [name, header, message] of bad) {
    it(`rejects ${name}`, () => {
      assert.throws(
        () => decodeEncryptionContext(header),
        (error: unknown) =>
          error instanceof ProtocolError &&
          error.code === "ENCRYPTION_CONTEXT_INVALID" &&
          error.message === message,
      );
    });
  }
});
