import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { canonicalPrincipalArn, parseArn, ProtocolError } from "../../../protocol/index.js";

describe("parseArn", () => {
  it("splits an IAM user ARN", () => {
    assert.deepEqual(parseArn("arn:aws:iam::111122223333:user/dev/alice"), {
      partition: "aws",
      service: "iam",
      region: "",
      account: "111122223333",
      resource: "user/dev/alice",
    });
  });

  it("keeps colons in the resource", () => {
    assert.equal(parseArn("arn:aws-cn:sts::111122223333:assumed-role/R/a:b").resource, "assumed-role/R/a:b");
  });

  for (const bad of [
    "",
    "arn:aws:iam::1111:user/x",
    "arn:gcp:iam::111122223333:user/x",
    "arn:aws:iam::111122223333:",
    "aws:iam::111122223333:user/x",
  ]) {
    it(`rejects ${JSON.stringify(bad)}`, () => {
      assert.throws(
        () => parseArn(bad),
        (error: unknown) => error instanceof ProtocolError && error.code === "ARN_INVALID",
      );
    });
  }
});

describe("canonicalPrincipalArn", () => {
  it("turns an assumed-role session into its role", () => {
    assert.equal(
      canonicalPrincipalArn("arn:aws:sts::111122223333:assumed-role/Developer/alice@example.com"),
      "arn:aws:iam::111122223333:role/Developer",
    );
  });

  it("keeps the partition", () => {
    assert.equal(
      canonicalPrincipalArn("arn:aws-us-gov:sts::111122223333:assumed-role/R/s"),
      "arn:aws-us-gov:iam::111122223333:role/R",
    );
  });

  it("leaves users and roles alone", () => {
    assert.equal(
      canonicalPrincipalArn("arn:aws:iam::111122223333:user/alice"),
      "arn:aws:iam::111122223333:user/alice",
    );
    assert.equal(
      canonicalPrincipalArn("arn:aws:iam::111122223333:role/R"),
      "arn:aws:iam::111122223333:role/R",
    );
  });
});
