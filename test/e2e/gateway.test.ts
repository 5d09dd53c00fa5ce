import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { createRemoteJWKSet, decodeJwt, jwtVerify } from "jose";
import { WebSocketServer } from "ws";
import { JWKS_PATH } from "../../gateway/index.js";
import { demoAccount } from "../../local-aws/demo-account.js";
import { httpRequest, type HttpResult } from "../helpers/http-client.js";
import {
  startHeaderEchoApp,
  valuesOf,
  writeSessionSecret,
  type EchoedRequest,
} from "../helpers/header-echo-app.js";
import { awsEnvFor, startLocalAws, type LocalAws } from "../helpers/local-aws.js";
import { exchange } from "../helpers/mode-clients.js";
import { startService, type RunningService } from "../helpers/service.js";

/*
 * The IAM gateway in front of apps that know nothing of this project, end to end with real
 * processes: the local AWS, a plain Python http.server app (Debian's /usr/bin/python3) behind
 * one gateway, a websocket app behind another, and the person's proxy signing in through them.
 */

const suite = "gateway";
const { users, accountId } = demoAccount;

/** A GET with the path sent exactly as written (no URL normalisation of dot segments or escapes). */
function rawGet(origin: string, path: string, headers: Record<string, string> = {}): Promise<HttpResult> {
  const url = new URL(origin);
  return new Promise((resolve, reject) => {
    request({ host: url.hostname, port: url.port, path, headers, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    })
      .on("error", reject)
      .end();
  });
}

describe("the IAM gateway in front of a plain Python app and a websocket app (real processes)", () => {
  let aws: LocalAws;
  let app: RunningService;
  let gateway: RunningService;
  let wsGateway: RunningService;
  let proxy: RunningService;
  let wsApp: Server;
  let secretDir: string;
  const services: RunningService[] = [];

  before(async () => {
    aws = await startLocalAws(suite);
    const secret = writeSessionSecret();
    secretDir = secret.dir;
    const secretFile = secret.file;
    app = await startHeaderEchoApp(suite);
    services.push(app);
    // The websocket app sends each new connection the handshake headers it received.
    wsApp = createServer((_req, res) => res.end("websocket app"));
    const wss = new WebSocketServer({ server: wsApp });
    wss.on("connection", (socket, req) => socket.send(JSON.stringify({ headers: req.headers })));
    await new Promise<void>((resolve) => wsApp.listen(0, "127.0.0.1", resolve));
    const wsAppUrl = `http://127.0.0.1:${(wsApp.address() as AddressInfo).port}`;

    const gatewayArgs = (upstream: string): string[] => [
      "--bind",
      "127.0.0.1:0",
      "--upstream",
      upstream,
      "--account",
      accountId,
      "--session-secret-file",
      secretFile,
      "--test-sts-endpoint",
      aws.url,
      "--skip-auth",
      "GET /public/*",
    ];
    gateway = await startService({
      script: "gateway/cli/main.js",
      args: gatewayArgs(app.url),
      logName: `${suite}/gateway.log`,
    });
    services.push(gateway);
    wsGateway = await startService({
      script: "gateway/cli/main.js",
      args: gatewayArgs(wsAppUrl),
      logName: `${suite}/gateway-ws.log`,
    });
    services.push(wsGateway);
    proxy = await startService({
      script: "proxy/cli/main.js",
      args: ["--bind", "127.0.0.1:0"],
      env: awsEnvFor(aws.url, users.demo),
      logName: `${suite}/proxy.log`,
    });
    services.push(proxy);
  });

  after(async () => {
    await Promise.all(services.map((service) => service.stop()));
    await new Promise((resolve) => wsApp?.close(resolve));
    await aws?.stop();
    if (secretDir !== undefined) rmSync(secretDir, { recursive: true, force: true });
  });

  /** What the Python app saw for one request through the proxy (which signs in by itself). */
  async function throughProxy(path: string, headers: Record<string, string> = {}): Promise<EchoedRequest> {
    const answer = await httpRequest(`${gateway.url}${path}`, { proxy: proxy.url, headers });
    assert.equal(answer.status, 200, `through the proxy: ${answer.status} ${answer.body}`);
    return JSON.parse(answer.body) as EchoedRequest;
  }

  it("the app receives the identity headers of the person who signed in through the proxy, and not the gateway's session cookie", async () => {
    const seen = await throughProxy("/reports?year=2026");
    assert.equal(seen.path, "/reports?year=2026");
    assert.deepEqual(valuesOf(seen, "X-Forwarded-User"), [users.demo.arn]);
    assert.deepEqual(valuesOf(seen, "X-Iam-Auth-Arn"), [users.demo.arn]);
    assert.deepEqual(valuesOf(seen, "X-Iam-Auth-Account"), [accountId]);
    assert.deepEqual(valuesOf(seen, "X-Iam-Auth-User-Id"), [users.demo.userId]);
    assert.equal(valuesOf(seen, "X-Iam-Auth-Assertion").length, 1);
    assert.doesNotMatch(valuesOf(seen, "Cookie").join(";"), /iam-auth-session/);
  });

  it("the assertion verifies against the gateway's JWKS (ES256, iss, aud the app, sub the ARN, exp ≤ 60 s); a changed one does not", async () => {
    const seen = await throughProxy("/");
    const [token] = valuesOf(seen, "X-Iam-Auth-Assertion");
    assert.ok(token !== undefined);
    const jwks = createRemoteJWKSet(new URL(`${gateway.url}${JWKS_PATH}`));
    const { payload, protectedHeader } = await jwtVerify(token, jwks, {
      issuer: "iam-auth-gateway",
      audience: new URL(app.url).origin,
      algorithms: ["ES256"],
    });
    assert.equal(protectedHeader.alg, "ES256");
    assert.equal(payload.sub, users.demo.arn);
    assert.equal(payload.account, accountId);
    assert.ok(payload.exp !== undefined && payload.iat !== undefined && payload.exp - payload.iat <= 60);
    // Another subject with the same signature must not verify.
    const [header, body, signature] = token.split(".");
    const forgedBody = Buffer.from(
      JSON.stringify({ ...decodeJwt(token), sub: "arn:aws:iam::111122223333:user/admin" }),
    ).toString("base64url");
    await assert.rejects(jwtVerify(`${header}.${forgedBody}.${signature}`, jwks), {
      code: "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
    });
    assert.ok(body !== undefined);
  });

  it("client-supplied identity headers never reach the app, in any case or with _ for -", async () => {
    const spoofed = "arn:aws:iam::111122223333:user/admin";
    const seen = await throughProxy("/", {
      "X-Forwarded-User": spoofed,
      x_forwarded_user: spoofed,
      "X-IAM-AUTH-ARN": spoofed,
      X_Iam_Auth_Account: "999999999999",
      "X-Iam-Auth-Assertion": "forged",
      "X-Iam-Auth-Anything-Else": "x",
    });
    assert.deepEqual(valuesOf(seen, "X-Forwarded-User"), [users.demo.arn]);
    assert.deepEqual(valuesOf(seen, "X-Iam-Auth-Arn"), [users.demo.arn]);
    assert.deepEqual(valuesOf(seen, "X-Iam-Auth-Account"), [accountId]);
    const names = seen.headers.map(([name]) => name.toLowerCase());
    assert.deepEqual(
      names.filter((name) => name.includes("_") || name === "x-iam-auth-anything-else"),
      [],
    );
    assert.ok(!seen.headers.some(([, value]) => value === spoofed || value === "forged"));
  });

  it("API-style requests without a session get 401 with the challenge, browsers the sign-in page — never a redirect", async () => {
    const cases: [string, Record<string, string>, RegExp][] = [
      ["curl-like", { Accept: "*/*" }, /^text\/plain/],
      ["JSON API", { Accept: "application/json" }, /^text\/plain/],
      ["browser", { Accept: "text/html,application/xhtml+xml,*/*;q=0.8" }, /^text\/html/],
    ];
    for (const [name, headers, type] of cases) {
      const answer = await httpRequest(`${gateway.url}/api/items`, { headers });
      assert.equal(answer.status, 401, name);
      assert.match(String(answer.headers["www-authenticate"]), new RegExp(`^IAM realm="${accountId}"`), name);
      assert.equal(answer.headers.location, undefined, name);
      assert.match(String(answer.headers["content-type"]), type, name);
    }
  });

  it("skip-auth rules match the method and the path only: no session, no identity headers, spoofed ones removed", async () => {
    const open = await rawGet(gateway.url, "/public/app.css?x=1", {
      "X-Forwarded-User": "arn:aws:iam::1:user/x",
      x_forwarded_user: "arn:aws:iam::1:user/x",
      // A control: other headers with "_" do reach the app, so the one above was really removed.
      X_Custom_Header: "kept",
    });
    assert.equal(open.status, 200);
    const seen = JSON.parse(open.body) as EchoedRequest;
    assert.deepEqual(valuesOf(seen, "X_Custom_Header"), ["kept"]);
    assert.deepEqual(valuesOf(seen, "X-Forwarded-User"), []);
    assert.deepEqual(valuesOf(seen, "x_forwarded_user"), []);
    assert.deepEqual(valuesOf(seen, "X-Iam-Auth-Assertion"), []);
    for (const path of [
      "/private?next=/public/x",
      "/private#/public/x",
      "/public/../private",
      "/public/%2e%2e/private",
      "/public/..%2fprivate",
      "//public/x",
      "/public\\..\\private",
    ]) {
      assert.equal((await rawGet(gateway.url, path)).status, 401, path);
    }
    const post = await httpRequest(`${gateway.url}/public/app.css`, { method: "POST", body: "x" });
    assert.equal(post.status, 401);
  });

  it("serves its public key at the JWKS path without a session", async () => {
    const answer = await httpRequest(`${gateway.url}${JWKS_PATH}`);
    assert.equal(answer.status, 200);
    const { keys } = JSON.parse(answer.body) as {
      keys: { kty: string; crv: string; d?: string; kid: string }[];
    };
    assert.equal(keys.length, 1);
    assert.deepEqual([keys[0]?.kty, keys[0]?.crv, keys[0]?.d], ["EC", "P-256", undefined]);
  });

  it("websocket upgrades pass to the app with the identity; without a session the handshake gets 401", async () => {
    const wsUrl = `${wsGateway.url.replace(/^http/, "ws")}/live`;
    const refused = await exchange(wsUrl, { kind: "direct" }, {}, true);
    assert.equal(refused.status, 401);
    const answer = await exchange(
      wsUrl,
      { kind: "forward", proxyUrl: proxy.url },
      { "X-Forwarded-User": "spoof" },
      true,
    );
    assert.equal(answer.status, 101, answer.body);
    const { headers } = JSON.parse(answer.body) as { headers: Record<string, string> };
    assert.equal(headers["x-forwarded-user"], users.demo.arn);
    assert.equal(headers["x-iam-auth-user-id"], users.demo.userId);
  });
});
