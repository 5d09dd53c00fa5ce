import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  checkIdentityAllowed,
  createIdentityCheck,
  describePrincipalPatternProblem,
  isIdentityAllowed,
  matchesPrincipalPattern,
  type AccessRules,
} from "../../../../server-middleware/session/authorization.js";
import { IamAuthError } from "../../../../server-middleware/index.js";

const A = "111122223333";
const B = "444455556666";
const identity = (arn: string, account = arn.split(":")[4] ?? "") => ({ arn, account, userId: "AIDAX" });

describe("matchesPrincipalPattern", () => {
  const cases: [string, string, boolean][] = [
    [`arn:aws:iam::${A}:role/Developer`, `arn:aws:iam::${A}:role/Dev*`, true],
    [`arn:aws:iam::${A}:role/Dev`, `arn:aws:iam::${A}:role/Dev*`, true],
    [`arn:aws:iam::${A}:role/Admin`, `arn:aws:iam::${A}:role/Dev*`, false],
    [`arn:aws:iam::${A}:role/developer`, `arn:aws:iam::${A}:role/Dev*`, false],
    [`arn:aws:iam::${A}:user/alice`, `arn:aws:iam::${A}:user/alice`, true],
    [`arn:aws:iam::${A}:user/alice2`, `arn:aws:iam::${A}:user/alice`, false],
    [`arn:aws:iam::${A}:user/team/alice`, `arn:aws:iam::${A}:user/*`, true],
    [`arn:aws:iam::${B}:user/alice`, "arn:aws:iam::*:user/alice", true],
    // "." and other regex characters are literal.
    [`arn:aws:iam::${A}:user/aXb`, `arn:aws:iam::${A}:user/a.b`, false],
    [`arn:aws:iam::${A}:user/a+b`, `arn:aws:iam::${A}:user/a+b`, true],
    [`arn:aws:iam::${A}:role/Dev\nx`, `arn:aws:iam::${A}:role/Dev*`, true],
  ];
  for (const [arn, pattern, expected] of cases) {
    it(`${JSON.stringify(arn)} ${expected ? "matches" : "does not match"} ${pattern}`, () => {
      assert.equal(matchesPrincipalPattern(arn, pattern), expected);
    });
  }
});

describe("createIdentityCheck (isIdentityAllowed compiled once, for every request)", () => {
  const devRoles: AccessRules = { allowedAccounts: [A], allowedPrincipals: [`arn:aws:iam::${A}:role/Dev*`] };

  it("answers as isIdentityAllowed, call after call", () => {
    const isAllowed = createIdentityCheck(devRoles);
    for (const arn of [
      `arn:aws:sts::${A}:assumed-role/Developer/alice`,
      `arn:aws:sts::${A}:assumed-role/Admin/Developer`,
      `arn:aws:iam::${A}:user/demo`,
      `arn:aws:iam::${B}:role/Developer`,
      "not-an-arn",
    ]) {
      const expected = isIdentityAllowed(identity(arn, A), devRoles);
      for (let i = 0; i < 3; i++) assert.equal(isAllowed(identity(arn, A)), expected, arn);
    }
    assert.equal(isAllowed(identity(`arn:aws:sts::${A}:assumed-role/Developer/alice`)), true);
  });

  it("when no patterns are set, still refuses an ARN that is not one or is in another account", () => {
    const isAllowed = createIdentityCheck({ allowedAccounts: [A], allowedPrincipals: undefined });
    assert.equal(isAllowed(identity(`arn:aws:iam::${A}:user/alice`)), true);
    assert.equal(isAllowed(identity("not-an-arn", A)), false);
    assert.equal(isAllowed(identity(`arn:aws:iam::${B}:user/mallory`, A)), false);
  });

  it("keeps the rules it was made with, whatever happens to the arrays afterwards", () => {
    const allowedAccounts = [A];
    const allowedPrincipals = [`arn:aws:iam::${A}:user/alice`];
    const isAllowed = createIdentityCheck({ allowedAccounts, allowedPrincipals });
    allowedAccounts.push(B);
    allowedPrincipals.push("arn:aws:iam::*:user/*");
    assert.equal(isAllowed(identity(`arn:aws:iam::${A}:user/alice`)), true);
    assert.equal(isAllowed(identity(`arn:aws:iam::${A}:user/bob`)), false);
    assert.equal(isAllowed(identity(`arn:aws:iam::${B}:user/bob`)), false);
  });
});

describe("isIdentityAllowed", () => {
  const devRoles: AccessRules = { allowedAccounts: [A], allowedPrincipals: [`arn:aws:iam::${A}:role/Dev*`] };

  it("when no patterns are set, allows every identity of the allowed accounts", () => {
    const rules: AccessRules = { allowedAccounts: [A], allowedPrincipals: undefined };
    assert.equal(isIdentityAllowed(identity(`arn:aws:iam::${A}:user/alice`), rules), true);
    assert.equal(isIdentityAllowed(identity(`arn:aws:iam::${B}:user/mallory`), rules), false);
  });

  it("when several accounts are allowed, allows each of them (cross-account)", () => {
    const rules: AccessRules = { allowedAccounts: [A, B], allowedPrincipals: undefined };
    assert.equal(isIdentityAllowed(identity(`arn:aws:iam::${B}:user/bob`), rules), true);
  });

  it("matches an assumed-role session as its role", () => {
    assert.equal(
      isIdentityAllowed(identity(`arn:aws:sts::${A}:assumed-role/Developer/alice`), devRoles),
      true,
    );
    assert.equal(isIdentityAllowed(identity(`arn:aws:sts::${A}:assumed-role/Admin/alice`), devRoles), false);
  });

  it("does not let a session name that looks like a role match (assumed-role/Admin/Dev)", () => {
    assert.equal(
      isIdentityAllowed(identity(`arn:aws:sts::${A}:assumed-role/Admin/Developer`), devRoles),
      false,
    );
  });

  it("refuses a user the patterns do not name", () => {
    assert.equal(isIdentityAllowed(identity(`arn:aws:iam::${A}:user/demo`), devRoles), false);
  });

  it("refuses an identity whose ARN is in another account than it claims", () => {
    const rules: AccessRules = { allowedAccounts: [A], allowedPrincipals: undefined };
    assert.equal(isIdentityAllowed(identity(`arn:aws:iam::${B}:user/mallory`, A), rules), false);
    assert.equal(isIdentityAllowed(identity("not-an-arn", A), rules), false);
  });

  it("when the pattern matches but the account is not allowed, refuses", () => {
    const rules: AccessRules = { allowedAccounts: [A], allowedPrincipals: ["arn:aws:iam::*:user/*"] };
    assert.equal(isIdentityAllowed(identity(`arn:aws:iam::${B}:user/bob`), rules), false);
  });
});

describe("checkIdentityAllowed", () => {
  it("throws 403 NOT_ALLOWED naming the full ARN", () => {
    const rules: AccessRules = { allowedAccounts: [A], allowedPrincipals: [`arn:aws:iam::${A}:role/Dev*`] };
    assert.throws(
      () => checkIdentityAllowed(identity(`arn:aws:sts::${A}:assumed-role/Admin/alice`), rules),
      (error: unknown) => {
        assert.ok(error instanceof IamAuthError);
        assert.equal(error.code, "NOT_ALLOWED");
        assert.equal(error.status, 403);
        assert.equal(
          error.message,
          `The identity arn:aws:sts::${A}:assumed-role/Admin/alice is not allowed to use this app`,
        );
        return true;
      },
    );
  });
});

describe("describePrincipalPatternProblem", () => {
  const cases: [string, string | undefined][] = [
    [`arn:aws:iam::${A}:role/Dev*`, undefined],
    [`arn:aws:iam::${A}:user/alice`, undefined],
    ["arn:aws:iam::*:role/ReadOnly", undefined],
    [`arn:aws-us-gov:iam::${A}:role/Dev`, undefined],
    [`arn:aws:sts::${A}:federated-user/bob`, undefined],
    ["*", 'must be an IAM principal ARN, such as "arn:aws:iam::111122223333:role/Dev*"'],
    [`arn:aws:iam::${A}:`, 'must be an IAM principal ARN, such as "arn:aws:iam::111122223333:role/Dev*"'],
    [`arn:aws:s3:::bucket`, 'must be an ARN of service "iam" (or "sts" for federated users)'],
    [`arn:aws:iam:us-east-1:${A}:role/Dev`, "must have an empty region (IAM ARNs are global)"],
    ["arn:aws:iam::1234:role/Dev", 'must name a 12-digit account or "*"'],
    [`arn:aws:iam::${A}:role/Dev x`, "must be an ARN pattern without whitespace"],
    [
      `arn:aws:sts::${A}:assumed-role/Developer/*`,
      `matches role sessions by their role: write "arn:aws:iam::${A}:role/Developer" instead`,
    ],
    [
      `arn:aws:iam::${B}:role/Dev`,
      `names account ${B}, which is not in allowedAccounts, so it could never match`,
    ],
  ];
  for (const [pattern, problem] of cases) {
    it(`${pattern}: ${problem ?? "fine"}`, () => {
      assert.equal(describePrincipalPatternProblem(pattern, [A]), problem);
    });
  }
});
