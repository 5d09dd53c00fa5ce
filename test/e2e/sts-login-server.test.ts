import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { demoAccount } from "../../local-aws/demo-account.js";
import {
  findIamChallenge,
  formatStsProof,
  KMS_ENCRYPTION_CONTEXT_HEADER,
  KMS_KEY_ID_HEADER,
  WWW_AUTHENTICATE_HEADER,
} from "../../protocol/index.js";
import type { AwsCredentials } from "../../proxy/aws/credentials.js";
import { presignCallerIdentity } from "../../proxy/aws/sts-presign.js";
import { CookieJar, httpRequest, type HttpResult } from "../helpers/http-client.js";
import { awsEnvFor, startLocalAws, type LocalAws } from "../helpers/local-aws.js";
import { buildOriginalToken } from "../helpers/original-proxy.js";
import { startService, type RunningService } from "../helpers/service.js";
import { findAuditEvents } from "../helpers/audit-log.js";

/*
 * The STS method end to end: the local AWS and the example server run as real processes; the
 * test plays the client, presigning sts:GetCallerIdentity with the proxy's own presigner
 * (against the local AWS, another host or another time where a test needs it). Every refusal asserts what the local AWS saw: a proof that fails the
 * server's own checks must not reach STS at all.
 */

const { users, roles, keys, region, accountId } = demoAccount;
const suite = "sts-login-server-e2e";
const DEV_PATTERN = `arn:aws:iam::${accountId}:role/Dev*`;

interface Challenge {
  readonly realm: string;
  readonly params: ReadonlyMap<string, string>;
  readonly kmsKeyId: string | undefined;
  readonly kmsContext: string | undefined;
}

describe("sign-in with the STS method (real processes: local-aws and example servers)", () => {
  let localAws: LocalAws;
  /** STS only, AWS_ACCOUNT_ID set and no AWS credentials in its environment. */
  let stsOnly: RunningService;
  /** Both methods, with the example-server user's credentials for KMS. */
  let both: RunningService;
  /** STS only, ALLOWED_PRINCIPALS = the Dev* roles. */
  let devOnly: RunningService;
  let callsWhileStsOnlyStarted: Record<string, number>;
  const clients: { destroy(): void }[] = [];
  const salt = `e2e-${randomBytes(6).toString("hex")}`;

  /** An environment with no AWS credentials anywhere: no keys, no files, no instance metadata. */
  const credentialFreeEnv = (): Record<string, string> => ({
    AWS_ACCOUNT_ID: accountId,
    SECRET_KEY: randomBytes(32).toString("hex"),
    PORT: "0",
    IAM_AUTH_TEST_STS_ENDPOINT: localAws.url,
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    AWS_EC2_METADATA_DISABLED: "true",
  });

  before(async () => {
    localAws = await startLocalAws(suite);
    stsOnly = await startService({
      script: "example-server/main.js",
      env: credentialFreeEnv(),
      logName: `${suite}/example-server-sts-only.log`,
    });
    callsWhileStsOnlyStarted = await localAws.calls();
    devOnly = await startService({
      script: "example-server/main.js",
      env: { ...credentialFreeEnv(), ALLOWED_PRINCIPALS: DEV_PATTERN },
      logName: `${suite}/example-server-dev-only.log`,
    });
    both = await startService({
      script: "example-server/main.js",
      env: {
        ...awsEnvFor(localAws.url, users.exampleServer),
        KMS_KEY_ID: keys.demo.alias,
        KMS_SALT: salt,
        SECRET_KEY: randomBytes(32).toString("hex"),
        PORT: "0",
        IAM_AUTH_TEST_STS_ENDPOINT: localAws.url,
        // Its KMS test signs in with a token built as the original Go proxy builds it (unbound).
        IAM_AUTH_KMS_ACCEPT_UNBOUND: "true",
      },
      logName: `${suite}/example-server-both.log`,
    });
    await localAws.resetCalls();
  });
  after(async () => {
    for (const client of clients) client.destroy();
    await both?.stop();
    await devOnly?.stop();
    await stsOnly?.stop();
    await localAws?.stop();
  });

  const serverIdOf = (server: RunningService): string => new URL(server.url).host;
  const callCount = async (action: string): Promise<number> => (await localAws.calls())[action] ?? 0;

  /** The nonce cookie each challenge set, by nonce: what the browser that was challenged holds. */
  const nonceCookies = new Map<string, string>();

  async function readChallenge(server: RunningService): Promise<Challenge> {
    const response = await httpRequest(`${server.url}/`, { headers: { accept: "text/plain" } });
    assert.equal(response.status, 401);
    const lookup = findIamChallenge([String(response.headers[WWW_AUTHENTICATE_HEADER])]);
    assert.equal(lookup.kind, "iam");
    if (lookup.kind !== "iam") throw new Error("unreachable");
    const nonce = lookup.challenge.params.get("nonce");
    const jar = new CookieJar();
    jar.store(response.headers);
    if (nonce !== undefined) nonceCookies.set(nonce, jar.header().cookie ?? "");
    return {
      realm: lookup.challenge.realm,
      params: lookup.challenge.params,
      kmsKeyId: response.headers[KMS_KEY_ID_HEADER] as string | undefined,
      kmsContext: response.headers[KMS_ENCRYPTION_CONTEXT_HEADER] as string | undefined,
    };
  }

  async function readNonce(server: RunningService): Promise<string> {
    const nonce = (await readChallenge(server)).params.get("nonce");
    assert.ok(nonce !== undefined, "the challenge has a nonce");
    return nonce;
  }

  /**
   * A presigned GetCallerIdentity as the proxy makes it (host and the two binding headers
   * signed), by default for the local AWS, signed now.
   */
  async function presign(options: {
    readonly credentials: AwsCredentials;
    readonly serverId: string;
    readonly nonce: string;
    readonly signingDate?: Date;
    readonly origin?: string;
  }): Promise<string> {
    const url = await presignCallerIdentity({
      credentials: options.credentials,
      endpoint: options.origin ?? localAws.url,
      region,
      serverId: options.serverId,
      nonce: options.nonce,
      signingDate: options.signingDate ?? new Date(),
    });
    assert.equal(
      new URL(url).searchParams.get("X-Amz-SignedHeaders"),
      "host;x-iam-auth-nonce;x-iam-auth-server-id",
    );
    return url;
  }

  /** A proof for `server` from a fresh challenge, as `credentials`. */
  async function proofFor(
    server: RunningService,
    credentials: AwsCredentials = users.demo,
    change: (url: string) => string = (url) => url,
  ): Promise<string> {
    const nonce = await readNonce(server);
    const url = await presign({ credentials, serverId: serverIdOf(server), nonce });
    return formatStsProof({ nonce, presignedUrl: change(url) });
  }

  /** GET /auth as the browser that was challenged: with the nonce cookie of the token's nonce. */
  function signIn(server: RunningService, token: string, returnUrl = "/"): Promise<HttpResult> {
    const path = `/auth?return_url=${encodeURIComponent(returnUrl)}&token=${encodeURIComponent(token)}`;
    const nonce = /^sts1\.([^.]+)\./.exec(token)?.[1];
    const cookie = nonce === undefined ? undefined : nonceCookies.get(nonce);
    return httpRequest(`${server.url}${path}`, { headers: cookie === undefined ? {} : { cookie } });
  }

  /** Asserts a refusal: status, one-line message, no cookie, and how many GetCallerIdentity calls it cost. */
  async function assertRefused(
    server: RunningService,
    token: string,
    expected: { status: number; message: string; stsCalls: number; returnUrl?: string },
  ): Promise<void> {
    const before = await callCount("sts:GetCallerIdentity");
    const response = await signIn(server, token, expected.returnUrl);
    assert.equal(response.status, expected.status);
    assert.equal(response.body, `${expected.message}\n`);
    assert.equal(response.headers["set-cookie"], undefined, "no session cookie");
    assert.equal(
      (await callCount("sts:GetCallerIdentity")) - before,
      expected.stsCalls,
      "sts:GetCallerIdentity calls",
    );
  }

  describe("an STS-only server", () => {
    it("started with no AWS credentials and made no AWS call to start", () => {
      assert.deepEqual(callsWhileStsOnlyStarted, {});
      assert.match(stsOnly.output(), /"msg":"listening url=http:\/\/127\.0\.0\.1:\d+"/);
    });

    it("challenges with the realm first, methods, its server-id and a nonce, and no KMS headers", async () => {
      const response = await httpRequest(`${stsOnly.url}/`, { headers: { accept: "text/plain" } });
      assert.match(
        String(response.headers[WWW_AUTHENTICATE_HEADER]),
        new RegExp(
          `^IAM realm="${accountId}", methods="sts", server-id="${serverIdOf(stsOnly)}", nonce="[A-Za-z0-9_-]{76}"$`,
        ),
      );
      assert.equal(response.headers[KMS_KEY_ID_HEADER], undefined);
      assert.equal(response.headers[KMS_ENCRYPTION_CONTEXT_HEADER], undefined);
    });

    it("signs in with a presigned proof: 302 + cookie, whoami, then sign-out ends the session", async () => {
      const jar = new CookieJar();
      const before = await callCount("sts:GetCallerIdentity");
      const login = await signIn(stsOnly, await proofFor(stsOnly), "/check?from=e2e");
      assert.equal(login.status, 302);
      assert.equal(login.headers.location, "/check?from=e2e");
      assert.equal((await callCount("sts:GetCallerIdentity")) - before, 1);
      const [clearNonce, ...setCookies] = login.headers["set-cookie"] ?? [];
      // The challenge's nonce cookie is cleared, then the session's two cookies are set.
      assert.match(
        clearNonce ?? "",
        /^iam-auth-session-nonce-[\w-]{11}=; Path=\/auth; Expires=Thu, 01 Jan 1970 /,
      );
      assert.equal(setCookies.length, 2);
      for (const field of setCookies)
        assert.match(field, /; path=\/; expires=[^;]+; samesite=lax; httponly$/);
      jar.store(login.headers);

      const home = await httpRequest(`${stsOnly.url}/`, { headers: jar.header() });
      assert.equal(home.status, 200);
      assert.equal(home.body, `${users.demo.arn}\n`);

      const whoami = await httpRequest(`${stsOnly.url}/auth/whoami`, { headers: jar.header() });
      assert.equal(whoami.status, 200);
      assert.equal(whoami.headers["content-type"], "application/json; charset=utf-8");
      const body = JSON.parse(whoami.body) as Record<string, string>;
      assert.deepEqual(Object.keys(body), ["arn", "account", "userId", "issuedAt", "expiresAt"]);
      assert.equal(body.arn, users.demo.arn);
      assert.equal(body.account, accountId);
      assert.equal(body.userId, users.demo.userId);
      assert.equal(Date.parse(body.expiresAt ?? "") - Date.parse(body.issuedAt ?? ""), 3600_000);
      assert.ok(Math.abs(Date.parse(body.issuedAt ?? "") - Date.now()) < 60_000);
      assert.equal(
        findAuditEvents(stsOnly.output(), {
          action: "sign-in",
          outcome: "success",
          identity: users.demo.arn,
          method: "sts",
        }).length,
        1,
      );

      const signOut = await httpRequest(`${stsOnly.url}/auth/sign-out`, {
        method: "POST",
        headers: jar.header(),
      });
      assert.equal(signOut.status, 303);
      assert.equal(signOut.headers.location, "/");
      jar.store(signOut.headers);
      const after = await httpRequest(`${stsOnly.url}/auth/whoami`, {
        headers: { ...jar.header(), accept: "text/plain" },
      });
      assert.equal(after.status, 401);
      assert.match(
        String(after.headers[WWW_AUTHENTICATE_HEADER]),
        /^IAM realm="111122223333", methods="sts", /,
      );
    });

    it("refuses a second Action smuggled in (&action=AssumeRole): 403, STS never called", async () => {
      const token = await proofFor(stsOnly, users.demo, (url) => `${url}&action=AssumeRole`);
      await assertRefused(stsOnly, token, {
        status: 403,
        message: 'The STS proof is rejected: query parameter "action" is repeated',
        stsCalls: 0,
      });
    });

    it("refuses X-Amz-Expires=1e2 (Number() read it as 100): 403, no call at the local AWS", async () => {
      const token = await proofFor(stsOnly, users.demo, (url) =>
        url.replace(/X-Amz-Expires=60/, "X-Amz-Expires=1e2"),
      );
      const before = await localAws.calls();
      await assertRefused(stsOnly, token, {
        status: 403,
        message: "The STS proof is rejected: X-Amz-Expires must be 1..300 seconds",
        stsCalls: 0,
      });
      assert.deepEqual(await localAws.calls(), before);
    });

    it("refuses a second spelling of a good proof (a character appended): 403, no call at the local AWS", async () => {
      const token = `${await proofFor(stsOnly)}A`;
      const before = await localAws.calls();
      await assertRefused(stsOnly, token, {
        status: 403,
        message: "The STS proof is malformed: the URL is not canonical base64url",
        stsCalls: 0,
      });
      assert.deepEqual(await localAws.calls(), before);
    });

    it("refuses login CSRF: a proof made from the attacker's challenge, opened in a browser without its nonce cookie: 403, STS never called", async () => {
      const token = await proofFor(stsOnly);
      const before = await callCount("sts:GetCallerIdentity");
      // The person's browser, sent to /auth by another site's page: it never saw that challenge.
      const path = `/auth?return_url=%2F&token=${encodeURIComponent(token)}`;
      const response = await httpRequest(`${stsOnly.url}${path}`, { headers: { accept: "text/plain" } });
      assert.equal(response.status, 403);
      assert.equal(
        response.body,
        "The sign-in did not come from the browser that was challenged: its nonce cookie is missing\n",
      );
      assert.equal(response.headers["set-cookie"], undefined);
      assert.equal(await callCount("sts:GetCallerIdentity"), before);
      assert.equal(
        findAuditEvents(stsOnly.output(), { outcome: "refused", reason: "NONCE_COOKIE_MISSING", status: 403 })
          .length,
        1,
      );
    });

    it("refuses a proof for a host that is not STS: 403, nothing is sent there", async () => {
      const nonce = await readNonce(stsOnly);
      const url = await presign({
        credentials: users.demo,
        serverId: serverIdOf(stsOnly),
        nonce,
        origin: "https://sts.evil.example",
      });
      await assertRefused(stsOnly, formatStsProof({ nonce, presignedUrl: url }), {
        status: 403,
        message: 'The STS proof is rejected: "sts.evil.example" is not an AWS STS endpoint',
        stsCalls: 0,
      });
    });

    it("refuses a proof signed 10 minutes ago: 403, STS never called", async () => {
      const nonce = await readNonce(stsOnly);
      const url = await presign({
        credentials: users.demo,
        serverId: serverIdOf(stsOnly),
        nonce,
        signingDate: new Date(Date.now() - 600_000),
      });
      await assertRefused(stsOnly, formatStsProof({ nonce, presignedUrl: url }), {
        status: 403,
        message: "The STS proof is rejected: it was signed too long ago",
        stsCalls: 0,
      });
    });

    it("refuses a nonce it did not issue, correctly signed into the proof: 403, STS never called", async () => {
      const nonce = randomBytes(57).toString("base64url");
      const url = await presign({ credentials: users.demo, serverId: serverIdOf(stsOnly), nonce });
      await assertRefused(stsOnly, formatStsProof({ nonce, presignedUrl: url }), {
        status: 403,
        message: "The STS proof's nonce was not issued by this app",
        stsCalls: 0,
      });
    });

    it("refuses a nonce used before, even in a freshly signed proof: 403 once STS vouched for it, no session", async () => {
      const nonce = await readNonce(stsOnly);
      const first = await presign({ credentials: users.demo, serverId: serverIdOf(stsOnly), nonce });
      assert.equal((await signIn(stsOnly, formatStsProof({ nonce, presignedUrl: first }))).status, 302);
      const again = await presign({
        credentials: users.demo,
        serverId: serverIdOf(stsOnly),
        nonce,
        signingDate: new Date(Date.now() + 1000),
      });
      await assertRefused(stsOnly, formatStsProof({ nonce, presignedUrl: again }), {
        status: 403,
        message: "The STS proof has already been used",
        stsCalls: 1,
      });
    });

    it("refuses a proof signed for another server-id: AWS rejects the signature, 403, no session", async () => {
      const nonce = await readNonce(stsOnly);
      const url = await presign({ credentials: users.demo, serverId: "other-app.example:3000", nonce });
      await assertRefused(stsOnly, formatStsProof({ nonce, presignedUrl: url }), {
        status: 403,
        message: "AWS STS rejected the proof (SignatureDoesNotMatch)",
        stsCalls: 1,
      });
    });

    // Regression: the path rules were applied to the query too, so these got RETURN_URL_UNSAFE
    // where the original Flask server accepts them.
    for (const returnUrl of ["/?q=50%25off", "/?p=C%3A%5CUsers", "/?q=line1%0Aline2", "/?q=%09tab"]) {
      it(`accepts return_url ${JSON.stringify(returnUrl)} (query data): 302 back to it`, async () => {
        const login = await signIn(stsOnly, await proofFor(stsOnly), returnUrl);
        assert.equal(login.status, 302);
        assert.equal(login.headers.location, returnUrl);
      });
    }

    const hostileReturnUrls: [string, string][] = [
      ["//evil.example/", 'it starts with "//"'],
      ["/\\evil.example", "it contains a backslash"],
      ["https://evil.example/", 'it does not start with "/"'],
      ["/%2F%2Fevil.example", 'it starts with "//"'],
      ["/%5Cevil.example", "it contains a backslash"],
      ["/\t/evil.example", "it contains whitespace, control or non-ASCII characters"],
    ];
    for (const [returnUrl, why] of hostileReturnUrls) {
      it(`refuses return_url ${JSON.stringify(returnUrl)} with a valid proof: 403, STS never called`, async () => {
        await assertRefused(stsOnly, await proofFor(stsOnly), {
          status: 403,
          message: `return_url must be a path on this site: ${why}`,
          stsCalls: 0,
          returnUrl,
        });
      });
    }
  });

  describe("a server with both methods", () => {
    it("challenges with both methods and keeps the KMS headers for the original proxy", async () => {
      const challenge = await readChallenge(both);
      assert.equal(challenge.realm, accountId);
      assert.equal(challenge.params.get("methods"), "sts kms");
      assert.equal(challenge.params.get("server-id"), serverIdOf(both));
      assert.equal(challenge.kmsKeyId, keys.demo.arn);
      assert.equal(challenge.kmsContext, Buffer.from(JSON.stringify({ salt })).toString("base64"));
    });

    it("signs in with an STS proof", async () => {
      const response = await signIn(both, await proofFor(both));
      assert.equal(response.status, 302);
    });

    it("accepts a KMS token built as the Go proxy builds it once, and refuses its replay with no STS call and no session", async () => {
      const challenge = await readChallenge(both);
      const token = await buildOriginalToken({
        awsUrl: localAws.url,
        user: users.demo,
        keyId: challenge.kmsKeyId ?? "",
        encryptionContext: { salt },
      });

      assert.equal((await signIn(both, token)).status, 302);
      const decryptsBefore = await callCount("kms:Decrypt");
      await assertRefused(both, token, {
        status: 403,
        message: "The token has already been used",
        stsCalls: 0,
      });
      // The replay is recognised once decrypted (so junk cannot fill the replay store).
      assert.equal(await callCount("kms:Decrypt"), decryptsBefore + 1, "kms:Decrypt calls");
      assert.equal(
        findAuditEvents(both.output(), { outcome: "refused", reason: "TOKEN_REPLAYED", status: 403 }).length,
        1,
      );
    });
  });

  describe(`a server that allows only ${DEV_PATTERN}`, () => {
    it("signs in a Developer role session (AssumeRole) and keeps its full session ARN", async () => {
      const sts = new STSClient({ endpoint: localAws.url, region, credentials: users.demo, maxAttempts: 1 });
      clients.push(sts);
      const { Credentials: role, AssumedRoleUser: user } = await sts.send(
        new AssumeRoleCommand({ RoleArn: roles.developer.arn, RoleSessionName: "alice-e2e" }),
      );
      assert.ok(
        role?.AccessKeyId !== undefined &&
          role.SecretAccessKey !== undefined &&
          role.SessionToken !== undefined,
      );
      const credentials = {
        accessKeyId: role.AccessKeyId,
        secretAccessKey: role.SecretAccessKey,
        sessionToken: role.SessionToken,
      };
      const jar = new CookieJar();
      const login = await signIn(devOnly, await proofFor(devOnly, credentials));
      assert.equal(login.status, 302);
      jar.store(login.headers);
      const whoami = await httpRequest(`${devOnly.url}/auth/whoami`, { headers: jar.header() });
      const arn = `arn:aws:sts::${accountId}:assumed-role/Developer/alice-e2e`;
      assert.equal(user?.Arn, arn);
      assert.equal((JSON.parse(whoami.body) as { arn: string }).arn, arn);
    });

    it("refuses the demo user: 403 naming the identity, no session, no challenge loop", async () => {
      await assertRefused(devOnly, await proofFor(devOnly), {
        status: 403,
        message: `The identity ${users.demo.arn} is not allowed to use this app`,
        stsCalls: 1,
      });
      assert.equal(
        findAuditEvents(devOnly.output(), { outcome: "refused", reason: "NOT_ALLOWED", status: 403 }).length,
        1,
      );
    });
  });
});
