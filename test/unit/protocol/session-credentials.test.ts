import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  parseSessionCredentials,
  ProtocolError,
  serializeSessionCredentials,
} from "../../../protocol/index.js";

const credentials = {
  accessKeyId: "ASIAEXAMPLE",
  secretAccessKey: "secret/example",
  sessionToken: "token+example",
  expiration: new Date("2026-11-21T06:15:00.000Z"),
};

describe("serializeSessionCredentials", () => {
  it("writes exactly the four keys the original uses, Expiration as ISO-8601 UTC", () => {
    assert.equal(
      serializeSessionCredentials(credentials),
      '{"AccessKeyId":"ASIAEXAMPLE","SecretAccessKey":"secret/example","SessionToken":"token+example","Expiration":"2026-11-21T06:15:00.000Z"}',
    );
  });
});

describe("parseSessionCredentials", () => {
  it("round-trips", () => {
    assert.deepEqual(parseSessionCredentials(serializeSessionCredentials(credentials)), credentials);
  });

  it("accepts the Go original's key order and RFC 3339 date without fraction", () => {
    const parsed = parseSessionCredentials(
      '{"AccessKeyId":"A","Expiration":"2026-11-21T06:15:00Z","SecretAccessKey":"S","SessionToken":"T"}',
    );
    assert.equal(parsed.expiration.toISOString(), "2026-11-21T06:15:00.000Z");
  });

  const bad: [string, string, string][] = [
    ["not JSON", "{", "it is not JSON"],
    ["an array", "[]", "not a JSON object"],
    ["an extra key", '{"AccessKeyId":"A","Role":"x"}', 'unexpected key "Role"'],
    [
      "a missing key",
      '{"AccessKeyId":"A","SecretAccessKey":"S","SessionToken":"T"}',
      "Expiration is missing or not a string",
    ],
    [
      "a bad date",
      '{"AccessKeyId":"A","SecretAccessKey":"S","SessionToken":"T","Expiration":"tomorrow"}',
      "Expiration is not an RFC 3339 date",
    ],
    [
      "a number key",
      '{"AccessKeyId":1,"SecretAccessKey":"S","SessionToken":"T","Expiration":"2026-11-21T06:15:00Z"}',
      "AccessKeyId is missing or not a string",
    ],
  ];
  for (const [name, plaintext, reason] of bad) {
    it(`rejects ${name} without echoing the plaintext`, () => {
      assert.throws(
        () => parseSessionCredentials(plaintext),
        (error: unknown) =>
          error instanceof ProtocolError &&
          error.code === "CREDENTIALS_INVALID" &&
          error.message === `The token does not hold AWS credentials: ${reason}`,
      );
    });
  }
});
