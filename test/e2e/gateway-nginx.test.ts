import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { JWKS_PATH } from "../../gateway/index.js";
import { demoAccount } from "../../local-aws/demo-account.js";
import { httpRequest } from "../helpers/http-client.js";
import {
  startHeaderEchoApp,
  valuesOf,
  writeSessionSecret,
  type EchoedRequest,
} from "../helpers/header-echo-app.js";
import { awsEnvFor, startLocalAws, type LocalAws } from "../helpers/local-aws.js";
import { startNginx, type RunningNginx } from "../helpers/nginx.js";
import { repoRoot, startService, type RunningService } from "../helpers/service.js";

/*
 * Forward-auth with a real nginx (Debian's): nginx in front of a plain Python app asks the
 * gateway's /auth/check on every request (auth_request) and passes /auth to it. The nginx
 * configuration is docs/forward-auth/nginx.conf, the file the README points to, with only the
 * two addresses replaced.
 */

const suite = "gateway-nginx";
const { users, accountId } = demoAccount;

/** A port free on 127.0.0.1 now. */
function reservePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

describe("forward-auth: nginx auth_request in front of a plain app, the gateway deciding (real nginx)", () => {
  let aws: LocalAws;
  let app: RunningService;
  let gateway: RunningService;
  let nginx: RunningNginx;
  let proxy: RunningService;
  let secretDir: string;
  const services: RunningService[] = [];

  before(async () => {
    aws = await startLocalAws(suite);
    const secret = writeSessionSecret();
    secretDir = secret.dir;
    const secretFile = secret.file;
    app = await startHeaderEchoApp(suite);
    services.push(app);
    // nginx needs the gateway's address in its configuration, and the gateway needs nginx's
    // (its server-id): reserve a port for the gateway first; nginx connects only on demand.
    const gatewayPort = await reservePort();
    const snippet = readFileSync(join(repoRoot, "docs", "forward-auth", "nginx.conf"), "utf8")
      .replaceAll("127.0.0.1:4180", `127.0.0.1:${gatewayPort}`)
      .replaceAll("127.0.0.1:8000", new URL(app.url).host);
    nginx = await startNginx(snippet, `${suite}/nginx.log`);
    gateway = await startService({
      script: "gateway/cli/main.js",
      args: [
        "--bind",
        `127.0.0.1:${gatewayPort}`,
        "--upstream",
        app.url,
        "--account",
        accountId,
        "--server-id",
        `127.0.0.1:${nginx.port}`,
        "--session-secret-file",
        secretFile,
        "--test-sts-endpoint",
        aws.url,
      ],
      logName: `${suite}/gateway.log`,
    });
    services.push(gateway);
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
    await nginx?.stop();
    await aws?.stop();
    if (secretDir !== undefined) rmSync(secretDir, { recursive: true, force: true });
  });

  it("without a session nginx answers with the gateway's 401 IAM challenge and its nonce cookie, and the app sees nothing", async () => {
    const answer = await httpRequest(`${nginx.url}/reports`, { headers: { Accept: "*/*" } });
    assert.equal(answer.status, 401);
    assert.match(String(answer.headers["www-authenticate"]), new RegExp(`^IAM realm="${accountId}"`));
    assert.match(
      String(answer.headers["www-authenticate"]),
      new RegExp(`server-id="127\\.0\\.0\\.1:${nginx.port}"`),
    );
    assert.ok((answer.headers["set-cookie"] ?? []).some((cookie) => cookie.includes("Path=/auth")));
    assert.doesNotMatch(app.output(), /"GET \/reports/);
  });

  it("through the person's proxy the app receives the identity headers, the assertion verifies, and a spoofed X-Forwarded-User is replaced", async () => {
    const answer = await httpRequest(`${nginx.url}/reports?q=1`, {
      proxy: proxy.url,
      headers: { "X-Forwarded-User": "arn:aws:iam::111122223333:user/admin", "X-Iam-Auth-Arn": "forged" },
    });
    assert.equal(answer.status, 200, answer.body);
    const seen = JSON.parse(answer.body) as EchoedRequest;
    assert.equal(seen.path, "/reports?q=1");
    assert.deepEqual(valuesOf(seen, "X-Forwarded-User"), [users.demo.arn]);
    assert.deepEqual(valuesOf(seen, "X-Iam-Auth-Arn"), [users.demo.arn]);
    assert.deepEqual(valuesOf(seen, "X-Iam-Auth-Account"), [accountId]);
    assert.deepEqual(valuesOf(seen, "X-Iam-Auth-User-Id"), [users.demo.userId]);
    const [token] = valuesOf(seen, "X-Iam-Auth-Assertion");
    assert.ok(token !== undefined);
    const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(`${gateway.url}${JWKS_PATH}`)), {
      issuer: "iam-auth-gateway",
      algorithms: ["ES256"],
    });
    assert.equal(payload.sub, users.demo.arn);
  });

  it("without a session the check answers the full challenge (Traefik, Envoy), or a bare 401 with challenge=none (nginx)", async () => {
    const full = await httpRequest(`${gateway.url}/auth/check`);
    assert.equal(full.status, 401);
    assert.match(String(full.headers["www-authenticate"]), new RegExp(`^IAM realm="${accountId}"`));
    assert.equal(full.headers["x-forwarded-user"], undefined);
    // Envoy's ext_authz appends the request path to the check's.
    const envoy = await httpRequest(`${gateway.url}/auth/check/reports`);
    assert.equal(envoy.status, 401);
    assert.match(String(envoy.headers["www-authenticate"]), /^IAM realm=/);
    const bare = await httpRequest(`${gateway.url}/auth/check?challenge=none`);
    assert.equal(bare.status, 401);
    assert.equal(bare.headers["www-authenticate"], undefined);
    assert.equal(bare.headers["set-cookie"], undefined);
    assert.equal(bare.headers["iam-auth-gateway-error"], "SESSION_REQUIRED");
  });
});
