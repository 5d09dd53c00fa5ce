import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { demoAccount } from "../../local-aws/demo-account.js";
import { encodeEncryptionContext } from "../../protocol/index.js";
import { curlViaProxy } from "../helpers/curl.js";
import { CookieJar, httpRequest, resolveLocation } from "../helpers/http-client.js";
import { awsEnvFor, startLocalAws, type LocalAws } from "../helpers/local-aws.js";
import { buildOriginalToken } from "../helpers/original-proxy.js";
import { startService, type RunningService } from "../helpers/service.js";

const suite = "login-kms";
const { users, keys, accountId } = demoAccount;
const salt = `salt-${randomBytes(8).toString("hex")}`;
/** Waits until a process has written a line matching `pattern`. */
async function waitForLine(service: RunningService, pattern: RegExp, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(service.output())) {
    if (Date.now() > deadline)
      throw new Error(`no output matching ${String(pattern)}; output:\n${service.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

// The example server advertises its server-id, so the proxy binds the token: `kms1.<base64>`.
const authLocation = /^\/\/127\.0\.0\.1:\d+\/auth\?return_url=([^&]+)&token=(kms1\.[A-Za-z0-9%]+)$/;
const unboundRefusal =
  "The KMS token is not bound to this app: the proxy must bind it to this app's server-id, or the app may accept unbound tokens with kms: { acceptUnboundTokens: true }";
const unreadable =
  "The token could not be decrypted: it was altered or made for another app (encryption context mismatch)";

describe("KMS login through the proxy (local AWS, example server and proxy as real processes)", () => {
  let aws: LocalAws;
  /** The example server with the defaults: KMS tokens bound to its server-id, unbound ones refused. */
  let app: RunningService;
  /**
   * Another example server with the same key and salt (so the same app context) on another port
   * (another server-id) that also accepts the original proxy's unbound tokens
   * (IAM_AUTH_KMS_ACCEPT_UNBOUND=true): where the original's compatibility is tested.
   */
  let unboundApp: RunningService;
  /** `--login-flow redirect`: the original's flow, whose 302 to /auth most tests here check. */
  let proxy: RunningService;
  /** The default flow: the proxy calls /auth itself and returns the page. */
  let selfLoginProxy: RunningService;
  const extraProxies: RunningService[] = [];
  let fakeApp: Server;
  let fakeAppUrl: string;
  /** What the fake app answers next: the headers of a crafted 401. */
  let fakeChallenge: Record<string, string> = {};

  before(async () => {
    aws = await startLocalAws(suite);
    app = await startService({
      script: "example-server/main.js",
      env: {
        ...awsEnvFor(aws.url, users.exampleServer),
        KMS_KEY_ID: keys.demo.alias,
        KMS_SALT: salt,
        SECRET_KEY: randomBytes(32).toString("hex"),
        IAM_AUTH_METHODS: "kms",
        PORT: "0",
      },
      logName: `${suite}/example-server.log`,
    });
    unboundApp = await startService({
      script: "example-server/main.js",
      env: {
        ...awsEnvFor(aws.url, users.exampleServer),
        KMS_KEY_ID: keys.demo.alias,
        KMS_SALT: salt,
        SECRET_KEY: randomBytes(32).toString("hex"),
        IAM_AUTH_METHODS: "kms",
        IAM_AUTH_KMS_ACCEPT_UNBOUND: "true",
        PORT: "0",
      },
      logName: `${suite}/example-server-accepts-unbound.log`,
    });
    proxy = await startProxy("proxy", "--login-flow", "redirect");
    selfLoginProxy = await startProxy("proxy-self-login");
    fakeApp = createServer((_req, res) => {
      res.writeHead(401, { "content-type": "text/plain", ...fakeChallenge });
      res.end("Please log in");
    });
    await new Promise<void>((resolve) => fakeApp.listen(0, "127.0.0.1", resolve));
    fakeAppUrl = `http://127.0.0.1:${(fakeApp.address() as AddressInfo).port}`;
  });

  after(async () => {
    await new Promise((resolve) => fakeApp?.close(resolve));
    for (const extra of extraProxies) await extra.stop();
    await selfLoginProxy?.stop();
    await proxy?.stop();
    await unboundApp?.stop();
    await app?.stop();
    await aws?.stop();
  });

  /** A proxy process for the demo user, with its own caches (no identity or session credentials yet). */
  /**
   * Starts a proxy and waits for its start-up credential check (an sts:GetCallerIdentity) to end,
   * so that call is never counted in a test's AWS calls.
   */
  async function startProxy(name: string, ...args: string[]): Promise<RunningService> {
    const started = await startService({
      script: "proxy/cli/main.js",
      // The example server offers only the KMS method here: name it, as a person would.
      args: ["--bind", "127.0.0.1:0", "--kms-host", "127.0.0.1", ...args],
      env: awsEnvFor(aws.url, users.demo),
      logName: `${suite}/${name}.log`,
    });
    await waitForLine(started, /\bcredentials identity=/);
    return started;
  }

  async function startExtraProxy(name: string, ...args: string[]): Promise<RunningService> {
    const started = await startProxy(name, ...args);
    extraProxies.push(started);
    return started;
  }

  const viaProxy = (url: string, headers: Record<string, string> = {}, through: RunningService = proxy) =>
    httpRequest(url, { proxy: through.url, headers });

  /** Asks the app for `path` through the proxy and returns the proxy's redirect to /auth. */
  async function challengeRedirect(path: string): Promise<string> {
    const response = await viaProxy(`${app.url}${path}`);
    assert.equal(response.status, 302, response.body);
    const location = response.headers.location ?? "";
    assert.match(location, authLocation);
    return resolveLocation(location, app.url);
  }

  /** A token built the way the original Go proxy builds it. */
  const originalToken = (
    user: { accessKeyId: string; secretAccessKey: string },
    encryptAs = user,
    options: { keyId?: string; context?: Record<string, string>; expire?: boolean } = {},
  ): Promise<string> =>
    buildOriginalToken({
      awsUrl: aws.url,
      user,
      encryptAs,
      keyId: options.keyId ?? keys.demo.arn,
      encryptionContext: options.context ?? { salt },
      beforeEncrypt: options.expire === true ? (id) => aws.expireSession(id) : undefined,
    });

  /** /auth of the app that accepts the original's unbound tokens, unless `at` says otherwise. */
  const authUrl = (token: string, returnUrl = "/", at: RunningService = unboundApp) =>
    `${at.url}/auth?return_url=${encodeURIComponent(returnUrl)}&token=${encodeURIComponent(token)}`;

  describe("the happy path", () => {
    it("challenge → 302 to /auth with a token → session cookie → the protected page shows the ARN", async () => {
      const auth = await challengeRedirect("/");
      const jar = new CookieJar();
      const signedIn = await viaProxy(auth);
      assert.equal(signedIn.status, 302, signedIn.body);
      assert.equal(signedIn.headers.location, "/");
      jar.store(signedIn.headers);
      // cookie-session sends the session and its signature as two cookies.
      assert.deepEqual(jar.names(), ["iam-auth-session", "iam-auth-session.sig"]);
      const page = await viaProxy(`${app.url}/`, jar.header());
      assert.equal(page.status, 200);
      assert.equal(page.body, `${users.demo.arn}\n`);
    });

    it("keeps the original path and query in return_url", async () => {
      const auth = await challengeRedirect("/?report=q3&x=a%20b");
      assert.equal(new URL(auth).searchParams.get("return_url"), "/?report=q3&x=a%20b");
      const signedIn = await viaProxy(auth);
      assert.equal(signedIn.headers.location, "/?report=q3&x=a%20b");
    });

    it("passes responses that are not a challenge through untouched", async () => {
      const check = await viaProxy(`${app.url}/check`);
      assert.equal(check.status, 200);
      assert.equal(check.body, ":(\n");
    });

    it("makes the original's AWS calls: 3 on the proxy, 2 on the server; later logins only kms:Encrypt on the proxy", async () => {
      await aws.resetCalls();
      // Its start-up check asks who the credentials belong to; the first login reuses that answer.
      const fresh = await startExtraProxy("proxy-fresh", "--login-flow", "redirect");
      const first = await viaProxy(`${app.url}/`, {}, fresh);
      assert.equal(first.status, 302, first.body);
      assert.deepEqual(await aws.calls(), {
        "sts:GetCallerIdentity": 1,
        "sts:GetSessionToken": 1,
        "kms:Encrypt": 1,
      });
      await aws.resetCalls();
      const auth = resolveLocation(first.headers.location, app.url);
      assert.equal((await viaProxy(auth, {}, fresh)).status, 302);
      assert.deepEqual(await aws.calls(), { "kms:Decrypt": 1, "sts:GetCallerIdentity": 1 });
      // Identity and session credentials are cached (until 5 minutes before they expire).
      await aws.resetCalls();
      assert.equal((await viaProxy(`${app.url}/`, {}, fresh)).status, 302);
      assert.deepEqual(await aws.calls(), { "kms:Encrypt": 1 });
    });

    it("curl with NO cookie jar through the (default) proxy prints the demo ARN on the first request", async () => {
      assert.equal(await curlViaProxy(selfLoginProxy.url, `${app.url}/`), `${users.demo.arn}\n`);
      await waitForLine(
        selfLoginProxy,
        new RegExp(
          `login host=${new URL(app.url).host} identity=${users.demo.arn} method=kms outcome=signed-in`,
        ),
      );
    });

    it("curl with a cookie jar through the proxy prints the demo ARN (the README's line)", async () => {
      assert.equal(await curlViaProxy(proxy.url, `${app.url}/`, { cookieJar: true }), `${users.demo.arn}\n`);
    });
  });

  describe("KMS tokens bound to the app (the iam-auth:server-id encryption context)", () => {
    it("a token the proxy made for one app is refused at another with the same key and salt", async () => {
      const forApp = new URL(await challengeRedirect("/")).searchParams.get("token") ?? "";
      assert.match(forApp, /^kms1\./);
      for (const replayed of [forApp, forApp.slice("kms1.".length)]) {
        const response = await viaProxy(authUrl(replayed));
        assert.equal(response.status, 403);
        assert.equal(response.body, `${unreadable}\n`);
        assert.equal(response.headers["set-cookie"], undefined);
      }
      // The token is still good where it was made for.
      assert.equal((await viaProxy(authUrl(forApp, "/", app))).status, 302);
    });

    it("an original-style (unbound) token is refused by default with KMS_TOKEN_UNBOUND, and no KMS call", async () => {
      const token = await originalToken(users.demo);
      await aws.resetCalls();
      const response = await viaProxy(authUrl(token, "/", app));
      assert.equal(response.status, 403);
      assert.equal(response.body, `${unboundRefusal}\n`);
      assert.equal(response.headers["set-cookie"], undefined);
      assert.equal((await aws.calls())["kms:Decrypt"] ?? 0, 0);
      await waitForLine(app, /"outcome":"refused","reason":"KMS_TOKEN_UNBOUND","status":403/);
    });

    it("an original-style (unbound) token signs in where the app accepts them (IAM_AUTH_KMS_ACCEPT_UNBOUND=true)", async () => {
      const jar = new CookieJar();
      const signedIn = await viaProxy(authUrl(await originalToken(users.demo)));
      assert.equal(signedIn.status, 302, signedIn.body);
      jar.store(signedIn.headers);
      const page = await viaProxy(`${unboundApp.url}/`, jar.header());
      assert.equal(page.status, 200);
      assert.equal(page.body, `${users.demo.arn}\n`);
    });

    it("our proxy binds its tokens for the app that accepts unbound ones too, and signs in", async () => {
      assert.equal(await curlViaProxy(selfLoginProxy.url, `${unboundApp.url}/`), `${users.demo.arn}\n`);
    });
  });

  describe("a hostile app that copies the app's KMS challenge, to replay the proof at the app (relay)", () => {
    it("gets no proof from a proxy that names it, as the challenge names the real app's server-id; AWS is not asked", async () => {
      const real = await httpRequest(`${app.url}/`);
      assert.equal(real.status, 401);
      assert.match(String(real.headers["www-authenticate"]), /server-id="127\.0\.0\.1:\d+"/);
      fakeChallenge = {
        "www-authenticate": String(real.headers["www-authenticate"]),
        "iam-auth-kms-key-id": String(real.headers["iam-auth-kms-key-id"]),
        "iam-auth-kms-encryption-context": String(real.headers["iam-auth-kms-encryption-context"]),
      };
      const fakeHost = new URL(fakeAppUrl).host;
      await aws.resetCalls();
      // `proxy` names every 127.0.0.1 app with --kms-host, the hostile one too.
      const refused = await viaProxy(`${fakeAppUrl}/`);
      assert.deepEqual(
        [refused.status, refused.headers["iam-auth-proxy-error"]],
        [403, "SERVER_ID_MISMATCH"],
      );
      assert.equal(
        refused.body,
        `SERVER_ID_MISMATCH: Refusing to sign in: the app at ${fakeHost} asked for a proof for server-id ${new URL(app.url).host} ` +
          "(a proof for another server would let this app sign in there as you)\n",
      );
      assert.equal((await aws.calls())["kms:Encrypt"] ?? 0, 0);
    });

    it("gets no proof from a proxy that names only the real app, and AWS is not asked; the real app still signs in", async () => {
      const appHost = new URL(app.url).host;
      const named = await startService({
        script: "proxy/cli/main.js",
        args: ["--bind", "127.0.0.1:0", "--kms-host", appHost],
        env: awsEnvFor(aws.url, users.demo),
        logName: `${suite}/proxy-kms-host.log`,
      });
      extraProxies.push(named);
      await waitForLine(named, /\bcredentials identity=/);
      // The hostile app answers with exactly the challenge the real app sends (it is public).
      const real = await httpRequest(`${app.url}/`);
      assert.equal(real.status, 401);
      // Without the real app's server-id (which the proxy would check), as the original's challenge.
      fakeChallenge = {
        "www-authenticate": String(real.headers["www-authenticate"]).replace(/, server-id="[^"]*"/, ""),
        "iam-auth-kms-key-id": String(real.headers["iam-auth-kms-key-id"]),
        "iam-auth-kms-encryption-context": String(real.headers["iam-auth-kms-encryption-context"]),
      };
      const fakeHost = new URL(fakeAppUrl).host;
      await aws.resetCalls();
      const refused = await httpRequest(`${fakeAppUrl}/`, { proxy: named.url });
      assert.deepEqual([refused.status, refused.headers["iam-auth-proxy-error"]], [403, "KMS_APP_NOT_NAMED"]);
      assert.match(
        refused.body,
        new RegExp(`^KMS_APP_NOT_NAMED: Refusing to give ${fakeHost.replace(/\./g, "\\.")} a KMS proof: `),
      );
      assert.equal((await aws.calls())["kms:Encrypt"] ?? 0, 0);
      const page = await httpRequest(`${app.url}/`, { proxy: named.url });
      assert.equal(page.status, 200);
      assert.match(page.body, new RegExp(users.demo.arn.replace(/[/.]/g, "\\$&")));
      assert.equal((await aws.calls())["kms:Encrypt"], 1);
    });
  });

  describe("the server refuses bad tokens at /auth with 403 and no session", () => {
    const refused = async (url: string, status: number, message: string) => {
      const response = await viaProxy(url);
      assert.equal(response.status, status);
      assert.equal(response.body, `${message}\n`);
      assert.equal(response.headers["set-cookie"], undefined);
    };

    it("a missing token", () =>
      refused(`${app.url}/auth?return_url=%2F`, 403, "The token query parameter is missing"));

    it("a token that is not base64", () =>
      refused(authUrl("not*base64"), 403, "The token is not valid base64"));

    it("a tampered token", async () => {
      const token = Buffer.from(await originalToken(users.demo), "base64");
      token[token.length - 5] = (token[token.length - 5] ?? 0) ^ 0x01;
      await refused(
        authUrl(token.toString("base64")),
        403,
        "The token could not be decrypted: it was altered or made for another app (encryption context mismatch)",
      );
    });

    it("a token made for another encryption context", async () => {
      await refused(
        authUrl(await originalToken(users.demo, users.demo, { context: { salt: "another-app" } })),
        403,
        "The token could not be decrypted: it was altered or made for another app (encryption context mismatch)",
      );
    });

    it("a token encrypted under another KMS key", async () => {
      const token = await originalToken(users.outsider, users.outsider, { keyId: keys.outsiderKey.arn });
      await refused(authUrl(token), 403, "The token was encrypted under a different KMS key");
    });

    it("credentials that expired", async () => {
      await refused(
        authUrl(await originalToken(users.demo, users.demo, { expire: true })),
        403,
        "The AWS credentials in the token have expired",
      );
    });

    it("an identity from another account", async () => {
      // The outsider's own session credentials, encrypted for this app by someone who may use its key.
      await refused(
        authUrl(await originalToken(users.outsider, users.demo)),
        403,
        `The identity ${users.outsider.arn} is not allowed to use this app`,
      );
    });

    it("a return_url that leaves the site", async () => {
      await refused(
        authUrl(await originalToken(users.demo), "//evil.example/"),
        403,
        'return_url must be a path on this site: it starts with "//"',
      );
    });

    it("a repeated token parameter is bad input, not a crash", async () => {
      await refused(`${app.url}/auth?token=AQID&token=AQID`, 400, "The token query parameter is repeated");
      await refused(`${app.url}/auth?token[]=AQID`, 400, "The token query parameter must be a single value");
    });
  });

  describe("the proxy answers challenges it cannot use with a one-line reason", () => {
    const context = encodeEncryptionContext({ salt });
    const denied = async (
      challenge: Record<string, string>,
      status: number,
      code: string,
      message: string,
      through: RunningService = proxy,
    ) => {
      fakeChallenge = challenge;
      const response = await viaProxy(`${fakeAppUrl}/private`, {}, through);
      assert.equal(response.status, status);
      assert.equal(response.headers["iam-auth-proxy-error"], code);
      assert.match(response.headers["content-type"] ?? "", /^text\/plain/);
      assert.equal(response.body, `${code}: ${message}\n`);
    };

    it("passes a 401 of another scheme through untouched", async () => {
      fakeChallenge = { "www-authenticate": 'Basic realm="intranet"' };
      const response = await viaProxy(`${fakeAppUrl}/private`);
      assert.equal(response.status, 401);
      assert.equal(response.headers["www-authenticate"], 'Basic realm="intranet"');
      assert.equal(response.body, "Please log in");
    });

    it("a challenge without the KMS key id", () =>
      denied(
        { "www-authenticate": `IAM realm="${accountId}"`, "iam-auth-kms-encryption-context": context },
        403,
        "KMS_KEY_ID_MISSING",
        "Invalid IAM challenge from the server: Iam-Auth-Kms-Key-Id: the header is missing",
      ));

    it("a context that is not base64 of a JSON object of strings", () =>
      denied(
        {
          "www-authenticate": `IAM realm="${accountId}"`,
          "iam-auth-kms-key-id": keys.demo.arn,
          "iam-auth-kms-encryption-context": Buffer.from('{"salt": 1}').toString("base64"),
        },
        403,
        "ENCRYPTION_CONTEXT_INVALID",
        'Invalid IAM challenge from the server: Iam-Auth-Kms-Encryption-Context: The KMS encryption context value for "salt" must be a string',
      ));

    it("a realm that is not the person's account", () =>
      denied(
        {
          "www-authenticate": 'IAM realm="444455556666"',
          "iam-auth-kms-key-id": keys.demo.arn,
          "iam-auth-kms-encryption-context": context,
        },
        403,
        "REALM_MISMATCH",
        "The IAM identity does not match the server realm (expected: 444455556666)",
      ));

    it("a KMS key the person may not use", () =>
      denied(
        {
          "www-authenticate": `IAM realm="${accountId}"`,
          "iam-auth-kms-key-id": keys.outsiderKey.arn,
          "iam-auth-kms-encryption-context": context,
        },
        403,
        "AWS_REQUEST_FAILED",
        `AWS KMS Encrypt failed: AccessDeniedException: User: ${users.demo.arn} is not authorized to perform: kms:Encrypt on resource: ${keys.outsiderKey.arn}`,
      ));

    it("an STS failure", async () => {
      // A proxy that has not cached session credentials yet, so it does call GetSessionToken.
      const fresh = await startExtraProxy("proxy-sts-failure");
      await aws.addFault({
        action: "sts:GetSessionToken",
        error: { status: 403, code: "AccessDenied", message: "Denied by test" },
        count: 1,
      });
      await denied(
        {
          "www-authenticate": `IAM realm="${accountId}"`,
          "iam-auth-kms-key-id": keys.demo.arn,
          "iam-auth-kms-encryption-context": context,
        },
        403,
        "AWS_REQUEST_FAILED",
        "AWS STS GetSessionToken failed: AccessDenied: Denied by test",
        fresh,
      );
    });
  });

  describe("when AWS is unreachable", () => {
    let offline: RunningService;
    before(async () => {
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
      const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
      await new Promise((resolve) => closed.close(resolve));
      offline = await startService({
        script: "proxy/cli/main.js",
        args: ["--bind", "127.0.0.1:0", "--kms-host", "127.0.0.1"],
        env: awsEnvFor(deadUrl, users.demo),
        logName: `${suite}/proxy-offline.log`,
      });
    });
    after(() => offline?.stop());

    it("answers 502 with the reason", async () => {
      const response = await httpRequest(`${app.url}/`, { proxy: offline.url });
      assert.equal(response.status, 502);
      assert.match(
        response.body,
        /^AWS_UNREACHABLE: AWS STS is unreachable: ECONNREFUSED \(connect ECONNREFUSED 127\.0\.0\.1:\d+\)\n$/,
      );
    });
  });
});
