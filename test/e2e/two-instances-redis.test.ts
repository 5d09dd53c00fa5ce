import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { demoAccount } from "../../local-aws/demo-account.js";
import { findIamChallenge, formatStsProof, WWW_AUTHENTICATE_HEADER } from "../../protocol/index.js";
import { presignCallerIdentity } from "../../proxy/aws/sts-presign.js";
import { httpRequest, type HttpResult } from "../helpers/http-client.js";
import { startLocalAws, type LocalAws } from "../helpers/local-aws.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { startService, type RunningService } from "../helpers/service.js";

/*
 * Issue 13: two instances of one app behind one name share a real redis-server. A proof used at
 * one is refused at the other; signing out at one ends the session at both; with Redis stopped,
 * new sign-ins get 503 REPLAY_STORE_UNAVAILABLE while signed-in requests keep working (and the
 * gateway's /readyz says so); with Redis started again on the same port, everything works again
 * without restarting either instance. Run for two gateway processes and for two example servers.
 */

const { users, region, accountId } = demoAccount;
/** The one name both instances are reached by (a load balancer's): proofs are bound to it. */
const SERVER_ID = "app.internal.test";
const REPLAYED = "The STS proof has already been used\n";
const UNAVAILABLE = "The replay store failed; try again later\n";

interface Kind {
  readonly name: string;
  readonly hasReadiness: boolean;
  start(context: {
    suite: string;
    aws: LocalAws;
    redis: TestRedis;
    secret: string;
    index: number;
  }): Promise<RunningService>;
}

let upstream: Server | undefined;
let upstreamUrl = "";
let secretDir: string | undefined;

const kinds: Kind[] = [
  {
    name: "two iam-auth-gateway processes",
    hasReadiness: true,
    async start({ suite, aws, redis, secret, index }) {
      secretDir ??= mkdtempSync(join(tmpdir(), "iam-auth-two-instances-"));
      const secretFile = join(secretDir, "session-secret");
      writeFileSync(secretFile, secret, { mode: 0o600 });
      if (upstream === undefined) {
        // The app behind the gateways: says whom the gateway said was calling.
        upstream = createServer((req, res) => res.end(`app: ${String(req.headers["x-forwarded-user"])}\n`));
        await new Promise<void>((resolve) => upstream?.listen(0, "127.0.0.1", resolve));
        upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
      }
      return startService({
        script: "gateway/cli/main.js",
        args: [
          "--bind",
          "127.0.0.1:0",
          "--upstream",
          upstreamUrl,
          "--account",
          accountId,
          "--session-secret-file",
          secretFile,
          "--server-id",
          SERVER_ID,
          "--test-sts-endpoint",
          aws.url,
        ],
        // The variable, not the flag, for one of them: both ways must work.
        env: { IAM_AUTH_GATEWAY_REDIS_URL: redis.url },
        logName: `${suite}/gateway-${index}.log`,
      });
    },
  },
  {
    name: "two example servers",
    hasReadiness: false,
    start({ suite, aws, redis, secret, index }) {
      return startService({
        script: "example-server/main.js",
        env: {
          AWS_ACCOUNT_ID: accountId,
          SECRET_KEY: secret,
          PORT: "0",
          IAM_AUTH_SERVER_ID: SERVER_ID,
          IAM_AUTH_TEST_STS_ENDPOINT: aws.url,
          REDIS_URL: redis.url,
          AWS_CONFIG_FILE: "/dev/null",
          AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
          AWS_EC2_METADATA_DISABLED: "true",
        },
        logName: `${suite}/example-server-${index}.log`,
      });
    },
  },
];

after(async () => {
  await new Promise((resolve) => (upstream === undefined ? resolve(undefined) : upstream.close(resolve)));
  if (secretDir !== undefined) rmSync(secretDir, { recursive: true, force: true });
});

/** Polls until `condition` holds, failing with `what` after the deadline. */
async function eventually(
  what: string,
  condition: () => Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The session cookies (`name=value; name.sig=value`) a response sets. */
function sessionCookieOf(response: HttpResult): string {
  const pairs = (response.headers["set-cookie"] ?? [])
    .map((line) => line.split(";", 1)[0] ?? "")
    .filter((pair) => /^iam-auth-session(\.sig)?=./.test(pair));
  assert.equal(
    pairs.length,
    2,
    `a session cookie and its signature: ${JSON.stringify(response.headers["set-cookie"])}`,
  );
  return pairs.join("; ");
}

for (const kind of kinds) {
  describe(`${kind.name} sharing one real redis-server`, () => {
    const suite = `two-instances-redis/${kind.name.replace(/\W+/g, "-")}`;
    let aws: LocalAws;
    let redis: TestRedis;
    let a: RunningService;
    let b: RunningService;

    before(async () => {
      aws = await startLocalAws(suite);
      redis = await startRedis(suite);
      const secret = randomBytes(32).toString("hex");
      // One after the other: the first gateway also starts the app behind both.
      a = await kind.start({ suite, aws, redis, secret, index: 1 });
      b = await kind.start({ suite, aws, redis, secret, index: 2 });
    });
    after(async () => {
      await Promise.all([a?.stop(), b?.stop()]);
      await redis?.close();
      await aws?.stop();
    });

    /** A challenge from `instance`, and a proof for it presigned now (as the proxy makes it), with the nonce cookie. */
    async function freshProof(instance: RunningService): Promise<{ token: string; nonceCookie: string }> {
      const challenge = await httpRequest(`${instance.url}/`, { headers: { accept: "text/plain" } });
      assert.equal(challenge.status, 401);
      const lookup = findIamChallenge([String(challenge.headers[WWW_AUTHENTICATE_HEADER])]);
      if (lookup.kind !== "iam") throw new Error("no IAM challenge");
      const nonce = lookup.challenge.params.get("nonce");
      assert.ok(nonce !== undefined);
      const presignedUrl = await presignCallerIdentity({
        credentials: users.demo,
        endpoint: aws.url,
        region,
        serverId: SERVER_ID,
        nonce,
        signingDate: new Date(),
      });
      const nonceCookie = (challenge.headers["set-cookie"] ?? [])
        .map((line) => line.split(";", 1)[0])
        .join("; ");
      return { token: formatStsProof({ nonce, presignedUrl }), nonceCookie };
    }

    function handOver(
      instance: RunningService,
      proof: { token: string; nonceCookie: string },
    ): Promise<HttpResult> {
      return httpRequest(`${instance.url}/auth?return_url=%2F&token=${encodeURIComponent(proof.token)}`, {
        headers: { cookie: proof.nonceCookie },
      });
    }

    async function signIn(instance: RunningService): Promise<string> {
      const response = await handOver(instance, await freshProof(instance));
      assert.equal(response.status, 302, `sign-in: ${response.status} ${response.body}`);
      return sessionCookieOf(response);
    }

    const home = (instance: RunningService, cookie: string): Promise<HttpResult> =>
      httpRequest(`${instance.url}/`, { headers: { cookie, accept: "text/plain" } });
    const signOut = (instance: RunningService, cookie: string): Promise<HttpResult> =>
      httpRequest(`${instance.url}/auth/sign-out`, { method: "POST", headers: { cookie } });
    const expectedHome = kind.hasReadiness ? `app: ${users.demo.arn}\n` : `${users.demo.arn}\n`;

    it("a proof used at one instance is refused at the other (and again at the first)", async () => {
      const proof = await freshProof(a);
      const first = await handOver(a, proof);
      assert.equal(first.status, 302, first.body);
      const cookie = sessionCookieOf(first);
      const atB = await handOver(b, proof);
      assert.deepEqual([atB.status, atB.body, atB.headers["set-cookie"]], [403, REPLAYED, undefined]);
      const againAtA = await handOver(a, proof);
      assert.deepEqual([againAtA.status, againAtA.body], [403, REPLAYED]);
      // The session itself is good at both: same secret, same name.
      for (const instance of [a, b]) assert.equal((await home(instance, cookie)).body, expectedHome);
    });

    it("signing out at one instance ends the session at both: the same cookie then gets the challenge", async () => {
      const cookie = await signIn(a);
      // Both have seen (and cached) the session before it is signed out.
      for (const instance of [a, b]) assert.equal((await home(instance, cookie)).status, 200);
      const out = await signOut(b, cookie);
      assert.equal(out.status, 303);
      assert.equal((await home(b, cookie)).status, 401, "at once where it signed out");
      // At the other, once its "not revoked" answer (kept at most 1 s) has lapsed.
      await eventually(
        "the other instance refuses the signed-out cookie",
        async () => (await home(a, cookie)).status === 401,
        5000,
      );
      const challenged = await home(a, cookie);
      assert.match(String(challenged.headers[WWW_AUTHENTICATE_HEADER]), /^IAM realm="\d{12}"/);
    });

    it("with Redis stopped: new sign-ins get 503, signed-in requests keep working, readiness says so; started again: all recovers", async () => {
      const cookie = await signIn(a);
      const proofBeforeOutage = await freshProof(a);
      await redis.stop();

      const refused = await handOver(a, await freshProof(a));
      assert.deepEqual(
        [
          refused.status,
          refused.body,
          refused.headers["set-cookie"]?.some((line) => line.startsWith("iam-auth-session=")),
        ],
        [503, UNAVAILABLE, undefined],
      );
      assert.equal((await handOver(b, proofBeforeOutage)).status, 503, "a proof made before the outage too");

      // Signed-in requests go on at both, also once their revocation check really asks the
      // stopped Redis (logged once as revocation-unchecked).
      await eventually("instance A asked the stopped Redis about the session", async () => {
        for (const instance of [a, b]) assert.equal((await home(instance, cookie)).body, expectedHome);
        // Text or JSON log line, whichever format the instance writes.
        return /outcome=revocation-unchecked|"outcome":"revocation-unchecked"/.test(a.output());
      });
      if (kind.hasReadiness) {
        const ready = await httpRequest(`${a.url}/readyz`);
        assert.deepEqual(
          [ready.status, ready.body],
          [503, "not ready: replay store unavailable, session revocation store unavailable\n"],
        );
      }

      await redis.start();
      if (kind.hasReadiness) {
        for (const instance of [a, b]) {
          await eventually(
            "ready again",
            async () => (await httpRequest(`${instance.url}/readyz`)).status === 200,
          );
          assert.equal((await httpRequest(`${instance.url}/readyz`)).body, "ready\n");
        }
      }
      // Sign-ins work again at both, without a restart (the first attempts may still find the connection down).
      let proof = await freshProof(a);
      await eventually("a sign-in succeeds again", async () => {
        const response = await handOver(a, proof);
        if (response.status === 503) {
          proof = await freshProof(a);
          return false;
        }
        assert.equal(response.status, 302, response.body);
        return true;
      });
      await eventually("B reaches Redis again", async () => {
        const response = await handOver(b, proof);
        if (response.status === 503) return false;
        assert.deepEqual(
          [response.status, response.body],
          [403, REPLAYED],
          "and the replay is refused across again",
        );
        return true;
      });
      // Sign-out is shared again: the session from before the outage, signed out at A, ends at B.
      assert.equal((await signOut(a, cookie)).status, 303);
      await eventually(
        "B refuses the session signed out at A",
        async () => (await home(b, cookie)).status === 401,
        5000,
      );
      assert.equal((await home(b, await signIn(b))).body, expectedHome, "new sessions work at both");
    });
  });
}
