import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { findIamChallenge, formatIamChallenge } from "../../../protocol/index.js";

describe("findIamChallenge", () => {
  it("finds the realm the original Flask server sends", () => {
    const found = findIamChallenge(['IAM realm="111122223333"']);
    assert.deepEqual(found, { kind: "iam", challenge: { realm: "111122223333", params: new Map() } });
  });

  it("reads auth-params after the realm, lower-casing names and unquoting values", () => {
    const found = findIamChallenge([
      'IAM realm="111122223333", Nonce="a\\"b", methods="sts kms", server-id=app',
    ]);
    assert.equal(found.kind, "iam");
    assert.deepEqual(found.kind === "iam" ? [...found.challenge.params] : [], [
      ["nonce", 'a"b'],
      ["methods", "sts kms"],
      ["server-id", "app"],
    ]);
  });

  it("matches the scheme case-insensitively", () => {
    assert.equal(findIamChallenge(['iam realm="111122223333"']).kind, "iam");
  });

  it("finds the IAM challenge among other challenges in one field", () => {
    const found = findIamChallenge(['Basic realm="x", IAM realm="111122223333", Bearer']);
    assert.equal(found.kind === "iam" ? found.challenge.realm : "", "111122223333");
  });

  it("finds the IAM challenge in a later field", () => {
    const found = findIamChallenge(['Basic realm="x"', 'IAM realm="111122223333"']);
    assert.equal(found.kind === "iam" ? found.challenge.realm : "", "111122223333");
  });

  it("does not mistake a token68 for a challenge", () => {
    assert.deepEqual(findIamChallenge(["Negotiate abc+/==, Basic realm=x"]), { kind: "none" });
  });

  it("ignores other schemes and empty fields", () => {
    assert.deepEqual(findIamChallenge([]), { kind: "none" });
    assert.deepEqual(findIamChallenge(['Basic realm="IAM realm=\\"1\\""']), { kind: "none" });
    assert.deepEqual(findIamChallenge(["IAMX realm=1"]), { kind: "none" });
  });

  const invalid: [string, string, string][] = [
    ["IAM", "CHALLENGE_REALM_MISSING", "The IAM challenge has no realm (the AWS account id)"],
    ['IAM nonce="x"', "CHALLENGE_REALM_MISSING", "The IAM challenge has no realm (the AWS account id)"],
    [
      'IAM realm="12345"',
      "CHALLENGE_REALM_INVALID",
      'The IAM challenge realm must be a 12-digit AWS account id (got: "12345")',
    ],
    [
      'IAM realm="111122223333',
      "CHALLENGE_MALFORMED",
      "The IAM challenge is malformed: a quoted parameter value is not terminated",
    ],
    [
      'IAM realm="111122223333", realm="444455556666"',
      "CHALLENGE_MALFORMED",
      'The IAM challenge is malformed: parameter "realm" is repeated',
    ],
  ];
  for (const [header, code, message] of invalid) {
    it(`rejects ${JSON.stringify(header)} with ${code}`, () => {
      const found = findIamChallenge([header]);
      assert.equal(found.kind, "invalid");
      assert.equal(found.kind === "invalid" ? found.error.code : "", code);
      assert.equal(found.kind === "invalid" ? found.error.message : "", message);
    });
  }
});

describe("formatIamChallenge", () => {
  it("puts the realm first so the original client's regex finds it", () => {
    const header = formatIamChallenge({
      realm: "111122223333",
      params: new Map([
        ["methods", "sts kms"],
        ["nonce", 'n"1'],
      ]),
    });
    assert.equal(header, 'IAM realm="111122223333", methods="sts kms", nonce="n\\"1"');
    assert.equal(/IAM realm="([^"]+)"/.exec(header)?.[1], "111122223333");
  });

  it("round-trips through findIamChallenge", () => {
    const challenge = { realm: "111122223333", params: new Map([["server-id", "app.example.com"]]) };
    assert.deepEqual(findIamChallenge([formatIamChallenge(challenge)]), { kind: "iam", challenge });
  });
});

describe("the auth-path parameter", () => {
  it("is read into authPath, apart from the other params", () => {
    const found = findIamChallenge(['IAM realm="111122223333", methods="sts", auth-path="/admin/auth"']);
    assert.deepEqual(found, {
      kind: "iam",
      challenge: { realm: "111122223333", authPath: "/admin/auth", params: new Map([["methods", "sts"]]) },
    });
  });

  it("is absent from a challenge without it (the original's: /auth applies)", () => {
    const found = findIamChallenge(['IAM realm="111122223333", methods="sts"']);
    assert.equal(found.kind === "iam" ? found.challenge.authPath : "not iam", undefined);
  });

  it("matches its name case-insensitively, as every auth-param", () => {
    const found = findIamChallenge(['IAM realm="111122223333", Auth-Path="/login/iam"']);
    assert.equal(found.kind === "iam" ? found.challenge.authPath : "", "/login/iam");
  });

  it("round-trips through formatIamChallenge, sent last", () => {
    const challenge = {
      realm: "111122223333",
      authPath: "/admin/login/iam",
      params: new Map([
        ["methods", "sts kms"],
        ["server-id", "app.example.com"],
      ]),
    };
    const header = formatIamChallenge(challenge);
    assert.equal(
      header,
      'IAM realm="111122223333", methods="sts kms", server-id="app.example.com", auth-path="/admin/login/iam"',
    );
    assert.deepEqual(findIamChallenge([header]), { kind: "iam", challenge });
  });

  it("is not formatted when authPath is undefined", () => {
    assert.equal(
      formatIamChallenge({ realm: "111122223333", authPath: undefined, params: new Map() }),
      'IAM realm="111122223333"',
    );
  });

  it("formatting an unsafe authPath is a TypeError (the app's own path is wrong)", () => {
    assert.throws(
      () => formatIamChallenge({ realm: "111122223333", authPath: "//evil", params: new Map() }),
      {
        name: "TypeError",
        message:
          'formatIamChallenge: auth-path must be a path on the app\'s own site: it has an empty segment ("//") (got "//evil")',
      },
    );
  });

  it("an unsafe one makes the challenge invalid with AUTH_PATH_UNSAFE", () => {
    const found = findIamChallenge(['IAM realm="111122223333", auth-path="https://evil.example/auth"']);
    assert.equal(found.kind, "invalid");
    assert.equal(found.kind === "invalid" ? found.error.code : "", "AUTH_PATH_UNSAFE");
    assert.equal(
      found.kind === "invalid" ? found.error.message : "",
      'auth-path must be a path on the app\'s own site: it does not start with "/" (got "https://evil.example/auth")',
    );
  });

  it("a repeated one is malformed", () => {
    const found = findIamChallenge(['IAM realm="111122223333", auth-path="/a", auth-path="/b"']);
    assert.equal(found.kind === "invalid" ? found.error.code : "", "CHALLENGE_MALFORMED");
  });
});
