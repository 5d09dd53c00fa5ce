import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createLoginHistory } from "../../../../proxy/signin/login-history.js";
import { logLogin } from "../../../../proxy/signin/login-log.js";
import {
  createCredentialsProviderError,
  createFakeAws,
  createMemoryLogger,
  DEMO_IDENTITY,
  ROLE_CREDENTIALS,
  USER_CREDENTIALS,
} from "../fakes.js";

const t0 = Date.parse("2030-01-01T00:00:00Z");

describe("createLoginHistory", () => {
  describe("observe(logger)", () => {
    it("writes every event through, unchanged", () => {
      const inner = createMemoryLogger();
      const logger = createLoginHistory().observe(inner);
      logger.info("listening", { url: "http://127.0.0.1:8080" });
      logger.warn("bind", { outcome: "exposed" });
      assert.deepEqual(inner.lines, ["listening url=http://127.0.0.1:8080", "bind outcome=exposed"]);
    });

    it("records each login event as the log line says it, newest first", () => {
      let now = t0;
      const history = createLoginHistory({ clock: () => now });
      const logger = history.observe(createMemoryLogger());
      logLogin(logger, { host: "a:1", identity: DEMO_IDENTITY, method: "sts", outcome: "signed-in" });
      now += 1000;
      logLogin(logger, {
        host: "b:2",
        identity: undefined,
        method: undefined,
        outcome: "denied",
        code: "SERVER_ID_MISMATCH",
        reason: "Refusing to sign in",
      });
      now += 1000;
      logLogin(logger, {
        host: "c:3",
        identity: DEMO_IDENTITY,
        method: "kms",
        outcome: "denied",
        status: 403,
        reason: "not allowed",
      });
      assert.deepEqual(history.logins(), [
        {
          time: new Date(t0 + 2000),
          host: "c:3",
          identity: DEMO_IDENTITY.arn,
          method: "kms",
          outcome: "denied",
          code: undefined,
          status: 403,
          reason: "not allowed",
        },
        {
          time: new Date(t0 + 1000),
          host: "b:2",
          identity: undefined,
          method: undefined,
          outcome: "denied",
          code: "SERVER_ID_MISMATCH",
          status: undefined,
          reason: "Refusing to sign in",
        },
        {
          time: new Date(t0),
          host: "a:1",
          identity: DEMO_IDENTITY.arn,
          method: "sts",
          outcome: "signed-in",
          code: undefined,
          status: undefined,
          reason: undefined,
        },
      ]);
    });

    it("keeps only the last `limit` logins (default 20)", () => {
      const history = createLoginHistory();
      const logger = history.observe(createMemoryLogger());
      for (let i = 0; i < 25; i++) {
        logLogin(logger, { host: `app${i}`, identity: undefined, method: "sts", outcome: "signed-in" });
      }
      assert.equal(history.logins().length, 20);
      assert.equal(history.logins()[0]?.host, "app24");
      assert.equal(history.logins()[19]?.host, "app5");
      const small = createLoginHistory({ limit: 2 });
      const smallLogger = small.observe(createMemoryLogger());
      for (const host of ["x", "y", "z"]) {
        logLogin(smallLogger, { host, identity: undefined, method: "sts", outcome: "signed-in" });
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

    it("takes the identity from the credentials event, and a problem from its warning", () => {
      const history = createLoginHistory();
      const logger = history.observe(createMemoryLogger());
      logger.warn("credentials", {
        outcome: "missing",
        message: "no usable AWS credentials: run aws sso login",
        reason: "Could not load credentials from any providers",
      });
      assert.equal(history.credentials().problem, "no usable AWS credentials: run aws sso login");
      logger.info("credentials", { identity: DEMO_IDENTITY.arn, account: DEMO_IDENTITY.account });
      assert.deepEqual(history.credentials().identity, { arn: DEMO_IDENTITY.arn, account: "111122223333" });
      assert.equal(history.credentials().problem, undefined);
    });

    it("takes a new identity from a login line (credentials that changed since the check)", () => {
      const history = createLoginHistory();
      const logger = history.observe(createMemoryLogger());
      const role = "arn:aws:sts::444455556666:assumed-role/Developer/me";
      logLogin(logger, {
        host: "a",
        identity: { arn: role, account: "444455556666", userId: "AROA:me" },
        method: "sts",
        outcome: "signed-in",
      });
      assert.deepEqual(history.credentials().identity, { arn: role, account: "444455556666" });
    });
  });

  describe("observeCredentials(login)", () => {
    it("notes when the credentials found expire, and returns them unchanged", async () => {
      const history = createLoginHistory({ clock: () => t0 });
      const fake = createFakeAws({ credentials: ROLE_CREDENTIALS });
      const login = history.observeCredentials(fake.deps);
      assert.equal(history.credentials().checkedAt, undefined);
      assert.equal(await login.resolveCredentials(), ROLE_CREDENTIALS);
      assert.deepEqual(history.credentials(), {
        identity: undefined,
        expiration: ROLE_CREDENTIALS.expiration,
        problem: undefined,
        checkedAt: new Date(t0),
      });
      assert.equal(login.sts, fake.deps.sts, "everything else is the same");
      assert.equal(login.kms, fake.deps.kms);
    });

    it("long-term keys: no expiry", async () => {
      const history = createLoginHistory();
      await history
        .observeCredentials(createFakeAws({ credentials: USER_CREDENTIALS }).deps)
        .resolveCredentials();
      assert.equal(history.credentials().expiration, undefined);
      assert.notEqual(history.credentials().checkedAt, undefined);
    });

    it("notes why none were found, and rejects as the provider did", async () => {
      const history = createLoginHistory();
      const error = createCredentialsProviderError("Could not load credentials from any providers");
      const login = history.observeCredentials(createFakeAws({ credentialsError: error }).deps);
      await assert.rejects(login.resolveCredentials(), (thrown) => thrown === error);
      assert.equal(history.credentials().problem, "Could not load credentials from any providers");
      assert.equal(history.credentials().expiration, undefined);
    });
  });
});
