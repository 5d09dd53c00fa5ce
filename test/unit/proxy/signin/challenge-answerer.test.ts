import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createAwsSession, createChallengeAnswerer } from "../../../../proxy/index.js";
import { answerChallenge, challengeOf, assertDenied, target, tokenOf } from "../answer-helpers.js";
import {
  createChallengeHead,
  createCredentialsProviderError,
  createFakeAws,
  createNetworkError,
  createServiceError,
  DEMO_IDENTITY,
  encodeContextHeader,
  FAKE_CIPHERTEXT_PREFIX,
  KEY_ARN,
  REALM,
  SALT,
} from "../fakes.js";

const expectedPlaintext =
  '{"AccessKeyId":"ASIATESTSESSION00001","SecretAccessKey":"test-session-secret-NOT-REAL-0001",' +
  '"SessionToken":"test-session-token-NOT-REAL-0001","Expiration":"2030-01-02T03:04:05.000Z"}';

describe("createChallengeAnswerer: the KMS method and what every method shares", () => {
  describe("when the app sends the original's (KMS-only) challenge and AWS cooperates", () => {
    it("answers with the base64 KMS ciphertext as the token", async () => {
      const { deps } = createFakeAws();
      const decision = await answerChallenge(createChallengeHead(), target, deps);
      const token = Buffer.from(FAKE_CIPHERTEXT_PREFIX + expectedPlaintext, "utf8").toString("base64");
      assert.deepEqual(decision, { action: "answer", method: "kms", token, identity: DEMO_IDENTITY });
    });

    it("encrypts exactly AccessKeyId, SecretAccessKey, SessionToken, Expiration with the key id and decoded context", async () => {
      const { deps, calls } = createFakeAws();
      const decision = await answerChallenge(createChallengeHead(), target, deps);
      assert.equal(calls.encrypt.length, 1);
      const [encrypt] = calls.encrypt;
      assert.equal(encrypt?.keyId, KEY_ARN);
      assert.deepEqual(encrypt?.encryptionContext, { salt: SALT });
      const plaintext = JSON.parse(encrypt?.plaintext ?? "") as Record<string, string>;
      assert.deepEqual(Object.keys(plaintext), [
        "AccessKeyId",
        "SecretAccessKey",
        "SessionToken",
        "Expiration",
      ]);
      assert.equal(plaintext.Expiration, "2030-01-02T03:04:05.000Z");

      // The token decodes to what KMS returned for that plaintext.
      assert.equal(
        Buffer.from(tokenOf(decision), "base64").toString("utf8"),
        FAKE_CIPHERTEXT_PREFIX + expectedPlaintext,
      );
    });

    it("binds the token to a server-id the challenge names: reserved context key and kms1. prefix", async () => {
      const { deps, calls } = createFakeAws();
      const head = createChallengeHead({
        "www-authenticate": [`IAM realm="${REALM}", methods="kms", server-id="${target.host}"`],
      });
      const decision = await answerChallenge(head, target, deps);
      assert.deepEqual(calls.encrypt[0]?.encryptionContext, {
        salt: SALT,
        "iam-auth:server-id": target.host,
      });
      const token = tokenOf(decision);
      assert.ok(token.startsWith("kms1."));
      assert.equal(
        Buffer.from(token.slice("kms1.".length), "base64").toString("utf8"),
        FAKE_CIPHERTEXT_PREFIX + expectedPlaintext,
      );
    });

    it("refuses to bind a token to another app's server-id: 403 SERVER_ID_MISMATCH before any AWS call", async () => {
      const { deps, calls } = createFakeAws();
      const head = createChallengeHead({
        "www-authenticate": [`IAM realm="${REALM}", methods="kms", server-id="bank.internal"`],
      });
      assertDenied(
        await answerChallenge(head, target, deps),
        "SERVER_ID_MISMATCH",
        403,
        `Refusing to sign in: the app at ${target.host} asked for a proof for server-id bank.internal ` +
          "(a proof for another server would let this app sign in there as you)",
      );
      assert.equal(calls.resolveCredentials, 0);
      assert.equal(calls.encrypt.length, 0);
    });

    it("asks GetSessionToken for 900 seconds, checking the identity first", async () => {
      const { deps, calls } = createFakeAws();
      await answerChallenge(createChallengeHead(), target, deps);
      assert.equal(calls.resolveCredentials, 1);
      assert.equal(calls.getCallerIdentity, 1);
      assert.deepEqual(calls.getSessionToken, [{ durationSeconds: 900 }]);
    });

    it("sends the MFA device and the code it reads with GetSessionToken when configured", async () => {
      const serialNumber = "arn:aws:iam::111122223333:mfa/demo";
      const asked: string[] = [];
      const { deps, calls } = createFakeAws({
        sessionTokenMfa: {
          serialNumber,
          readCode: (serial) => {
            asked.push(serial);
            return Promise.resolve("123456");
          },
        },
      });
      await answerChallenge(createChallengeHead(), target, deps);
      assert.deepEqual(asked, [serialNumber]);
      assert.deepEqual(calls.getSessionToken, [
        { durationSeconds: 900, mfa: { serialNumber, tokenCode: "123456" } },
      ]);
    });

    it("reuses the identity and session credentials: a second login is one kms:Encrypt", async () => {
      const { deps, calls } = createFakeAws();
      const answer = createChallengeAnswerer({
        session: createAwsSession(deps),
        mayReceiveKmsProof: () => true,
      });
      assert.equal((await answer(challengeOf(createChallengeHead()), target)).action, "answer");
      assert.equal((await answer(challengeOf(createChallengeHead()), target)).action, "answer");
      assert.equal(calls.getCallerIdentity, 1);
      assert.equal(calls.getSessionToken.length, 1);
      assert.equal(calls.encrypt.length, 2);
    });

    it("finds the IAM challenge among other challenges and fields", async () => {
      const { deps } = createFakeAws();
      const head = createChallengeHead({
        "www-authenticate": [
          'Basic realm="intranet"',
          `Bearer error="invalid_token", IAM realm="${REALM}", nonce="n1"`,
        ],
      });
      assert.equal((await answerChallenge(head, target, deps)).action, "answer");
    });
  });

  describe("when the response is not an IAM challenge", () => {
    it("passes a 401 of another scheme through without calling AWS", async () => {
      const { deps, calls } = createFakeAws();
      const head = createChallengeHead({ "www-authenticate": ['Basic realm="intranet"'] });
      assert.deepEqual(await answerChallenge(head, target, deps), { action: "pass-through" });
      assert.equal(calls.resolveCredentials + calls.getCallerIdentity, 0);
    });

    it("passes a 401 without WWW-Authenticate through", async () => {
      const { deps } = createFakeAws();
      const head = createChallengeHead({ "www-authenticate": undefined });
      assert.deepEqual(await answerChallenge(head, target, deps), { action: "pass-through" });
    });

    it("passes a 200 through even if it carries IAM headers", async () => {
      const { deps, calls } = createFakeAws();
      const head = { ...createChallengeHead(), statusCode: 200 };
      assert.deepEqual(await answerChallenge(head, target, deps), { action: "pass-through" });
      assert.equal(calls.resolveCredentials, 0);
    });
  });

  describe("when the challenge is incomplete or malformed", () => {
    it("denies a challenge without Iam-Auth-Kms-Key-Id with 403 naming the header", async () => {
      const { deps, calls } = createFakeAws();
      const decision = await answerChallenge(
        createChallengeHead({ "iam-auth-kms-key-id": undefined }),
        target,
        deps,
      );
      assertDenied(
        decision,
        "KMS_KEY_ID_MISSING",
        403,
        "Invalid IAM challenge from the server: Iam-Auth-Kms-Key-Id: the header is missing",
      );
      assert.equal(calls.resolveCredentials, 0);
    });

    it("treats an empty Iam-Auth-Kms-Key-Id as missing", async () => {
      const { deps } = createFakeAws();
      const decision = await answerChallenge(
        createChallengeHead({ "iam-auth-kms-key-id": ["  "] }),
        target,
        deps,
      );
      assert.equal(decision.action === "deny" && decision.error.code, "KMS_KEY_ID_MISSING");
    });

    it("denies a key id repeated with different values (ambiguous) with 403", async () => {
      const { deps } = createFakeAws();
      const head = createChallengeHead({ "iam-auth-kms-key-id": [KEY_ARN, `${KEY_ARN}0`] });
      assertDenied(
        await answerChallenge(head, target, deps),
        "CHALLENGE_INVALID",
        403,
        "Invalid IAM challenge from the server: Iam-Auth-Kms-Key-Id: the header is repeated with different values",
      );
    });

    it("denies a challenge without Iam-Auth-Kms-Encryption-Context with 403 naming the header", async () => {
      const { deps } = createFakeAws();
      const head = createChallengeHead({ "iam-auth-kms-encryption-context": undefined });
      assertDenied(
        await answerChallenge(head, target, deps),
        "ENCRYPTION_CONTEXT_MISSING",
        403,
        "Invalid IAM challenge from the server: Iam-Auth-Kms-Encryption-Context: the header is missing",
      );
    });

    const badContexts: [string, string, string][] = [
      ["not base64", "not*base64!", "The KMS encryption context header is not valid base64"],
      ["not JSON", Buffer.from("salt=1").toString("base64"), "The KMS encryption context is not valid JSON"],
      [
        "a JSON array",
        Buffer.from('["a"]').toString("base64"),
        "The KMS encryption context must be a JSON object",
      ],
      [
        "an object with a non-string value",
        Buffer.from('{"salt": 1}').toString("base64"),
        'The KMS encryption context value for "salt" must be a string',
      ],
    ];
    for (const [what, header, reason] of badContexts) {
      it(`denies an encryption context that is ${what} with 403 naming the header`, async () => {
        const { deps, calls } = createFakeAws();
        const head = createChallengeHead({ "iam-auth-kms-encryption-context": [header] });
        assertDenied(
          await answerChallenge(head, target, deps),
          "ENCRYPTION_CONTEXT_INVALID",
          403,
          `Invalid IAM challenge from the server: Iam-Auth-Kms-Encryption-Context: ${reason}`,
        );
        assert.equal(calls.resolveCredentials, 0);
      });
    }

    it("denies an encryption context that uses the reserved key iam-auth:server-id with 403 CHALLENGE_INVALID", async () => {
      const { deps, calls } = createFakeAws();
      const header = encodeContextHeader({ salt: SALT, "iam-auth:server-id": "bank.internal" });
      const head = createChallengeHead({ "iam-auth-kms-encryption-context": [header] });
      assertDenied(
        await answerChallenge(head, target, deps),
        "CHALLENGE_INVALID",
        403,
        'Invalid IAM challenge from the server: Iam-Auth-Kms-Encryption-Context: it uses the reserved key "iam-auth:server-id"',
      );
      assert.equal(calls.resolveCredentials, 0);
    });

    it("denies an IAM challenge without a realm with 403", async () => {
      const { deps } = createFakeAws();
      const head = createChallengeHead({ "www-authenticate": ['IAM nonce="n1"'] });
      assertDenied(
        await answerChallenge(head, target, deps),
        "CHALLENGE_INVALID",
        403,
        "Invalid IAM challenge from the server: The IAM challenge has no realm (the AWS account id)",
      );
    });
  });

  describe("when the identity is in another account", () => {
    it("denies with the original's exact message and never asks for a session token", async () => {
      const outsider = {
        account: "444455556666",
        arn: "arn:aws:iam::444455556666:user/outsider",
        userId: "AIDAX",
      };
      const { deps, calls } = createFakeAws({ identity: outsider });
      const decision = await answerChallenge(createChallengeHead(), target, deps);
      assertDenied(
        decision,
        "REALM_MISMATCH",
        403,
        "The IAM identity does not match the server realm (expected: 111122223333)",
      );
      assert.equal(decision.action === "deny" && decision.identity, outsider);
      assert.equal(calls.getSessionToken.length, 0);
      assert.equal(calls.encrypt.length, 0);
    });
  });

  describe("when AWS refuses", () => {
    it("denies an STS AccessDenied with 403 and AWS's code and message", async () => {
      const { deps, calls } = createFakeAws({
        getSessionTokenError: createServiceError(
          "AccessDenied",
          "User: arn:aws:iam::111122223333:user/demo is not authorized",
        ),
      });
      const decision = await answerChallenge(createChallengeHead(), target, deps);
      assertDenied(
        decision,
        "AWS_REQUEST_FAILED",
        403,
        "AWS STS GetSessionToken failed: AccessDenied: User: arn:aws:iam::111122223333:user/demo is not authorized",
      );
      assert.equal(decision.action === "deny" && decision.identity, DEMO_IDENTITY);
      assert.equal(calls.encrypt.length, 0);
    });

    it("denies a KMS AccessDeniedException with 403", async () => {
      const { deps } = createFakeAws({
        encryptError: createServiceError(
          "AccessDeniedException",
          "not authorized to perform: kms:Encrypt",
          400,
        ),
      });
      assertDenied(
        await answerChallenge(createChallengeHead(), target, deps),
        "AWS_REQUEST_FAILED",
        403,
        "AWS KMS Encrypt failed: AccessDeniedException: not authorized to perform: kms:Encrypt",
      );
    });

    it("denies invalid credentials (InvalidClientTokenId from GetCallerIdentity) with 403, saying to check the key id", async () => {
      const { deps } = createFakeAws({
        getCallerIdentityError: createServiceError(
          "InvalidClientTokenId",
          "The security token included in the request is invalid.",
        ),
      });
      const decision = await answerChallenge(createChallengeHead(), target, deps);
      assertDenied(
        decision,
        "AWS_REQUEST_FAILED",
        403,
        "AWS STS GetCallerIdentity failed: InvalidClientTokenId: The security token included in the request is invalid; " +
          "AWS refused the key the proxy signed with: check the access key id (aws_access_key_id; with temporary keys, " +
          "aws_session_token) of the credentials the proxy uses (its status page says where they come from), " +
          "then restart the proxy (it keeps the credentials it found)",
      );
      assert.equal(decision.action === "deny" && decision.identity, undefined);
    });

    it("denies a refused AssumeRole while resolving credentials with 403", async () => {
      const { deps } = createFakeAws({
        credentialsError: createServiceError("AccessDenied", "not authorized to perform: sts:AssumeRole"),
      });
      assertDenied(
        await answerChallenge(createChallengeHead(), target, deps),
        "AWS_REQUEST_FAILED",
        403,
        "Could not obtain AWS credentials: AccessDenied: not authorized to perform: sts:AssumeRole",
      );
    });
  });

  describe("when AWS cannot be reached", () => {
    it("answers 502 AWS_UNREACHABLE on a refused connection", async () => {
      const { deps } = createFakeAws({ getCallerIdentityError: createNetworkError("ECONNREFUSED") });
      assertDenied(
        await answerChallenge(createChallengeHead(), target, deps),
        "AWS_UNREACHABLE",
        502,
        "AWS STS is unreachable: ECONNREFUSED (connect ECONNREFUSED 127.0.0.1:9)",
      );
    });

    it("answers 502 on an SDK timeout", async () => {
      const timeout = Object.assign(new Error("Connection timed out after 10000 ms"), {
        name: "TimeoutError",
      });
      const { deps } = createFakeAws({ encryptError: timeout });
      assertDenied(
        await answerChallenge(createChallengeHead(), target, deps),
        "AWS_UNREACHABLE",
        502,
        "AWS KMS is unreachable: TimeoutError (Connection timed out after 10000 ms)",
      );
    });
  });

  describe("when there are no usable credentials", () => {
    it("answers 503 NO_CREDENTIALS saying what to do, before calling STS", async () => {
      const { deps, calls } = createFakeAws({
        credentialsError: createCredentialsProviderError("Could not load credentials from any providers"),
      });
      const error = assertDenied(
        await answerChallenge(createChallengeHead(), target, deps),
        "NO_CREDENTIALS",
        503,
        "No usable AWS credentials (Could not load credentials from any providers): " +
          "set AWS_PROFILE or run `aws configure` / `aws sso login`, then retry (see --profile, --assume-role-arn)",
      );
      assert.ok(error.cause instanceof Error);
      assert.equal(calls.getCallerIdentity, 0);
    });
  });

  it("rethrows an error that is not from AWS (a bug must not look like an AWS failure)", async () => {
    const { deps } = createFakeAws({ getSessionTokenError: new TypeError("x is not a function") });
    await assert.rejects(answerChallenge(createChallengeHead(), target, deps), TypeError);
  });
});
