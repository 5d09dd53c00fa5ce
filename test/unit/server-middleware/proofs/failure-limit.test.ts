import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { MemoryReplayStore } from "../../../../server-middleware/index.js";
import { ACCOUNT_ID, ALICE_ARN } from "../fake-aws.js";
import {
  ALICE_USER_ID,
  errorResponse,
  identityResponse,
  presignedUrl,
  stsToken,
} from "../fake-sts-endpoint.js";
import { authPath, readNonce, send, startTestApp, type TestApp } from "../test-app.js";

const limited = /^Too many failed sign-ins from this address; try again in (\d+) seconds\n$/;

describe("failedSignInLimit", () => {
  let app: TestApp | undefined;
  afterEach(() => app?.close());

  const start = async (options: Parameters<typeof startTestApp>[0]): Promise<TestApp> => {
    app = await startTestApp({ methods: ["sts"], ...options });
    return app;
  };
  const junk = async (target: TestApp, headers: Record<string, string> = {}) => {
    target.stsEndpoint.respond = () => errorResponse(403, "InvalidClientTokenId");
    const token = stsToken(await readNonce(target), presignedUrl(target.clock.now));
    return send(target.url, authPath(token), { headers });
  };
  const good = async (target: TestApp) => {
    target.stsEndpoint.respond = () =>
      identityResponse({ Arn: ALICE_ARN, Account: ACCOUNT_ID, UserId: ALICE_USER_ID });
    const token = stsToken(await readNonce(target), presignedUrl(target.clock.now));
    return send(target.url, authPath(token));
  };

  describe("when an address has used up its failures", () => {
    it("answers 429 with Retry-After and one line, without calling STS, and logs it", async () => {
      const target = await start({ options: { failedSignInLimit: { maxFailures: 3, windowSeconds: 60 } } });
      for (let i = 0; i < 3; i++) assert.equal((await junk(target)).status, 403);
      assert.equal(target.stsEndpoint.requests.length, 3);
      const refused = await junk(target);
      assert.equal(refused.status, 429);
      assert.equal(refused.headers["content-type"], "text/plain; charset=utf-8");
      const seconds = Number(limited.exec(refused.body)?.[1]);
      assert.ok(seconds >= 1 && seconds <= 60, refused.body);
      assert.equal(refused.headers["retry-after"], String(seconds));
      assert.deepEqual(refused.setCookies, []);
      assert.equal(target.stsEndpoint.requests.length, 3, "the 429 cost no STS call");
      assert.match(
        target.lines.at(-1) ?? "",
        / audit action=sign-in outcome=refused reason=SIGN_IN_RATE_LIMITED status=429 remote=\S+ requestId=ID message="Too many failed sign-ins/,
      );
      // A good proof from that address waits too: the limit is per address, not per proof.
      assert.equal((await good(target)).status, 429);
    });
  });

  describe("when sign-ins succeed", () => {
    it("does not count them", async () => {
      const target = await start({ options: { failedSignInLimit: { maxFailures: 2, windowSeconds: 60 } } });
      for (let i = 0; i < 5; i++) assert.equal((await good(target)).status, 302);
      assert.equal((await junk(target)).status, 403);
      assert.equal((await junk(target)).status, 403);
      assert.equal((await junk(target)).status, 429);
    });
  });

  describe("when junk arrives in parallel", () => {
    it("still lets at most maxFailures through to STS", async () => {
      const target = await start({ options: { failedSignInLimit: { maxFailures: 5, windowSeconds: 60 } } });
      target.stsEndpoint.respond = () => errorResponse(403, "InvalidClientTokenId");
      const nonce = await readNonce(target);
      const token = stsToken(nonce, presignedUrl(target.clock.now));
      const results = await Promise.all(Array.from({ length: 40 }, () => send(target.url, authPath(token))));
      assert.equal(results.filter((result) => result.status === 403).length, 5);
      assert.equal(results.filter((result) => result.status === 429).length, 35);
      assert.equal(target.stsEndpoint.requests.length, 5);
    });
  });

  describe("when this server, not the client, failed (5xx)", () => {
    it("does not count it against the address", async () => {
      const target = await start({ options: { failedSignInLimit: { maxFailures: 2, windowSeconds: 60 } } });
      for (let i = 0; i < 5; i++) {
        target.stsEndpoint.respond = () => new Response("oops", { status: 500 });
        const token = stsToken(await readNonce(target), presignedUrl(target.clock.now));
        assert.equal((await send(target.url, authPath(token))).status, 502);
      }
      assert.equal((await junk(target)).status, 403);
    });
  });

  describe("when junk KMS tokens keep coming", () => {
    it("stops calling kms:Decrypt once the address used up its failures", async () => {
      const target = await start({
        methods: ["kms"],
        options: { failedSignInLimit: { maxFailures: 3, windowSeconds: 60 } },
      });
      const statuses: number[] = [];
      for (let i = 0; i < 10; i++) {
        // Valid base64 that no KMS key encrypted, in the bound form (an unbound one costs no call at all).
        const token = `kms1.${Buffer.from(`junk ciphertext ${i}`).toString("base64")}`;
        statuses.push((await send(target.url, authPath(token))).status);
      }
      assert.deepEqual(statuses, [403, 403, 403, 429, 429, 429, 429, 429, 429, 429]);
      assert.equal(target.kms.decryptCalls.length, 3);
    });
  });

  describe("when unbound junk KMS tokens keep coming", () => {
    it("never calls kms:Decrypt (KMS_TOKEN_UNBOUND is decided from the token's form) and still counts them", async () => {
      const target = await start({
        methods: ["kms"],
        options: { failedSignInLimit: { maxFailures: 3, windowSeconds: 60 } },
      });
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const token = Buffer.from(`junk ciphertext ${i}`).toString("base64");
        statuses.push((await send(target.url, authPath(token))).status);
      }
      assert.deepEqual(statuses, [403, 403, 403, 429, 429]);
      assert.equal(target.kms.decryptCalls.length, 0);
    });
  });

  describe("when the app trusts its proxy (trust proxy)", () => {
    it("counts per client address from X-Forwarded-For, so one client does not lock out another", async () => {
      const target = await start({
        trustProxy: "loopback",
        options: { failedSignInLimit: { maxFailures: 1, windowSeconds: 60 } },
      });
      const mallory = { "x-forwarded-for": "203.0.113.7" };
      assert.equal((await junk(target, mallory)).status, 403);
      assert.equal((await junk(target, mallory)).status, 429);
      assert.equal((await junk(target, { "x-forwarded-for": "198.51.100.2" })).status, 403);
    });
  });

  describe("when the limit is off and junk keeps coming", () => {
    it("junk never takes room in the replay store (regression: 100,000 junk proofs filled it)", async () => {
      const store = new MemoryReplayStore({ maxEntries: 10 });
      const target = await start({ options: { failedSignInLimit: false, replayStore: store } });
      for (let i = 0; i < 30; i++) assert.equal((await junk(target)).status, 403);
      assert.equal(store.size, 0);
      assert.equal((await good(target)).status, 302);
      assert.equal(store.size, 1);
    });
  });

  describe("when false", () => {
    it("never answers 429", async () => {
      const target = await start({ options: { failedSignInLimit: false } });
      for (let i = 0; i < 30; i++) assert.equal((await junk(target)).status, 403);
    });
  });
});
