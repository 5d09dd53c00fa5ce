import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  createAwsLoginDependencies,
  createProxyServer,
  parseBindAddress,
  type ProxyLogger,
} from "../../../../proxy/index.js";
import { createFakeAws, createMemoryLogger } from "../fakes.js";

describe("createProxyServer", () => {
  it("reports every bad option at once, naming each", () => {
    assert.throws(
      () =>
        createProxyServer({
          bind: "8080" as never,
          method: "saml" as "sts",
          loginFlow: "browser" as "proxy",
          maxReplayBodyBytes: -1,
          logger: { info: () => undefined } as unknown as ProxyLogger,
        }),
      {
        name: "TypeError",
        message:
          'Invalid proxy server options: bind: must be a BindAddress such as parseBindAddress(":8080") returns (got "8080"); ' +
          'method: must be "auto", "sts" or "kms" (got "saml"); loginFlow: must be "proxy" or "redirect" (got "browser"); ' +
          "maxReplayBodyBytes: must be a whole number of bytes, 0 or more (got -1); " +
          "logger: must have info() and warn()",
      },
    );
  });

  it("rejects login dependencies without the calls it needs", () => {
    const { deps } = createFakeAws();
    assert.throws(() => createProxyServer({ login: { ...deps, kms: {} as typeof deps.kms } }), {
      message:
        "Invalid proxy server options: login: must have resolveCredentials(), sts.getCallerIdentity(), " +
        "sts.getSessionToken(), kms.encrypt() and stsProofTarget()",
    });
  });

  it("does not listen until listen(), and close() before listen() is fine", async () => {
    const proxy = createProxyServer({
      bind: parseBindAddress("127.0.0.1:0"),
      login: createFakeAws().deps,
      logger: createMemoryLogger(),
    });
    assert.equal(proxy.server.listening, false);
    await proxy.close();
  });

  it("listen() binds the returned server first and resolves with the URLs", async () => {
    const logger = createMemoryLogger();
    const proxy = createProxyServer({
      bind: parseBindAddress("127.0.0.1:0"),
      login: createFakeAws().deps,
      logger,
    });
    try {
      const urls = await proxy.listen();
      assert.equal(proxy.server.listening, true);
      assert.deepEqual(logger.lines, [`listening url=${urls[0] ?? ""}`]);
    } finally {
      await proxy.close();
    }
    assert.equal(proxy.server.listening, false);
  });
});

describe("createAwsLoginDependencies", () => {
  it("reports every bad option at once, naming each", () => {
    assert.throws(
      () =>
        createAwsLoginDependencies({
          timeoutMs: 0,
          region: "",
          assumeRole: { roleArn: "arn:aws:iam::111122223333:user/alice", sessionName: "" },
        }),
      {
        name: "TypeError",
        message:
          "Invalid AWS login options: timeoutMs must be a positive integer of milliseconds (got 0); " +
          'region must not be empty; assumeRole.roleArn must be an IAM role ARN (got "arn:aws:iam::111122223333:user/alice"); ' +
          "assumeRole.sessionName must not be empty",
      },
    );
  });
});
