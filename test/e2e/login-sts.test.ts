import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import express from "express";
import { demoAccount } from "../../local-aws/demo-account.js";
import { iamAuth } from "../../server-middleware/index.js";
import { curlViaProxy } from "../helpers/curl.js";
import { httpRequest } from "../helpers/http-client.js";
import { awsEnvFor, startLocalAws, type LocalAws } from "../helpers/local-aws.js";
import { startService, type RunningService } from "../helpers/service.js";
import { findAuditEvents } from "../helpers/audit-log.js";

/*
 * Credential-free sign-in, end to end: the local AWS, example servers (STS and KMS, STS only,
 * KMS only) and the proxy run as real processes, driven by curl and Node's HTTP client with no
 * cookie jar. The proxy signs in by itself (it calls /auth and replays the request), so the
 * first request already gets the page. The local AWS counters show who called AWS: with the
 * STS method, only the app (one sts:GetCallerIdentity per sign-in) and never the proxy.
 */

const suite = "login-sts";
const { users, roles, accountId, region } = demoAccount;
const salt = `salt-${randomBytes(8).toString("hex")}`;
const kmsNeedsUserCredentials =
  "The KMS method needs long-term IAM user credentials: AWS refuses GetSessionToken with role or SSO credentials. " +
  "Ask the app's operator to enable the STS method, or use --method sts";

/** Waits until a process has written a line matching `pattern`. */
async function waitForOutput(service: RunningService, pattern: RegExp, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(service.output())) {
    if (Date.now() > deadline)
      throw new Error(`no output matching ${String(pattern)}; output:\n${service.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const hostOf = (url: string): string => new URL(url).host;
const loginLines = (service: RunningService, host: string): string[] =>
  service.output().match(new RegExp(`\\blogin host=${host.replace(/\./g, "\\.")} .*`, "g")) ?? [];

describe("credential-free sign-in: the STS method, the proxy completing the login itself (real processes)", () => {
  let aws: LocalAws;
  /** Both methods, the example-server user's credentials for KMS. */
  let both: RunningService;
  /** STS only: AWS_ACCOUNT_ID and no AWS credentials at all. */
  let stsOnly: RunningService;
  /** KMS only (the original's protocol). */
  let kmsOnly: RunningService;
  /** The demo user's proxy. */
  let proxy: RunningService;
  /** A proxy with nothing but role session credentials in its environment. */
  let roleProxy: RunningService;
  let roleSessionArn: string;
  const services: RunningService[] = [];
  /** An app (in-process Express with the middleware, STS only) whose POST /echo repeats the body. */
  let echoApp: Server;
  let echoAppUrl: string;
  const echoAppLog: string[] = [];
  /** A hostile app: its challenge asks for a proof for another server-id. */
  let fakeApp: Server;
  let fakeAppUrl: string;
  let fakeAppRequests = 0;

  async function start(name: string, script: string, env: Record<string, string>, args: string[] = []) {
    const service = await startService({ script, env, args, logName: `${suite}/${name}.log` });
    services.push(service);
    return service;
  }
  const credentialFreeAppEnv = (): Record<string, string> => ({
    AWS_ACCOUNT_ID: accountId,
    SECRET_KEY: randomBytes(32).toString("hex"),
    PORT: "0",
    IAM_AUTH_TEST_STS_ENDPOINT: aws.url,
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    AWS_EC2_METADATA_DISABLED: "true",
  });
  const kmsAppEnv = (): Record<string, string> => ({
    ...awsEnvFor(aws.url, users.exampleServer),
    AWS_ACCOUNT_ID: accountId,
    KMS_KEY_ID: demoAccount.keys.demo.alias,
    KMS_SALT: salt,
    SECRET_KEY: randomBytes(32).toString("hex"),
    PORT: "0",
  });

  /** A proxy process; resolves once its start-up credential check is done (it calls sts:GetCallerIdentity). */
  async function startProxy(
    name: string,
    env: Record<string, string>,
    args: string[] = [],
  ): Promise<RunningService> {
    // Some apps here offer only the KMS method: the person names them.
    const started = await start(name, "proxy/cli/main.js", env, [
      "--bind",
      "127.0.0.1:0",
      "--kms-host",
      "127.0.0.1",
      ...args,
    ]);
    await waitForOutput(started, /\bcredentials (identity=|outcome=)/);
    return started;
  }

  before(async () => {
    aws = await startLocalAws(suite);
    both = await start("example-server-both", "example-server/main.js", {
      ...kmsAppEnv(),
      IAM_AUTH_METHODS: "sts kms",
      IAM_AUTH_TEST_STS_ENDPOINT: aws.url,
    });
    stsOnly = await start("example-server-sts-only", "example-server/main.js", {
      ...credentialFreeAppEnv(),
      IAM_AUTH_METHODS: "sts",
    });
    kmsOnly = await start("example-server-kms-only", "example-server/main.js", {
      ...kmsAppEnv(),
      IAM_AUTH_METHODS: "kms",
    });
    proxy = await startProxy("proxy-demo", awsEnvFor(aws.url, users.demo));

    // The role session is obtained here, so the proxy's environment holds nothing but its credentials.
    const sts = new STSClient({ endpoint: aws.url, region, credentials: users.demo, maxAttempts: 1 });
    try {
      const { Credentials: c, AssumedRoleUser } = await sts.send(
        new AssumeRoleCommand({ RoleArn: roles.developer.arn, RoleSessionName: "e2e-role-session" }),
      );
      assert.ok(c?.AccessKeyId && c.SecretAccessKey && c.SessionToken && AssumedRoleUser?.Arn);
      roleSessionArn = AssumedRoleUser.Arn;
      roleProxy = await startProxy("proxy-role", {
        ...awsEnvFor(aws.url, undefined),
        AWS_ACCESS_KEY_ID: c.AccessKeyId,
        AWS_SECRET_ACCESS_KEY: c.SecretAccessKey,
        AWS_SESSION_TOKEN: c.SessionToken,
      });
    } finally {
      sts.destroy();
    }

    echoApp = createServer();
    await new Promise<void>((resolve) => echoApp.listen(0, "127.0.0.1", resolve));
    const echoHost = `127.0.0.1:${(echoApp.address() as AddressInfo).port}`;
    echoAppUrl = `http://${echoHost}`;
    const app = express();
    app.use(
      iamAuth({
        accountId,
        sts: { serverId: echoHost, testStsEndpoint: aws.url },
        sessionSecrets: [randomBytes(32).toString("hex")],
        logger: (line) => echoAppLog.push(line),
      }),
    );
    app.post("/echo", express.text({ type: "*/*" }), (req, res) => {
      res.type("text/plain").send(`${req.iamIdentity?.arn ?? "nobody"} posted ${String(req.body)}\n`);
    });
    echoApp.on("request", app);

    fakeApp = createServer((_req, res) => {
      fakeAppRequests++;
      res.writeHead(401, {
        "content-type": "text/plain",
        "www-authenticate": `IAM realm="${accountId}", methods="sts", server-id="bank.internal.example", nonce="${randomBytes(16).toString("base64url")}"`,
      });
      res.end("Please log in");
    });
    await new Promise<void>((resolve) => fakeApp.listen(0, "127.0.0.1", resolve));
    fakeAppUrl = `http://127.0.0.1:${(fakeApp.address() as AddressInfo).port}`;
  });

  after(async () => {
    await new Promise((resolve) => fakeApp?.close(resolve));
    echoApp?.closeAllConnections();
    await new Promise((resolve) => echoApp?.close(resolve));
    for (const service of services.reverse()) await service.stop();
    await aws?.stop();
  });

  it("curl with NO cookie jar through the proxy prints the ARN on the first request (STS preferred)", async () => {
    assert.equal(await curlViaProxy(proxy.url, `${both.url}/`), `${users.demo.arn}\n`);
    assert.deepEqual(loginLines(proxy, hostOf(both.url)), [
      `login host=${hostOf(both.url)} identity=${users.demo.arn} method=sts outcome=signed-in`,
    ]);
    assert.equal(
      findAuditEvents(both.output(), { outcome: "success", identity: users.demo.arn, method: "sts" }).length,
      1,
    );
  });

  it("100 requests without cookies sign in once: one sts:GetCallerIdentity (by the app), no AWS call by the proxy", async () => {
    const fresh = await startProxy("proxy-hundred", awsEnvFor(aws.url, users.demo));
    await aws.resetCalls();
    const responses = await Promise.all(
      Array.from({ length: 100 }, (_, i) => httpRequest(`${stsOnly.url}/?n=${i}`, { proxy: fresh.url })),
    );
    assert.deepEqual(
      responses.map((response) => [response.status, response.body]),
      responses.map(() => [200, `${users.demo.arn}\n`]),
    );
    assert.deepEqual(await aws.calls(), { "sts:GetCallerIdentity": 1 });
    assert.equal(loginLines(fresh, hostOf(stsOnly.url)).length, 1);
    // No client ever sees the token: no redirect, nothing of it in any response.
    for (const response of responses) {
      assert.equal(response.headers.location, undefined);
      assert.ok(!JSON.stringify(response.headers).includes("sts1."));
    }
    // The requests that waited for the sign-in get the session cookie too, so a browser keeps it.
    const withCookie = responses.filter((response) => response.headers["set-cookie"] !== undefined);
    assert.ok(withCookie.length >= 1);
    assert.match(withCookie[0]?.headers["set-cookie"]?.[0] ?? "", /^iam-auth-session=/);

    // The jar keeps the session: more requests without cookies cause no new sign-in.
    await aws.resetCalls();
    assert.equal(await curlViaProxy(fresh.url, `${stsOnly.url}/`), `${users.demo.arn}\n`);
    assert.deepEqual(await aws.calls(), {});
  });

  it("replays a POST with its body to a protected route after signing in", async () => {
    const response = await httpRequest(`${echoAppUrl}/echo`, {
      proxy: proxy.url,
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "quarterly=report&x=1",
    });
    assert.equal(response.status, 200);
    assert.equal(response.body, `${users.demo.arn} posted quarterly=report&x=1\n`);
    assert.equal(
      findAuditEvents(echoAppLog.join("\n"), { action: "sign-in", outcome: "success", method: "sts" }).length,
      1,
    );
  });

  it("signs in to an STS app with nothing but role session credentials", async () => {
    await aws.resetCalls();
    const response = await httpRequest(`${stsOnly.url}/`, { proxy: roleProxy.url });
    assert.equal(response.status, 200);
    assert.equal(response.body, `${roleSessionArn}\n`);
    assert.equal(roleSessionArn, `arn:aws:sts::${accountId}:assumed-role/Developer/e2e-role-session`);
    assert.deepEqual(await aws.calls(), { "sts:GetCallerIdentity": 1 });
  });

  it("with the same role credentials, a KMS-only app gets a clear 403 pointing to the STS method", async () => {
    await aws.resetCalls();
    const response = await httpRequest(`${kmsOnly.url}/`, { proxy: roleProxy.url });
    assert.equal(response.status, 403);
    assert.equal(response.headers["content-type"], "text/plain; charset=utf-8");
    assert.equal(response.body, `KMS_NEEDS_USER_CREDENTIALS: ${kmsNeedsUserCredentials}\n`);
    assert.deepEqual(await aws.calls(), {}, "refused before any AWS call");
    await waitForOutput(
      roleProxy,
      /\blogin host=\S+ identity=\S+ method=kms outcome=denied code=KMS_NEEDS_USER_CREDENTIALS\b/,
    );
  });

  it("still signs in to a KMS-only app; later sign-ins cost the proxy one kms:Encrypt", async () => {
    await aws.resetCalls();
    assert.equal(await curlViaProxy(proxy.url, `${kmsOnly.url}/`), `${users.demo.arn}\n`);
    assert.deepEqual(await aws.calls(), {
      "sts:GetSessionToken": 1,
      "kms:Encrypt": 1,
      "kms:Decrypt": 1,
      "sts:GetCallerIdentity": 1,
    });
    await waitForOutput(
      proxy,
      new RegExp(`login host=${hostOf(kmsOnly.url)} identity=${users.demo.arn} method=kms outcome=signed-in`),
    );

    // A client with its own (stale) session cookie keeps it, so the app challenges and the proxy signs in again.
    await aws.resetCalls();
    const again = await httpRequest(`${kmsOnly.url}/`, {
      proxy: proxy.url,
      headers: { cookie: "iam-auth-session=stale" },
    });
    assert.equal(again.status, 200);
    assert.equal(again.body, `${users.demo.arn}\n`);
    // Proxy: kms:Encrypt only (identity and session credentials cached). App: kms:Decrypt and sts:GetCallerIdentity.
    assert.deepEqual(await aws.calls(), { "kms:Encrypt": 1, "kms:Decrypt": 1, "sts:GetCallerIdentity": 1 });
  });

  it("refuses to sign for a challenge that names another server-id; AWS sees no call", async () => {
    await aws.resetCalls();
    fakeAppRequests = 0;
    const response = await httpRequest(`${fakeAppUrl}/`, { proxy: proxy.url });
    assert.equal(response.status, 403);
    assert.equal(
      response.body,
      `SERVER_ID_MISMATCH: Refusing to sign in: the app at ${hostOf(fakeAppUrl)} asked for a proof for server-id bank.internal.example ` +
        "(a proof for another server would let this app sign in there as you)\n",
    );
    assert.equal(fakeAppRequests, 1, "no /auth request");
    assert.deepEqual(await aws.calls(), {});
  });

  it("honours --assume-role-external-id and --assume-role-session-name", async () => {
    const partner = await startProxy("proxy-partner", awsEnvFor(aws.url, users.demo), [
      "--assume-role-arn",
      roles.externalPartner.arn,
      "--assume-role-external-id",
      roles.externalPartner.externalId,
      "--assume-role-session-name",
      "alice",
    ]);
    const response = await httpRequest(`${stsOnly.url}/`, { proxy: partner.url });
    assert.equal(response.status, 200);
    // The role trusts the demo user only with this external id: local AWS refuses AssumeRole without it.
    assert.equal(response.body, `arn:aws:sts::${accountId}:assumed-role/ExternalPartner/alice\n`);
  });

  it("--method sts refuses a KMS-only app; --method kms signs in with KMS where both are offered", async () => {
    const stsOnlyProxy = await startProxy("proxy-method-sts", awsEnvFor(aws.url, users.demo), [
      "--method",
      "sts",
    ]);
    const refused = await httpRequest(`${kmsOnly.url}/`, { proxy: stsOnlyProxy.url });
    assert.equal(refused.status, 403);
    assert.equal(
      refused.body,
      `METHOD_NOT_OFFERED: Refusing to sign in with --method sts: the app at ${hostOf(kmsOnly.url)} does not offer the STS method (it offers: kms)\n`,
    );
    const kmsProxy = await startProxy("proxy-method-kms", awsEnvFor(aws.url, users.demo), [
      "--method",
      "kms",
    ]);
    assert.equal((await httpRequest(`${both.url}/`, { proxy: kmsProxy.url })).body, `${users.demo.arn}\n`);
    await waitForOutput(
      kmsProxy,
      new RegExp(`login host=${hostOf(both.url)} identity=\\S+ method=kms outcome=signed-in`),
    );
  });

  it("with --mfa-serial-number, no --mfa-token-code and no terminal: 503 saying what to do", async () => {
    const mfaProxy = await startProxy("proxy-mfa", awsEnvFor(aws.url, users.mfaUser), [
      "--mfa-serial-number",
      users.mfaUser.mfaSerialNumber,
    ]);
    const response = await httpRequest(`${kmsOnly.url}/`, { proxy: mfaProxy.url });
    assert.equal(response.status, 503);
    assert.equal(
      response.body,
      `MFA_CODE_UNAVAILABLE: An MFA code for ${users.mfaUser.mfaSerialNumber} is needed, but the proxy has no terminal to ask for it: ` +
        "run it in a terminal, or pass --mfa-token-code\n",
    );
  });
});
