import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  buildPolicies,
  describeKeyArnProblem,
  formatPolicies,
  KEY_ARN_PLACEHOLDER,
} from "../../../protocol/iam-policies.js";

const keyArn = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

/** The JSON documents of formatted output, each parsed: what a person would paste. */
function pastedDocuments(text: string): unknown[] {
  return text
    .split(/^# .*$/m)
    .map((chunk) => chunk.trim())
    .filter((chunk) => chunk !== "")
    .map((chunk) => JSON.parse(chunk) as unknown);
}

describe("buildPolicies", () => {
  it("STS method: nothing to grant on either side, said in one line each", () => {
    for (const side of ["person", "server"] as const) {
      const documents = buildPolicies({ methods: ["sts"], side });
      assert.equal(documents.length, 1);
      assert.ok(!("json" in documents[0]!));
      assert.match(
        formatPolicies(documents),
        /^# The (person's|app server's) IAM policy \(STS method\): nothing to grant: /,
      );
    }
  });

  it("KMS method, person: GetSessionToken and kms:Encrypt on the key, as one policy that parses", () => {
    const text = formatPolicies(buildPolicies({ methods: ["kms"], keyArn, side: "person" }));
    assert.deepEqual(pastedDocuments(text), [
      {
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Action: "sts:GetSessionToken", Resource: "*" },
          { Effect: "Allow", Action: "kms:Encrypt", Resource: keyArn },
        ],
      },
    ]);
  });

  it("KMS method, server: Decrypt and DescribeKey; a key policy statement only for people in another account", () => {
    const sameAccount = pastedDocuments(
      formatPolicies(
        buildPolicies({ methods: ["kms"], keyArn, side: "server", peopleAccount: "111122223333" }),
      ),
    );
    assert.deepEqual(sameAccount, [
      {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: ["kms:Decrypt", "kms:DescribeKey"], Resource: keyArn }],
      },
    ]);
    const other = pastedDocuments(
      formatPolicies(
        buildPolicies({ methods: ["kms"], keyArn, side: "server", peopleAccount: "444455556666" }),
      ),
    );
    assert.equal(other.length, 2);
    assert.deepEqual(other[1], [
      {
        Sid: "PeopleInTheIdentityAccountMayEncrypt",
        Effect: "Allow",
        Principal: { AWS: "arn:aws:iam::444455556666:root" },
        Action: "kms:Encrypt",
        Resource: "*",
      },
    ]);
  });

  it("without a key ARN, the policies name a placeholder to fill in", () => {
    assert.match(
      formatPolicies(buildPolicies({ methods: ["kms"], side: "person" })),
      new RegExp(KEY_ARN_PLACEHOLDER),
    );
  });
});

describe("describeKeyArnProblem", () => {
  it("accepts a key ARN, in any partition, and refuses an alias, a key id or junk", () => {
    assert.equal(describeKeyArnProblem(keyArn), undefined);
    assert.equal(describeKeyArnProblem("arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/abc-1"), undefined);
    for (const bad of ["alias/demo", "arn:aws:kms:eu-west-1:111122223333:alias/demo", "1234abcd", ""]) {
      assert.match(describeKeyArnProblem(bad) ?? "", /^must be a KMS key ARN/, bad);
    }
  });
});
