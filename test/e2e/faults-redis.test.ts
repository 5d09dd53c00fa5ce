import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { demoAccount } from "../../local-aws/demo-account.js";
import { findIamChallenge, formatStsProof, WWW_AUTHENTICATE_HEADER } from "../../protocol/index.js";
import { presignCallerIdentity } from "../../proxy/aws/sts-presign.js";
import { findAuditEvents } from "../helpers/audit-log.js";
import { eventually } from "../helpers/eventually.js";
import { startGatewayProcess, type GatewayProcess } from "../helpers/gateway-process.js";
import { CookieJar, httpRequest, type HttpResult } from "../helpers/http-client.js";
import { startLocalAws, type LocalAws } from "../helpers/local-aws.js";
import { startProxyProcess, type ProxyProcess } from "../helpers/proxy-process.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";

/*
 * Issue 15's fault matrix, the Redis rows, seen by the person: a gateway with --redis-url in front
 * of an app, the person's real proxy signing in to it, and a real redis-server that is stopped
 * (its port closed) or stopped with SIGSTOP (connections accepted, commands never answered), then
 * brought back. New sign-ins fail closed with the gateway's 503 one line (REPLAY_STORE_UNAVAILABLE
 * in its audit event), relayed by the proxy; sessions already given keep working, as do skip-auth
 * paths and /healthz; /readyz says 503 while Redis is away. Once Redis is back everything works
 * without a restart, and a used proof is still refused (no reply of the hung Redis lands on
 * another command). test/e2e/two-instances-redis.test.ts covers two instances sharing one Redis.
 */

const suite = "faults-redis";
const { users, region } = demoAccount;
const appLine = `app: ${users.demo.arn}\n`;
const UNAVAILABLE = "The replay store failed; try again later\n";

describe("Redis down, hung and back under a gateway, seen through the person's proxy (real processes)", () => {
  let aws: LocalAws;
  let redis: TestRedis;
  let app: Server;
  let gateway: GatewayProcess;
  let proxy: ProxyProcess;
  /** The session cookie a browser got before any fault. */
  const session = new CookieJar();

  before(async () => {
    aws = await startLocalAws(suite);
    redis = await startRedis(suite);
    app = createServer((req, res) => res.end(`app: ${String(req.headers["x-forwarded-user"])}\n`));
    await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
    gateway = await startGatewayProcess({
      upstream: `http://127.0.0.1:${(app.address() as AddressInfo).port}`,
      stsEndpoint: aws.url,
      args: ["--redis-url", redis.url, "--skip-auth", "GET /public"],
      logName: `${suite}/gateway.log`,
    });
    proxy = await startProxyProcess(`${suite}/proxy.log`, aws.url, ["--bind", "127.0.0.1:0"]);
    const first = await signInThroughProxy();
    assert.deepEqual([first.status, first.body], [200, appLine], "signed in before any fault");
    session.store(first.headers);
  });
  after(async () => {
    await proxy?.service.stop();
    await gateway?.stop();
    await new Promise((resolve) => (app === undefined ? resolve(undefined) : app.close(resolve)));
    await redis?.close();
    await aws?.stop();
  });

  /** A new sign-in through the proxy (the client's stale cookie makes the gateway challenge). */
  const signInThroughProxy = (): Promise<HttpResult> =>
    httpRequest(`${gateway.url}/`, {
      proxy: proxy.url,
      headers: { accept: "text/plain", cookie: "iam-auth-session=expired" },
    });

  /** A proof presigned now for a fresh challenge of the gateway, with its nonce cookie, as the proxy makes it. */
  async function freshProof(): Promise<{ token: string; cookie: string }> {
    const challenge = await httpRequest(`${gateway.url}/`, { headers: { accept: "text/plain" } });
    const lookup = findIamChallenge([String(challenge.headers[WWW_AUTHENTICATE_HEADER])]);
    if (lookup.kind !== "iam") throw new Error(`no IAM challenge: ${challenge.status}`);
    const nonce = lookup.challenge.params.get("nonce");
    assert.ok(nonce !== undefined);
    const presignedUrl = await presignCallerIdentity({
      credentials: users.demo,
      endpoint: aws.url,
      region,
      serverId: new URL(gateway.url).host,
      nonce,
      signingDate: new Date(),
    });
    const cookie = (challenge.headers["set-cookie"] ?? []).map((line) => line.split(";", 1)[0]).join("; ");
    return { token: formatStsProof({ nonce, presignedUrl }), cookie };
  }

  const handOver = (proof: { token: string; cookie: string }): Promise<HttpResult> =>
    httpRequest(`${gateway.url}/auth?return_url=%2F&token=${encodeURIComponent(proof.token)}`, {
      headers: { cookie: proof.cookie, accept: "text/plain" },
    });

  async function assertSignInFailsClosed(): Promise<void> {
    const failedBefore = findAuditEvents(gateway.service.output(), {
      reason: "REPLAY_STORE_UNAVAILABLE",
    }).length;
    const answer = await signInThroughProxy();
    assert.deepEqual(
      [answer.status, answer.headers["iam-auth-proxy-error"], answer.body],
      [503, undefined, UNAVAILABLE],
      "the gateway's one line, relayed by the proxy",
    );
    assert.ok(!(answer.headers["set-cookie"] ?? []).some((line) => line.startsWith("iam-auth-session=")));
    await eventually("the gateway logged the failed sign-in", () =>
      Promise.resolve(
        findAuditEvents(gateway.service.output(), {
          action: "sign-in",
          outcome: "failed",
          reason: "REPLAY_STORE_UNAVAILABLE",
          status: 503,
        }).length > failedBefore,
      ),
    );
  }

  /** What needs no Redis answer goes on; the process is up; readiness says Redis is away. */
  async function assertOthersUnaffected(): Promise<void> {
    const viaProxySession = await httpRequest(`${gateway.url}/`, {
      proxy: proxy.url,
      headers: { accept: "text/plain" },
    });
    assert.deepEqual([viaProxySession.status, viaProxySession.body], [200, appLine], "the proxy's session");
    const ownCookie = await httpRequest(`${gateway.url}/`, {
      headers: { ...session.header(), accept: "text/plain" },
    });
    assert.deepEqual([ownCookie.status, ownCookie.body], [200, appLine], "a browser's session from before");
    const publicPath = await httpRequest(`${gateway.url}/public`);
    assert.deepEqual([publicPath.status, publicPath.body], [200, "app: undefined\n"], "a skip-auth path");
    assert.equal((await httpRequest(`${gateway.url}/healthz`)).status, 200);
    await eventually(
      "/readyz says Redis is away",
      async () => (await httpRequest(`${gateway.url}/readyz`)).status === 503,
    );
    assert.equal(gateway.service.process.exitCode, null, "the gateway is still running");
  }

  async function assertRecovered(): Promise<void> {
    await eventually("ready again", async () => (await httpRequest(`${gateway.url}/readyz`)).status === 200);
    await eventually(
      "a sign-in through the proxy works again",
      async () => (await signInThroughProxy()).status === 200,
    );
    assert.equal((await signInThroughProxy()).body, appLine);
    // One-time proofs are one-time again: a proof used once is refused the second time.
    const proof = await freshProof();
    const first = await handOver(proof);
    assert.equal(first.status, 302, `${first.status} ${first.body}`);
    const again = await handOver(proof);
    assert.deepEqual([again.status, again.body], [403, "The STS proof has already been used\n"]);
  }

  it("stopped (its port closed): new sign-ins 503 REPLAY_STORE_UNAVAILABLE, sessions and public paths go on; started again: all recovers", async () => {
    await redis.stop();
    try {
      await assertSignInFailsClosed();
      await assertOthersUnaffected();
    } finally {
      await redis.start();
    }
    await assertRecovered();
  });

  it("hung (SIGSTOP: commands never answered): new sign-ins 503 after the 1 s command timeout, sessions go on; resumed: all recovers, replays still refused", async () => {
    redis.pause();
    try {
      await assertSignInFailsClosed();
      await assertOthersUnaffected();
    } finally {
      redis.resume();
    }
    await assertRecovered();
  });
});
