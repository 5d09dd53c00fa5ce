import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { DecryptCommand, KMSClient } from "@aws-sdk/client-kms";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { demoAccount } from "../../local-aws/demo-account.js";
import { CookieJar, httpRequest, resolveLocation } from "../helpers/http-client.js";
import { awsEnvFor, startLocalAws, type LocalAws } from "../helpers/local-aws.js";
import { startService, type RunningService } from "../helpers/service.js";

const suite = "interop-flask-server";
const { users, keys, accountId, region } = demoAccount;

/**
 * A stand-in for the original's Flask example-server.py, behaving as that script does on
 * the wire: the same three challenge headers (the context is Python's
 * base64.b64encode(json.dumps({"salt": …})), with json.dumps's space after the colon),
 * and an /auth that decrypts with boto3-style calls, checks identity.split(":")[4] and keeps
 * the ARN in a session. Our proxy must sign in to it unchanged.
 */
function startFlaskLikeServer(awsUrl: string, salt: string, authRequests: string[]): Promise<Server> {
  const context = { salt };
  const challengeHeaders = {
    "Iam-Auth-Kms-Encryption-Context": Buffer.from(`{"salt": "${salt}"}`).toString("base64"),
    "Iam-Auth-Kms-Key-Id": keys.demo.arn,
    "WWW-Authenticate": `IAM realm="${accountId}"`,
  };
  const sessions = new Map<string, string>();
  const kms = new KMSClient({ endpoint: awsUrl, region, credentials: users.exampleServer, maxAttempts: 1 });

  async function auth(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const query = new URL(req.url ?? "/", "http://flask").searchParams;
    const token = query.get("token");
    const returnUrl = query.get("return_url") ?? "/";
    if (token === null || !returnUrl.startsWith("/")) return void res.writeHead(403).end();
    try {
      const { Plaintext } = await kms.send(
        new DecryptCommand({ CiphertextBlob: Buffer.from(token, "base64"), EncryptionContext: context }),
      );
      const creds = JSON.parse(Buffer.from(Plaintext ?? new Uint8Array()).toString("utf8")) as Record<
        string,
        string
      >;
      const sts = new STSClient({
        endpoint: awsUrl,
        region,
        maxAttempts: 1,
        credentials: {
          accessKeyId: creds.AccessKeyId ?? "",
          secretAccessKey: creds.SecretAccessKey ?? "",
          sessionToken: creds.SessionToken ?? "",
        },
      });
      const { Arn } = await sts.send(new GetCallerIdentityCommand({}));
      sts.destroy();
      if (Arn?.split(":")[4] !== accountId) return void res.writeHead(403).end();
      const sessionId = randomBytes(16).toString("hex");
      sessions.set(sessionId, Arn);
      res
        .writeHead(302, { location: returnUrl, "set-cookie": `session=${sessionId}; HttpOnly; Path=/` })
        .end();
    } catch {
      res.writeHead(403).end();
    }
  }

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://flask").pathname;
    const sessionId = /(?:^|;\s*)session=([0-9a-f]+)/.exec(req.headers.cookie ?? "")?.[1];
    const arn = sessionId === undefined ? undefined : sessions.get(sessionId);
    if (path === "/auth") {
      authRequests.push(req.url ?? "");
      return void auth(req, res);
    }
    if (path === "/check") return void res.end(arn ?? ":(");
    if (arn === undefined) return void res.writeHead(401, challengeHeaders).end("Please log in");
    res.end(arn);
  });
  server.on("close", () => kms.destroy());
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

describe("interop: our proxy signs in to a server speaking exactly as the original example-server.py", () => {
  let aws: LocalAws;
  let flask: Server;
  let flaskUrl: string;
  /** `--login-flow redirect`: the original's flow, the client follows the 302 to /auth. */
  let proxy: RunningService;
  /** The default flow: the proxy calls /auth itself. */
  let selfLoginProxy: RunningService;
  const authRequests: string[] = [];

  before(async () => {
    aws = await startLocalAws(suite);
    flask = await startFlaskLikeServer(aws.url, `salt-${randomBytes(8).toString("hex")}`, authRequests);
    flaskUrl = `http://127.0.0.1:${(flask.address() as AddressInfo).port}`;
    proxy = await startService({
      script: "proxy/cli/main.js",
      // The original server offers only the KMS method: the person names it.
      args: ["--bind", "127.0.0.1:0", "--login-flow", "redirect", "--kms-host", "127.0.0.1"],
      env: awsEnvFor(aws.url, users.demo),
      logName: `${suite}/proxy.log`,
    });
    selfLoginProxy = await startService({
      script: "proxy/cli/main.js",
      args: ["--bind", "127.0.0.1:0", "--kms-host", "127.0.0.1"],
      env: awsEnvFor(aws.url, users.demo),
      logName: `${suite}/proxy-self-login.log`,
    });
  });

  after(async () => {
    await selfLoginProxy?.stop();
    await proxy?.stop();
    await new Promise((resolve) => flask?.close(resolve));
    await aws?.stop();
  });

  it("answers the Flask challenge with the original's redirect form", async () => {
    const response = await httpRequest(`${flaskUrl}/?page=2`, { proxy: proxy.url });
    assert.equal(response.status, 302);
    const location = response.headers.location ?? "";
    const host = new URL(flaskUrl).host;
    assert.ok(location.startsWith(`//${host}/auth?`), location);
    const query = new URL(location, flaskUrl).searchParams;
    assert.deepEqual([...query.keys()].sort(), ["return_url", "token"]);
    assert.equal(query.get("return_url"), "/?page=2");
    assert.match(query.get("token") ?? "", /^[A-Za-z0-9+/]+={0,2}$/);
  });

  it("completes the sign-in: the Flask-style /auth accepts the token and / shows the ARN", async () => {
    const jar = new CookieJar();
    const challenged = await httpRequest(`${flaskUrl}/`, { proxy: proxy.url });
    const auth = resolveLocation(challenged.headers.location, flaskUrl);
    const signedIn = await httpRequest(auth, { proxy: proxy.url });
    assert.equal(signedIn.status, 302);
    assert.equal(signedIn.headers.location, "/");
    jar.store(signedIn.headers);
    const page = await httpRequest(`${flaskUrl}/`, { proxy: proxy.url, headers: jar.header() });
    assert.equal(page.status, 200);
    assert.equal(page.body, users.demo.arn);
    const check = await httpRequest(`${flaskUrl}/check`, { proxy: proxy.url, headers: jar.header() });
    assert.equal(check.body, users.demo.arn);
  });

  it("signs in by itself with the original's /auth request, returning the page and the Flask session cookie", async () => {
    authRequests.length = 0;
    const page = await httpRequest(`${flaskUrl}/?page=2`, { proxy: selfLoginProxy.url });
    assert.equal(page.status, 200);
    assert.equal(page.body, users.demo.arn);
    const cookie = page.headers["set-cookie"]?.[0] ?? "";
    assert.match(cookie, /^session=[0-9a-f]{32}; HttpOnly; Path=\/$/);

    // The request the proxy made is the one the original's browser would have made.
    assert.equal(authRequests.length, 1);
    const query = new URL(authRequests[0] ?? "", flaskUrl).searchParams;
    assert.deepEqual([...query.keys()], ["return_url", "token"]);
    assert.equal(query.get("return_url"), "/?page=2");
    assert.match(query.get("token") ?? "", /^[A-Za-z0-9+/]+={0,2}$/);

    const jar = new CookieJar();
    jar.store(page.headers);
    const check = await httpRequest(`${flaskUrl}/check`, {
      proxy: selfLoginProxy.url,
      headers: jar.header(),
    });
    assert.equal(check.body, users.demo.arn);
  });
});
