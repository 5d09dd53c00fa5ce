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
