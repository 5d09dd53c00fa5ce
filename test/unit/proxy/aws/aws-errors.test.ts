import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  describeRejectedKey,
  findRejectedKeyCode,
  isCredentialProviderError,
  mapAwsError,
} from "../../../../proxy/aws/aws-errors.js";
import { createCredentialsProviderError, createServiceError } from "../fakes.js";

const restart = "then restart the proxy (it keeps the credentials it found)";

describe("describeRejectedKey", () => {
  it("SignatureDoesNotMatch: the secret access key of the profile, how to set it, and the clock", () => {
    assert.equal(
      describeRejectedKey("SignatureDoesNotMatch", { kind: "profile", profile: "work" }),
      "AWS refused the key the proxy signed with: check the secret access key (aws_secret_access_key) " +
        'of profile "work" in the shared credentials file — `aws configure --profile work` sets it — ' +
        `and that this computer's clock is right, ${restart}`,
    );
  });

  it("InvalidClientTokenId from environment keys: the access key id in the environment", () => {
    assert.equal(
      describeRejectedKey("InvalidClientTokenId", { kind: "environment" }),
      "AWS refused the key the proxy signed with: check the access key id (AWS_ACCESS_KEY_ID; with temporary keys, " +
        `AWS_SESSION_TOKEN) in the proxy's environment, ${restart}`,
    );
  });

  it("KMS's names for the same refusals, and a credential_process source", () => {
    assert.match(
      describeRejectedKey("InvalidSignatureException", { kind: "process", profile: "tool" }) ?? "",
      /check the secret access key \(aws_secret_access_key\) the credential_process of profile "tool" returns/,
    );
    assert.match(
      describeRejectedKey("UnrecognizedClientException", undefined) ?? "",
      /check the access key id .* of the credentials the proxy uses \(its status page says where they come from\)/,
    );
  });

  it("any other code: no advice", () => {
    assert.equal(describeRejectedKey("AccessDenied", { kind: "environment" }), undefined);
    assert.equal(describeRejectedKey("ExpiredToken", undefined), undefined);
  });
});

describe("findRejectedKeyCode", () => {
  it("finds the code in an app's refusal, as a whole word only", () => {
    assert.equal(
      findRejectedKeyCode("AWS STS rejected the proof (SignatureDoesNotMatch)"),
      "SignatureDoesNotMatch",
    );
    assert.equal(
      findRejectedKeyCode("<p>Reason: rejected (InvalidClientTokenId)</p>"),
      "InvalidClientTokenId",
    );
    assert.equal(findRejectedKeyCode("AWS STS rejected the proof (ExpiredToken)"), undefined);
    assert.equal(findRejectedKeyCode("XSignatureDoesNotMatchY"), undefined);
  });
});

describe("mapAwsError with the credentials' source", () => {
  it("a refused key: AWS's code and message, then what to check of the source", () => {
    const error = mapAwsError(
      createServiceError("SignatureDoesNotMatch", "The request signature we calculated does not match."),
      { service: "STS", operation: "GetCallerIdentity" },
      { kind: "environment" },
    );
    assert.equal(error?.code, "AWS_REQUEST_FAILED");
    assert.equal(
      error?.message,
      "AWS STS GetCallerIdentity failed: SignatureDoesNotMatch: The request signature we calculated does not match; " +
        "AWS refused the key the proxy signed with: check the secret access key (AWS_SECRET_ACCESS_KEY) in the " +
        `proxy's environment and that this computer's clock is right, ${restart}`,
    );
  });

  it("another refusal is unchanged", () => {
    const error = mapAwsError(
      createServiceError("AccessDenied", "not authorized."),
      {
        service: "KMS",
        operation: "Encrypt",
      },
      { kind: "environment" },
    );
    assert.equal(error?.message, "AWS KMS Encrypt failed: AccessDenied: not authorized.");
  });
});

describe("isCredentialProviderError", () => {
  it("is the SDK's CredentialsProviderError (and TokenProviderError), nothing else", () => {
    assert.equal(isCredentialProviderError(createCredentialsProviderError("none")), true);
    assert.equal(
      isCredentialProviderError(Object.assign(new Error("x"), { name: "TokenProviderError" })),
      true,
    );
    assert.equal(isCredentialProviderError(createServiceError("AccessDenied", "no")), false);
    assert.equal(isCredentialProviderError("CredentialsProviderError"), false);
  });
});

// Issue 15's fault matrix found these answered 403 AWS_REQUEST_FAILED ("AWS refused the proxy's
// request … renew your credentials"), as if the person's credentials were at fault.
describe("mapAwsError when AWS itself is at fault, not the person's request", () => {
  const encrypt = { service: "KMS", operation: "Encrypt" } as const;

  it("throttling (KMS's ThrottlingException, STS's Throttling, HTTP 429): 503 AWS_THROTTLED", () => {
    const kms = mapAwsError(createServiceError("ThrottlingException", "Rate exceeded", 400), encrypt);
    assert.deepEqual(
      [kms?.code, kms?.status, kms?.message],
      ["AWS_THROTTLED", 503, "AWS KMS Encrypt failed: ThrottlingException: Rate exceeded; try again shortly"],
    );
    const sts = mapAwsError(createServiceError("Throttling", "Rate exceeded", 400), {
      service: "STS",
      operation: "GetSessionToken",
    });
    assert.equal(sts?.code, "AWS_THROTTLED");
    assert.equal(mapAwsError(createServiceError("SlowDown", "slow", 429), encrypt)?.code, "AWS_THROTTLED");
  });

  it("a server error (HTTP 5xx): 502 AWS_UNAVAILABLE with AWS's code", () => {
    const error = mapAwsError(createServiceError("KMSInternalException", "internal error", 500), encrypt);
    assert.deepEqual(
      [error?.code, error?.status, error?.message],
      ["AWS_UNAVAILABLE", 502, "AWS KMS Encrypt failed (HTTP 500): KMSInternalException: internal error"],
    );
  });

  it("an answer the SDK cannot read (HTTP 200, not JSON): 502 AWS_UNAVAILABLE, without the SDK's advice about its own fields", () => {
    const error = mapAwsError(
      createServiceError(
        "SyntaxError",
        `Unexpected token '<', "<html><bod"... is not valid JSON Deserialization error: to see the raw response, inspect the hidden field {error}.$response on this object.`,
        200,
      ),
      encrypt,
    );
    assert.deepEqual(
      [error?.code, error?.status, error?.message],
      [
        "AWS_UNAVAILABLE",
        502,
        "AWS KMS Encrypt failed: the answer (HTTP 200) is not one AWS KMS sends (SyntaxError)",
      ],
    );
  });
});
