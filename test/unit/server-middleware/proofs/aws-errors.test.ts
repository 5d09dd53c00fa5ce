import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  DisabledException,
  IncorrectKeyException,
  InvalidCiphertextException,
  KMSInternalException,
  KMSServiceException,
  NotFoundException,
} from "@aws-sdk/client-kms";
import { ExpiredTokenException, STSServiceException } from "@aws-sdk/client-sts";
import { labelError, mapKmsError, mapStsError } from "../../../../server-middleware/proofs/aws-errors.js";
import { IamAuthError } from "../../../../server-middleware/errors.js";

const metadata = { $metadata: { httpStatusCode: 400 }, message: "m" };
const networkError = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), {
  code: "ECONNREFUSED",
  $metadata: { attempts: 1, totalRetryDelay: 0 },
});
const kmsError = (name: string): KMSServiceException =>
  new KMSServiceException({ name, $fault: "client", $metadata: { httpStatusCode: 400 }, message: "m" });
const stsError = (name: string, fault: "client" | "server", status: number): STSServiceException =>
  new STSServiceException({ name, $fault: fault, $metadata: { httpStatusCode: status }, message: "m" });

function assertMapped(error: IamAuthError, code: string, status: number, cause: unknown): void {
  assert.ok(error instanceof IamAuthError);
  assert.equal(error.code, code);
  assert.equal(error.status, status);
  assert.equal(error.cause, cause);
}

describe("mapKmsError", () => {
  const cases: [string, unknown, string, number][] = [
    ["InvalidCiphertextException", new InvalidCiphertextException(metadata), "TOKEN_UNREADABLE", 403],
    ["IncorrectKeyException", new IncorrectKeyException(metadata), "TOKEN_FOREIGN_KEY", 403],
    ["AccessDeniedException", kmsError("AccessDeniedException"), "KMS_ACCESS_DENIED", 502],
    ["DisabledException", new DisabledException(metadata), "KMS_KEY_UNUSABLE", 502],
    ["NotFoundException", new NotFoundException(metadata), "KMS_KEY_UNUSABLE", 502],
    ["ThrottlingException", kmsError("ThrottlingException"), "KMS_THROTTLED", 503],
    [
      "KMSInternalException",
      new KMSInternalException({ ...metadata, $metadata: { httpStatusCode: 500 } }),
      "KMS_UNAVAILABLE",
      502,
    ],
    ["a network error", networkError, "KMS_UNAVAILABLE", 502],
    ["a missing region", new Error("Region is missing"), "KMS_UNAVAILABLE", 502],
  ];
  for (const [name, error, code, status] of cases) {
    it(`when ${name}: ${code} (${status})`, () => assertMapped(mapKmsError(error), code, status, error));
  }

  it("names the error in KMS_KEY_UNUSABLE", () => {
    assert.equal(
      mapKmsError(new DisabledException(metadata)).message,
      "This server's KMS key cannot decrypt (DisabledException)",
    );
  });
});

describe("mapStsError", () => {
  const cases: [string, unknown, string, number][] = [
    ["ExpiredTokenException", new ExpiredTokenException(metadata), "CREDENTIALS_EXPIRED", 403],
    ["ExpiredToken (unmodelled)", stsError("ExpiredToken", "client", 403), "CREDENTIALS_EXPIRED", 403],
    ["InvalidClientTokenId", stsError("InvalidClientTokenId", "client", 403), "CREDENTIALS_REJECTED", 403],
    ["SignatureDoesNotMatch", stsError("SignatureDoesNotMatch", "client", 403), "CREDENTIALS_REJECTED", 403],
    ["Throttling", stsError("Throttling", "client", 400), "STS_THROTTLED", 503],
    ["a 429", stsError("SlowDown", "client", 429), "STS_THROTTLED", 503],
    ["InternalFailure", stsError("InternalFailure", "server", 500), "STS_UNAVAILABLE", 502],
    ["a network error", networkError, "STS_UNAVAILABLE", 502],
  ];
  for (const [name, error, code, status] of cases) {
    it(`when ${name}: ${code} (${status})`, () => assertMapped(mapStsError(error), code, status, error));
  }

  it("names the AWS error code in CREDENTIALS_REJECTED", () => {
    assert.equal(
      mapStsError(stsError("SignatureDoesNotMatch", "client", 403)).message,
      "AWS STS rejected the credentials in the token (SignatureDoesNotMatch)",
    );
  });
});

describe("labelError", () => {
  it("is the AWS error code, the errno code, or the class name, never the message", () => {
    assert.equal(labelError(stsError("InvalidClientTokenId", "client", 403)), "InvalidClientTokenId");
    assert.equal(labelError(networkError), "ECONNREFUSED");
    assert.equal(labelError(new RangeError("secret detail")), "RangeError");
    assert.equal(labelError("a string"), "string");
  });
});
