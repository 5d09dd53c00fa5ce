import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkPresignedCallerIdentity, parseStsProof } from "../../../../protocol/index.js";
import { createAwsSession, createChallengeAnswerer } from "../../../../proxy/index.js";
import { answerChallenge, challengeOf, assertDenied, target, tokenOf } from "../answer-helpers.js";
import {
  createChallengeHead,
  createCredentialsProviderError,
  createFakeAws,
  createStsChallengeHead,
  DEMO_IDENTITY,
  FAKE_STS_ENDPOINT,
  NONCE,
  ROLE_CREDENTIALS,
} from "../fakes.js";

describe("createChallengeAnswerer: the STS method, and the KMS method with session credentials", () => {
  describe("when the app offers the STS method", () => {
    const rules = {
      now: new Date(),
      maxAgeSeconds: 300,
      maxFutureSkewSeconds: 300,
      extraStsHosts: [],
      testOrigins: [FAKE_STS_ENDPOINT],
    };

    it("prefers it: sts1.<nonce>.<presigned URL> the app's checks accept, with no AWS call", async () => {
      const { deps, calls } = createFakeAws();
      const decision = await answerChallenge(createStsChallengeHead(target.host, "sts kms"), target, deps);
      assert.equal(decision.action === "answer" && decision.method, "sts");
      const token = tokenOf(decision);
      assert.ok(token.startsWith(`sts1.${NONCE}.`), token.slice(0, 60));
      const proof = parseStsProof(token);
      assert.equal(proof.nonce, NONCE);
      assert.equal(
        checkPresignedCallerIdentity(proof.presignedUrl, rules).accessKeyId,
        "AKIATESTDEMOUSER0001",
      );
      assert.equal(calls.getCallerIdentity + calls.getSessionToken.length + calls.encrypt.length, 0);
    });

    it("names the identity only when it is already known (no GetCallerIdentity just for the log)", async () => {
      const { deps } = createFakeAws();
      const session = createAwsSession(deps);
      const answer = createChallengeAnswerer({ session, mayReceiveKmsProof: () => true });
      const first = await answer(challengeOf(createStsChallengeHead(target.host)), target);
      assert.equal(first.action === "answer" && first.identity, undefined);
      await session.callerIdentity(await session.credentials());
      const second = await answer(challengeOf(createStsChallengeHead(target.host)), target);
      assert.equal(second.action === "answer" && second.identity, DEMO_IDENTITY);
    });

    it("signs with role or SSO credentials too (their session token goes in the URL)", async () => {
      const { deps } = createFakeAws({ credentials: ROLE_CREDENTIALS });
      const proof = parseStsProof(
        tokenOf(await answerChallenge(createStsChallengeHead(target.host), target, deps)),
      );
      assert.equal(
        new URL(proof.presignedUrl).searchParams.get("X-Amz-Security-Token"),
        ROLE_CREDENTIALS.sessionToken,
      );
    });

    it("refuses a challenge for another server-id before touching the credentials", async () => {
      const { deps, calls } = createFakeAws();
      const decision = await answerChallenge(createStsChallengeHead("bank.internal"), target, deps);
      assertDenied(
        decision,
        "SERVER_ID_MISMATCH",
        403,
        "Refusing to sign in: the app at app.internal:3000 asked for a proof for server-id bank.internal " +
          "(a proof for another server would let this app sign in there as you)",
      );
      assert.equal(calls.resolveCredentials, 0);
    });

    it("answers 503 NO_CREDENTIALS when there are none, saying the method", async () => {
      const { deps } = createFakeAws({
        credentialsError: createCredentialsProviderError("Could not load credentials from any providers"),
      });
      const decision = await answerChallenge(createStsChallengeHead(target.host), target, deps);
      assertDenied(
        decision,
        "NO_CREDENTIALS",
        503,
        "No usable AWS credentials (Could not load credentials from any providers): " +
          "set AWS_PROFILE or run `aws configure` / `aws sso login`, then retry (see --profile, --assume-role-arn)",
      );
      assert.equal(decision.action === "deny" && decision.method, "sts");
    });

    it("uses KMS with --method kms even when STS is offered", async () => {
      const { deps, calls } = createFakeAws();
      const decision = await answerChallenge(
        createStsChallengeHead(target.host, "sts kms"),
        target,
        deps,
        "kms",
      );
      assert.equal(decision.action === "answer" && decision.method, "kms");
      assert.equal(calls.encrypt.length, 1);
    });

    it("refuses --method sts against a KMS-only app, without calling AWS", async () => {
      const { deps, calls } = createFakeAws();
      assertDenied(
        await answerChallenge(createChallengeHead(), target, deps, "sts"),
        "METHOD_NOT_OFFERED",
        403,
        "Refusing to sign in with --method sts: the app at app.internal:3000 does not offer the STS method (it offers: kms)",
      );
      assert.equal(calls.resolveCredentials, 0);
    });
  });

  describe("when the KMS method meets role or SSO credentials", () => {
    it("refuses with 403 pointing to the STS method, before any AWS call", async () => {
      const { deps, calls } = createFakeAws({ credentials: ROLE_CREDENTIALS });
      assertDenied(
        await answerChallenge(createChallengeHead(), target, deps),
        "KMS_NEEDS_USER_CREDENTIALS",
        403,
        "The KMS method needs long-term IAM user credentials: AWS refuses GetSessionToken with role or SSO credentials. " +
          "Ask the app's operator to enable the STS method, or use --method sts",
      );
      assert.equal(calls.getCallerIdentity + calls.getSessionToken.length + calls.encrypt.length, 0);
    });
  });
});
