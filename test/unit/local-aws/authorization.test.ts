import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  accessDeniedMessage,
  isKmsActionAllowed,
  isTrustedBy,
  matchesPrincipal,
  type PrincipalRef,
} from "../../../local-aws/authorization.js";

const user: PrincipalRef = {
  accountId: "111122223333",
  principalArn: "arn:aws:iam::111122223333:user/demo",
  arn: "arn:aws:iam::111122223333:user/demo",
};
const server: PrincipalRef = {
  accountId: "111122223333",
  principalArn: "arn:aws:iam::111122223333:user/example-server",
  arn: "arn:aws:iam::111122223333:user/example-server",
};
const roleSession: PrincipalRef = {
  accountId: "111122223333",
  principalArn: "arn:aws:iam::111122223333:role/Developer",
  arn: "arn:aws:sts::111122223333:assumed-role/Developer/alice",
};
const outsider: PrincipalRef = {
  accountId: "444455556666",
  principalArn: "arn:aws:iam::444455556666:user/outsider",
  arn: "arn:aws:iam::444455556666:user/outsider",
};

describe("matchesPrincipal", () => {
  it("matches an exact user ARN only", () => {
    assert.equal(matchesPrincipal([user.arn], user), true);
    assert.equal(matchesPrincipal([user.arn], server), false);
  });

  it("treats the account root as every principal of that account, not of others", () => {
    const root = ["arn:aws:iam::111122223333:root"];
    assert.equal(matchesPrincipal(root, user), true);
    assert.equal(matchesPrincipal(root, roleSession), true);
    assert.equal(matchesPrincipal(root, outsider), false);
  });

  it("matches a role session by its role ARN or its own session ARN", () => {
    assert.equal(matchesPrincipal(["arn:aws:iam::111122223333:role/Developer"], roleSession), true);
    assert.equal(matchesPrincipal([roleSession.arn], roleSession), true);
    assert.equal(matchesPrincipal(["arn:aws:iam::111122223333:role/Other"], roleSession), false);
  });

  it("matches nothing against an empty list", () => {
    assert.equal(matchesPrincipal([], user), false);
  });
});

describe("isKmsActionAllowed", () => {
  describe("when the key has no principal lists", () => {
    const key = { accountId: "111122223333" };
    it("allows every principal of the key's account", () => {
      for (const action of ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"] as const) {
        assert.equal(isKmsActionAllowed(action, user, key), true, action);
        assert.equal(isKmsActionAllowed(action, roleSession, key), true, action);
      }
    });
    it("denies principals of other accounts", () => {
      for (const action of ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"] as const) {
        assert.equal(isKmsActionAllowed(action, outsider, key), false, action);
      }
    });
  });

  describe("when the key lists encrypt and decrypt principals", () => {
    const key = {
      accountId: "111122223333",
      encryptPrincipals: ["arn:aws:iam::111122223333:root"],
      decryptPrincipals: [server.arn],
    };
    it("lets the account encrypt but only the listed server decrypt", () => {
      assert.equal(isKmsActionAllowed("kms:Encrypt", user, key), true);
      assert.equal(isKmsActionAllowed("kms:Decrypt", user, key), false);
      assert.equal(isKmsActionAllowed("kms:Decrypt", roleSession, key), false);
      assert.equal(isKmsActionAllowed("kms:Decrypt", server, key), true);
    });
    it("lets a listed foreign principal use the key and describe it", () => {
      const shared = { ...key, decryptPrincipals: [outsider.arn] };
      assert.equal(isKmsActionAllowed("kms:Decrypt", outsider, shared), true);
      assert.equal(isKmsActionAllowed("kms:DescribeKey", outsider, shared), true);
      assert.equal(isKmsActionAllowed("kms:Encrypt", outsider, shared), false);
    });
  });

  it("denies everyone an action whose list is empty", () => {
    const key = { accountId: "111122223333", encryptPrincipals: [], decryptPrincipals: [] };
    assert.equal(isKmsActionAllowed("kms:Encrypt", user, key), false);
    assert.equal(isKmsActionAllowed("kms:Decrypt", user, key), false);
    assert.equal(isKmsActionAllowed("kms:DescribeKey", user, key), true, "owning account may still describe");
  });
});

describe("isTrustedBy", () => {
  it("trusts only the listed principals", () => {
    assert.equal(isTrustedBy([user.arn], user), true);
    assert.equal(isTrustedBy([user.arn], server), false);
    assert.equal(isTrustedBy(["arn:aws:iam::444455556666:root"], outsider), true);
    assert.equal(isTrustedBy(["arn:aws:iam::444455556666:root"], user), false);
  });
});

describe("accessDeniedMessage", () => {
  it("uses AWS's wording", () => {
    assert.equal(
      accessDeniedMessage(user.arn, "kms:Encrypt", "arn:aws:kms:us-east-1:111122223333:key/k"),
      "User: arn:aws:iam::111122223333:user/demo is not authorized to perform: kms:Encrypt on resource: " +
        "arn:aws:kms:us-east-1:111122223333:key/k",
    );
  });
});
