import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createAwsSession } from "../../../../proxy/index.js";
import {
  createFakeAws,
  createServiceError,
  DEMO_IDENTITY,
  SESSION_CREDENTIALS,
  USER_CREDENTIALS,
} from "../fakes.js";

const minute = 60_000;
/** SESSION_CREDENTIALS expire at 2030-01-02T03:04:05Z: start 15 minutes before, as if just issued. */
const issuedAt = SESSION_CREDENTIALS.expiration.getTime() - 15 * minute;

describe("createAwsSession", () => {
  describe("callerIdentity", () => {
    it("calls sts:GetCallerIdentity once per set of credentials", async () => {
      const { deps, calls } = createFakeAws();
      const session = createAwsSession(deps);
      assert.equal(session.knownIdentity(USER_CREDENTIALS), undefined);
      assert.deepEqual(await session.callerIdentity(USER_CREDENTIALS), DEMO_IDENTITY);
      assert.deepEqual(await session.callerIdentity(USER_CREDENTIALS), DEMO_IDENTITY);
      assert.deepEqual(session.knownIdentity(USER_CREDENTIALS), DEMO_IDENTITY);
      assert.equal(calls.getCallerIdentity, 1);
      // New credentials (a refreshed role session, a rotated key) are asked about again.
      const rotated = { ...USER_CREDENTIALS, accessKeyId: "AKIATESTROTATED00001" };
      assert.equal(session.knownIdentity(rotated), undefined);
      await session.callerIdentity(rotated);
      assert.equal(calls.getCallerIdentity, 2);
    });

    it("shares one call between concurrent callers, and does not cache a failure", async () => {
      const failing = createFakeAws({
        getCallerIdentityError: createServiceError("Throttling", "Rate exceeded", 400),
      });
      const session = createAwsSession(failing.deps);
      const results = await Promise.allSettled([
        session.callerIdentity(USER_CREDENTIALS),
        session.callerIdentity(USER_CREDENTIALS),
      ]);
      assert.deepEqual(
        results.map((result) => result.status === "rejected" && (result.reason as Error).message),
        [
          "AWS STS GetCallerIdentity failed: Throttling: Rate exceeded; try again shortly",
          "AWS STS GetCallerIdentity failed: Throttling: Rate exceeded; try again shortly",
        ],
      );
      assert.equal(failing.calls.getCallerIdentity, 1);
      await assert.rejects(session.callerIdentity(USER_CREDENTIALS));
      assert.equal(failing.calls.getCallerIdentity, 2);
    });
  });

  describe("sessionCredentials (KMS method)", () => {
    it("reuses GetSessionToken's credentials until 5 minutes before they expire (fake clock)", async () => {
      const { deps, calls } = createFakeAws();
      let now = issuedAt;
      const session = createAwsSession(deps, () => now);
      assert.equal(await session.sessionCredentials(USER_CREDENTIALS), SESSION_CREDENTIALS);
      now = issuedAt + 9 * minute;
      await session.sessionCredentials(USER_CREDENTIALS);
      assert.equal(calls.getSessionToken.length, 1);
      now = issuedAt + 10 * minute; // exactly 5 minutes left: too little for an app to verify in
      await session.sessionCredentials(USER_CREDENTIALS);
      assert.equal(calls.getSessionToken.length, 2);
      assert.deepEqual(calls.getSessionToken[0], { durationSeconds: 900 });
    });

    it("asks for new ones when the person's credentials change", async () => {
      const { deps, calls } = createFakeAws();
      const session = createAwsSession(deps, () => issuedAt);
      await session.sessionCredentials(USER_CREDENTIALS);
      await session.sessionCredentials({ ...USER_CREDENTIALS, accessKeyId: "AKIATESTROTATED00001" });
      assert.equal(calls.getSessionToken.length, 2);
    });

    it("reads the MFA code only when new session credentials are needed, once for concurrent logins", async () => {
      let asked = 0;
      const { deps, calls } = createFakeAws({
        sessionTokenMfa: {
          serialNumber: "arn:aws:iam::111122223333:mfa/demo",
          readCode: () => {
            asked++;
            return Promise.resolve("123456");
          },
        },
      });
      const session = createAwsSession(deps, () => issuedAt);
      await Promise.all([
        session.sessionCredentials(USER_CREDENTIALS),
        session.sessionCredentials(USER_CREDENTIALS),
      ]);
      await session.sessionCredentials(USER_CREDENTIALS);
      assert.equal(asked, 1);
      assert.equal(calls.getSessionToken.length, 1);
    });
  });
});
