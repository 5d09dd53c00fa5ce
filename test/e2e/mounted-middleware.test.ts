import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { KMSClient } from "@aws-sdk/client-kms";
import { STSClient } from "@aws-sdk/client-sts";
import express from "express";
import { demoAccount } from "../../local-aws/demo-account.js";
import { iamAuth } from "../../server-middleware/index.js";
import { curlViaProxy } from "../helpers/curl.js";
import { CookieJar, httpRequest, resolveLocation } from "../helpers/http-client.js";
import { awsEnvFor, startLocalAws, type LocalAws } from "../helpers/local-aws.js";
import { startProxyProcess, type ProxyProcess } from "../helpers/proxy-process.js";
import { startService, type RunningService } from "../helpers/service.js";
import { findAuditEvents } from "../helpers/audit-log.js";

/*
 * The middleware mounted the usual ways, signed in to through the real proxy (forward mode) and
 * the local AWS, as real processes:
 * - an Express app with `app.use("/admin", iamAuth(…))`, both methods, both login flows, sign-out;
 * - the example server with a custom authPath (IAM_AUTH_PATH=/login/iam);
 * - an app whose challenge names an auth-path that is not a plain path on it: refused by the proxy.
 */

const suite = "mounted-middleware";
const { users, accountId, region, keys } = demoAccount;
const salt = `salt-${randomBytes(8).toString("hex")}`;

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function close(server: Server | undefined): Promise<void> {
  server?.closeAllConnections();
  await new Promise((resolve) => (server === undefined ? resolve(undefined) : server.close(resolve)));
}

describe('iamAuth mounted with app.use("/admin", …), through the real proxy (real processes)', () => {
  let aws: LocalAws;
  /** The proxy signing in itself, each method forced; and one with the original's redirect flow. */
  let stsProxy: ProxyProcess;
  let kmsProxy: ProxyProcess;
  let redirectProxy: ProxyProcess;
  let appServer: Server;
  let appUrl: string;
  const appLog: string[] = [];
  let kmsClient: KMSClient;

  before(async () => {
    aws = await startLocalAws(suite);
    const proxyArgs = (...more: string[]) => ["--bind", "127.0.0.1:0", "--kms-host", "127.0.0.1", ...more];
    [stsProxy, kmsProxy, redirectProxy] = await Promise.all([
      startProxyProcess(`${suite}/proxy-sts.log`, aws.url, proxyArgs("--method", "sts")),
      startProxyProcess(`${suite}/proxy-kms.log`, aws.url, proxyArgs("--method", "kms")),
      startProxyProcess(`${suite}/proxy-redirect.log`, aws.url, proxyArgs("--login-flow", "redirect")),
    ]);

    appServer = createServer();
    const host = await listen(appServer);
    appUrl = `http://${host}`;
    const server = users.exampleServer;
    kmsClient = new KMSClient({ region, endpoint: aws.url, credentials: server, maxAttempts: 1 });
    const app = express();
    app.use(
      "/admin",
      iamAuth({
        accountId,
        sts: { serverId: host, testStsEndpoint: aws.url },
        kms: { keyId: keys.demo.arn, encryptionContext: { salt } },
        kmsClient,
        createStsClient: (credentials) =>
          new STSClient({ region, endpoint: aws.url, credentials, maxAttempts: 1 }),
        sessionSecrets: [randomBytes(32).toString("hex")],
        logger: (line) => appLog.push(line),
      }),
    );
    app.get("/admin/reports", (req, res) => {
      res.type("text/plain").send(`reports for ${req.iamIdentity?.arn ?? "nobody"}\n`);
    });
    app.get("/admin/", (req, res) => {
      res.type("text/plain").send(`admin home for ${req.iamIdentity?.arn ?? "nobody"}\n`);
    });
    app.get("/", (_req, res) => res.type("text/plain").send("public home\n"));
    appServer.on("request", app);
  });

  after(async () => {
    await close(appServer);
    kmsClient?.destroy();
    await Promise.all([stsProxy, kmsProxy, redirectProxy].map((proxy) => proxy?.service.stop()));
    await aws?.stop();
  });

  for (const [method, proxy, serverCalls] of [
    ["sts", () => stsProxy, { "sts:GetCallerIdentity": 1 }],
    ["kms", () => kmsProxy, { "kms:Decrypt": 1, "sts:GetCallerIdentity": 1 }],
  ] as const) {
    it(`signs in at /admin/auth with the ${method.toUpperCase()} method: the first request gets the page`, async () => {
      await aws.resetCalls();
      const response = await httpRequest(`${appUrl}/admin/reports?week=1`, { proxy: proxy().url });
      assert.equal(response.status, 200, response.body);
      assert.equal(response.body, `reports for ${users.demo.arn}\n`);
      // The session is the mount's: its cookie's Path is /admin.
      const session = (response.headers["set-cookie"] ?? []).filter((line) =>
        line.startsWith("iam-auth-session="),
      );
      assert.equal(session.length, 1);
      assert.match(session[0] ?? "", /; path=\/admin; /);
      assert.ok(
        findAuditEvents(appLog.join("\n"), { outcome: "success", identity: users.demo.arn, method }).length >
          0,
        appLog.join("\n"),
      );
      const calls = await aws.calls();
      for (const [action, count] of Object.entries(serverCalls)) {
        assert.ok((calls[action] ?? 0) >= count, `${action}: ${JSON.stringify(calls)}`);
      }
    });
  }

  it("curl with a cookie jar (the README's line) gets the page, and the proxy's session serves the next request", async () => {
    assert.equal(
      await curlViaProxy(stsProxy.url, `${appUrl}/admin/reports`, { cookieJar: true }),
      `reports for ${users.demo.arn}\n`,
    );
    const before = findAuditEvents(appLog.join("\n"), { action: "sign-in", outcome: "success" }).length;
    assert.equal(await curlViaProxy(stsProxy.url, `${appUrl}/admin/`), `admin home for ${users.demo.arn}\n`);
    assert.equal(
      findAuditEvents(appLog.join("\n"), { action: "sign-in", outcome: "success" }).length,
      before,
    );
  });

  it("--login-flow redirect sends the browser to //host/admin/auth, which signs it in and returns it to the page", async () => {
    const jar = new CookieJar();
    const first = await httpRequest(`${appUrl}/admin/reports`, { proxy: redirectProxy.url });
    assert.equal(first.status, 302);
    assert.match(
      first.headers.location ?? "",
      new RegExp(`^//127\\.0\\.0\\.1:\\d+/admin/auth\\?return_url=%2Fadmin%2Freports&token=sts1\\.`),
    );
    jar.store(first.headers);
    const auth = await httpRequest(resolveLocation(first.headers.location, appUrl), {
      proxy: redirectProxy.url,
      headers: jar.header(),
    });
    assert.equal(auth.status, 302, auth.body);
    assert.equal(auth.headers.location, "/admin/reports");
    jar.store(auth.headers);
    const page = await httpRequest(`${appUrl}/admin/reports`, {
      proxy: redirectProxy.url,
      headers: jar.header(),
    });
    assert.equal(page.status, 200);
    assert.equal(page.body, `reports for ${users.demo.arn}\n`);
  });

  it("signs out at /admin/auth/sign-out: 303 to /admin/, and the next request signs in again", async () => {
    const signedIn = await httpRequest(`${appUrl}/admin/reports`, { proxy: kmsProxy.url });
    assert.equal(signedIn.status, 200);
    const cookie = (signedIn.headers["set-cookie"] ?? []).map((line) => line.split(";")[0]).join("; ");
    const signOut = await httpRequest(`${appUrl}/admin/auth/sign-out`, {
      method: "POST",
      proxy: kmsProxy.url,
      headers: cookie === "" ? {} : { cookie },
    });
    assert.equal(signOut.status, 303);
    assert.equal(signOut.headers.location, "/admin/");
    const cleared = (signOut.headers["set-cookie"] ?? []).filter((line) =>
      line.startsWith("iam-auth-session="),
    );
    assert.equal(cleared.length, 1);
    assert.match(cleared[0] ?? "", /^iam-auth-session=; path=\/admin; expires=Thu, 01 Jan 1970/);
    // The proxy kept its session in step with the app: it is gone there too.
    const signIns = findAuditEvents(appLog.join("\n"), { action: "sign-in", outcome: "success" }).length;
    const again = await httpRequest(`${appUrl}/admin/reports`, { proxy: kmsProxy.url });
    assert.equal(again.status, 200);
    assert.equal(
      findAuditEvents(appLog.join("\n"), { action: "sign-in", outcome: "success" }).length,
      signIns + 1,
    );
  });

  it("leaves the rest of the app alone: / is served without a challenge", async () => {
    const response = await httpRequest(`${appUrl}/`);
    assert.equal(response.status, 200);
    assert.equal(response.body, "public home\n");
  });
});

describe("a custom authPath through this proxy: the example server with IAM_AUTH_PATH=/login/iam (real processes)", () => {
  let aws: LocalAws;
  let app: RunningService;
  let proxy: ProxyProcess;
  let redirectProxy: ProxyProcess;

  before(async () => {
    aws = await startLocalAws(`${suite}-auth-path`);
    app = await startService({
      script: "example-server/main.js",
      env: {
        ...awsEnvFor(aws.url, users.exampleServer),
        AWS_ACCOUNT_ID: accountId,
        KMS_KEY_ID: keys.demo.alias,
        KMS_SALT: salt,
        IAM_AUTH_METHODS: "sts kms",
        IAM_AUTH_TEST_STS_ENDPOINT: aws.url,
        IAM_AUTH_PATH: "/login/iam",
        SECRET_KEY: randomBytes(32).toString("hex"),
        PORT: "0",
      },
      logName: `${suite}-auth-path/example-server.log`,
    });
    const args = ["--bind", "127.0.0.1:0", "--kms-host", "127.0.0.1"];
    [proxy, redirectProxy] = await Promise.all([
      startProxyProcess(`${suite}-auth-path/proxy.log`, aws.url, args),
      startProxyProcess(`${suite}-auth-path/proxy-redirect.log`, aws.url, [
        ...args,
        "--login-flow",
        "redirect",
      ]),
    ]);
  });

  after(async () => {
    await Promise.all([proxy, redirectProxy].map((started) => started?.service.stop()));
    await app?.stop();
    await aws?.stop();
  });

  it("advertises it in the challenge", async () => {
    const response = await httpRequest(`${app.url}/`);
    assert.equal(response.status, 401);
    assert.match(String(response.headers["www-authenticate"]), /, auth-path="\/login\/iam"$/);
  });

  for (const method of ["sts", "kms"]) {
    it(`signs in there with the ${method.toUpperCase()} method`, async () => {
      const methodProxy = await startProxyProcess(`${suite}-auth-path/proxy-${method}.log`, aws.url, [
        "--bind",
        "127.0.0.1:0",
        "--kms-host",
        "127.0.0.1",
        "--method",
        method,
      ]);
      try {
        assert.equal(await curlViaProxy(methodProxy.url, `${app.url}/`), `${users.demo.arn}\n`);
        assert.ok(
          findAuditEvents(app.output(), { outcome: "success", identity: users.demo.arn, method }).length > 0,
          app.output(),
        );
      } finally {
        await methodProxy.service.stop();
      }
    });
  }

  it("the original's redirect flow goes there too (curl -L with a cookie jar)", async () => {
    assert.equal(
      await curlViaProxy(redirectProxy.url, `${app.url}/`, { cookieJar: true }),
      `${users.demo.arn}\n`,
    );
    assert.match(
      redirectProxy.service.output(),
      /login host=127\.0\.0\.1:\d+ identity=\S+ method=sts outcome=redirected/,
    );
  });

  it("/auth is not where it signs in any more", async () => {
    const response = await httpRequest(`${app.url}/auth?token=x`);
    assert.equal(response.status, 401, "an ordinary protected path: the challenge");
  });
});

describe("an auth-path that is not a plain path on the app: the real proxy refuses it (CHALLENGE_INVALID)", () => {
  let aws: LocalAws;
  let proxy: ProxyProcess;
  let hostile: Server;
  let hostileUrl: string;
  let authPath = "";
  let requests: string[] = [];

  before(async () => {
    aws = await startLocalAws(`${suite}-refused`);
    proxy = await startProxyProcess(`${suite}-refused/proxy.log`, aws.url, ["--bind", "127.0.0.1:0"]);
    hostile = createServer((req, res) => {
      requests.push(req.url ?? "");
      const quoted = authPath.replace(/["\\]/g, "\\$&");
      res.writeHead(401, {
        "content-type": "text/plain",
        "www-authenticate": `IAM realm="${accountId}", methods="sts", server-id="${req.headers.host ?? ""}", nonce="${randomBytes(16).toString("base64url")}", auth-path="${quoted}"`,
      });
      res.end("Please log in");
    });
    hostileUrl = `http://${await listen(hostile)}`;
  });

  after(async () => {
    await close(hostile);
    await proxy?.service.stop();
    await aws?.stop();
  });

  const notPlain =
    "it has a character that is not a plain path character (query, fragment, backslash, ';', whitespace, control or non-ASCII)";
  const refused: [string, string][] = [
    ["https://evil.example/auth", 'it does not start with "/"'],
    ["//evil.example/auth", 'it has an empty segment ("//")'],
    ["/\\evil.example/auth", notPlain],
    ["/auth?next=https://evil.example", notPlain],
    ["/admin/../auth", 'it has a "." or ".." segment'],
    ["/admin/%2e%2e/auth", 'it has a "." or ".." segment'],
    ["/%2F%2Fevil.example/auth", 'it has a percent-encoded "/", "\\", ";" or control character'],
    ["/auth%0d%0aSet-Cookie:x=1", 'it has a percent-encoded "/", "\\", ";" or control character'],
    ["/..;/auth", notPlain],
    ["auth", 'it does not start with "/"'],
  ];
  for (const [value, why] of refused) {
    it(`refuses auth-path=${JSON.stringify(value)}: 403 CHALLENGE_INVALID, nothing sent to the app's paths`, async () => {
      authPath = value;
      requests = [];
      const response = await httpRequest(`${hostileUrl}/reports`, { proxy: proxy.url });
      assert.equal(response.status, 403);
      assert.equal(response.headers["iam-auth-proxy-error"], "CHALLENGE_INVALID");
      assert.equal(
        response.body,
        `CHALLENGE_INVALID: Invalid IAM challenge from the server: auth-path must be a path on the app's own site: ${why} (got ${JSON.stringify(value)})\n`,
      );
      assert.deepEqual(requests, ["/reports"], "no hand-over anywhere");
    });
  }
});
