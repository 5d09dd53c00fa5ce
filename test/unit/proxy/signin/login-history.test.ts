import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ProxyError } from "../../../../proxy/index.js";
import { createLoginHistory, type LoginRecord } from "../../../../proxy/signin/login-history.js";
import { createSignInLog, type SignInEvent } from "../../../../proxy/signin/login-log.js";
import {
  createCredentialsProviderError,
  createFakeAws,
  createMemoryLogger,
  DEMO_IDENTITY,
  ROLE_CREDENTIALS,
  USER_CREDENTIALS,
} from "../fakes.js";

const t0 = Date.parse("2030-01-01T00:00:00Z");
const role = "arn:aws:sts::444455556666:assumed-role/Developer/me";

function record(time: number, fields: Partial<LoginRecord>): LoginRecord {
  return {
    time: new Date(time),
    host: "",
    identity: undefined,
    method: undefined,
    outcome: "signed-in",
    code: undefined,
    status: undefined,
    reason: undefined,
    ...fields,
  };
}

describe("createLoginHistory", () => {
  describe("as the sign-in log's recorder", () => {
    it("records each outcome as reported, newest first, with the time it was reported", () => {
      let now = t0;
      const history = createLoginHistory({ clock: () => now });
      const signInLog = createSignInLog({ logger: createMemoryLogger(), recorder: history });
      signInLog.login({ host: "a:1", identity: DEMO_IDENTITY, method: "sts", outcome: "signed-in" });
      now += 1000;
      signInLog.denied(
        { host: "b:2", identity: undefined, method: undefined },
        new ProxyError("SERVER_ID_MISMATCH", "Refusing to sign in"),
      );
      now += 1000;
      signInLog.login({
        host: "c:3",
        identity: DEMO_IDENTITY,
        method: "kms",
        outcome: "denied",
        status: 403,
        reason: "not allowed",
      });
      now += 1000;
      signInLog.login({ host: "d:4", identity: DEMO_IDENTITY, method: "kms", outcome: "redirected" });
      assert.deepEqual(history.logins(), [
        record(t0 + 3000, { host: "d:4", identity: DEMO_IDENTITY.arn, method: "kms", outcome: "redirected" }),
        record(t0 + 2000, {
          host: "c:3",
          identity: DEMO_IDENTITY.arn,
          method: "kms",
          outcome: "denied",
          status: 403,
          // What the app's 403 means, then its own words (see describeAppRefusal).
          reason: "the app refused the sign-in (HTTP 403): not allowed",
        }),
        record(t0 + 1000, {
          host: "b:2",
          outcome: "denied",
          code: "SERVER_ID_MISMATCH",
          reason: "Refusing to sign in",
        }),
        record(t0, { host: "a:1", identity: DEMO_IDENTITY.arn, method: "sts", outcome: "signed-in" }),
      ]);
    });

    it("keeps only the last `limit` sign-ins (default 20)", () => {
      const history = createLoginHistory();
      const signInLog = createSignInLog({ logger: createMemoryLogger(), recorder: history });
      for (let i = 0; i < 25; i++) {
        signInLog.login({ host: `app${i}`, identity: undefined, method: "sts", outcome: "signed-in" });
      }
      assert.equal(history.logins().length, 20);
      assert.equal(history.logins()[0]?.host, "app24");
      assert.equal(history.logins()[19]?.host, "app5");
      const small = createLoginHistory({ limit: 2 });
      const smallLog = createSignInLog({ logger: createMemoryLogger(), recorder: small });
      for (const host of ["x", "y", "z"]) {
        smallLog.login({ host, identity: undefined, method: "sts", outcome: "signed-in" });
      }
      assert.deepEqual(
        small.logins().map((entry) => entry.host),
        ["z", "y"],
      );
    });

    it("rejects a limit that is not a whole number of 1 or more", () => {
      assert.throws(() => createLoginHistory({ limit: 0 }), {
        name: "TypeError",
        message: "createLoginHistory: limit must be a whole number, 1 or more (got 0)",
      });
    });

    it("keeps the event's named fields only: nothing else it carries is recorded", () => {
      const history = createLoginHistory({ clock: () => t0 });
      const event: SignInEvent = {
        host: "a:1",
        identity: undefined,
        method: "sts",
        outcome: "signed-in",
        code: undefined,
        status: undefined,
        reason: undefined,
      };
      history.recordSignIn({ ...event, token: "sts1.n0nce.c2VjcmV0" } as SignInEvent);
      assert.deepEqual(history.logins(), [record(t0, { host: "a:1", method: "sts" })]);
      assert.ok(!JSON.stringify(history.logins()).includes("c2VjcmV0"));
    });

    it("takes a new identity from a sign-in (credentials that changed since the check)", () => {
      const history = createLoginHistory();
      createSignInLog({ logger: createMemoryLogger(), recorder: history }).login({
        host: "a",
        identity: { arn: role, account: "444455556666", userId: "AROA:me" },
        method: "sts",
        outcome: "signed-in",
      });
      assert.deepEqual(history.credentials().identity, { arn: role, account: "444455556666" });
    });
  });

  describe("as the credential check's recorder", () => {
    it("takes the identity when found, and the problem when not", () => {
      const history = createLoginHistory();
      history.recordCredentialCheck({
        outcome: "missing",
        problem: "no usable AWS credentials: run aws sso login",
      });
      assert.equal(history.credentials().problem, "no usable AWS credentials: run aws sso login");
      assert.equal(history.credentials().identity, undefined);
      history.recordCredentialCheck({ outcome: "found", identity: DEMO_IDENTITY });
      assert.deepEqual(history.credentials().identity, { arn: DEMO_IDENTITY.arn, account: "111122223333" });
      assert.equal(history.credentials().problem, undefined);
      history.recordCredentialCheck({
        outcome: "error",
        code: "AWS_UNREACHABLE",
        problem: "STS could not be reached",
      });
      assert.equal(history.credentials().problem, "STS could not be reached");
      assert.deepEqual(history.credentials().identity, { arn: DEMO_IDENTITY.arn, account: "111122223333" });
    });
  });

  describe("observeCredentials(login)", () => {
    it("notes when the credentials found expire and where they come from, and returns them unchanged", async () => {
      const history = createLoginHistory({ clock: () => t0 });
      const found = { ...ROLE_CREDENTIALS, source: { kind: "sso", profile: "work" } as const };
      const fake = createFakeAws({ credentials: found });
      const login = history.observeCredentials(fake.deps);
      assert.equal(history.credentials().checkedAt, undefined);
      assert.equal(await login.resolveCredentials(), found);
      assert.deepEqual(history.credentials(), {
        identity: undefined,
        source: { kind: "sso", profile: "work" },
        expiration: ROLE_CREDENTIALS.expiration,
        problem: undefined,
        checkedAt: new Date(t0),
      });
      assert.equal(login.sts, fake.deps.sts, "everything else is the same");
      assert.equal(login.kms, fake.deps.kms);
    });

    it("long-term keys: no expiry; credentials that do not say where they come from: no source", async () => {
      const history = createLoginHistory();
      await history
        .observeCredentials(createFakeAws({ credentials: USER_CREDENTIALS }).deps)
        .resolveCredentials();
      assert.equal(history.credentials().expiration, undefined);
      assert.equal(history.credentials().source, undefined);
      assert.notEqual(history.credentials().checkedAt, undefined);
    });

    it("notes why none were found, forgets the last source, and rejects as the provider did", async () => {
      const history = createLoginHistory();
      const error = createCredentialsProviderError("Could not load credentials from any providers");
      let failing = false;
      const fake = createFakeAws({ credentials: { ...USER_CREDENTIALS, source: { kind: "environment" } } });
      const login = history.observeCredentials({
        ...fake.deps,
        resolveCredentials: () => (failing ? Promise.reject(error) : fake.deps.resolveCredentials()),
      });
      await login.resolveCredentials();
      assert.deepEqual(history.credentials().source, { kind: "environment" });
      failing = true;
      await assert.rejects(login.resolveCredentials(), (thrown) => thrown === error);
      assert.equal(history.credentials().problem, "Could not load credentials from any providers");
      assert.equal(history.credentials().expiration, undefined);
      assert.equal(history.credentials().source, undefined);
    });
  });
});
