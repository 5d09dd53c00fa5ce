import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { demoAccount } from "../../local-aws/demo-account.js";
import {
  decodeEncryptionContext,
  findIamChallenge,
  KMS_ENCRYPTION_CONTEXT_HEADER,
  KMS_KEY_ID_HEADER,
  WWW_AUTHENTICATE_HEADER,
} from "../../protocol/index.js";
import { buildOriginalToken, originalAuthPath } from "../helpers/original-proxy.js";
import { startService, testLogsDir, type RunningService } from "../helpers/service.js";
import { findAuditEvents } from "../helpers/audit-log.js";

const { users, keys, region, accountId } = demoAccount;
const logDir = "example-server-e2e";

interface Challenge {
  readonly realm: string;
  readonly keyId: string;
  readonly context: Readonly<Record<string, string>>;
}

describe("example-server (real processes: local-aws and the example server)", () => {
  let localAws: RunningService;
  let server: RunningService;
  const salt = `e2e-${randomBytes(6).toString("hex")}`;

  before(async () => {
    localAws = await startService({
      script: "local-aws/main.js",
      // The audit (test/audit) greps every log for the secrets recorded here.
      args: ["--secrets-file", join(testLogsDir, logDir, "aws-secrets.json")],
      logName: `${logDir}/local-aws.log`,
    });
    server = await startService({
      script: "example-server/main.js",
      env: {
        AWS_ENDPOINT_URL: localAws.url,
        AWS_ACCESS_KEY_ID: users.exampleServer.accessKeyId,
        AWS_SECRET_ACCESS_KEY: users.exampleServer.secretAccessKey,
        AWS_DEFAULT_REGION: region,
        KMS_KEY_ID: keys.demo.alias,
        KMS_SALT: salt,
        SECRET_KEY: randomBytes(32).toString("hex"),
        // These tests sign in with tokens built as the original Go proxy builds them (unbound).
        IAM_AUTH_KMS_ACCEPT_UNBOUND: "true",
        PORT: "0",
      },
      logName: `${logDir}/example-server.log`,
    });
  });
  after(async () => {
    await server?.stop();
    await localAws?.stop();
  });

  async function readChallenge(path: string): Promise<Challenge> {
    const response = await fetch(`${server.url}${path}`, {
      headers: { accept: "text/plain" },
      redirect: "manual",
    });
    assert.equal(response.status, 401);
    const lookup = findIamChallenge([response.headers.get(WWW_AUTHENTICATE_HEADER) ?? ""]);
    assert.equal(lookup.kind, "iam");
    return {
      realm: lookup.kind === "iam" ? lookup.challenge.realm : "",
      keyId: response.headers.get(KMS_KEY_ID_HEADER) ?? "",
      context: decodeEncryptionContext(response.headers.get(KMS_ENCRYPTION_CONTEXT_HEADER) ?? ""),
    };
  }

  /** The /auth path exactly as the original Go proxy builds it, for the demo user. */
  async function buildAuthPath(
    challenge: Challenge,
    returnUrl: string,
    context: Readonly<Record<string, string>> = challenge.context,
  ): Promise<string> {
    const token = await buildOriginalToken({
      awsUrl: localAws.url,
      user: users.demo,
      keyId: challenge.keyId,
      encryptionContext: context,
    });
    return originalAuthPath(token, returnUrl);
  }

  it("challenges with the demo account, the key ARN (DescribeKey of alias/demo) and {salt: KMS_SALT}", async () => {
    const challenge = await readChallenge("/");
    assert.deepEqual(challenge, { realm: accountId, keyId: keys.demo.arn, context: { salt } });
  });

  it("answers /check with :( and 200 when not signed in", async () => {
    const response = await fetch(`${server.url}/check`);
    assert.equal(response.status, 200);
    assert.equal(await response.text(), ":(\n");
  });

  it("signs in with a token built like the Go proxy's: 302 + cookie, then / and /check answer the ARN", async () => {
    const challenge = await readChallenge("/");
    const login = await fetch(`${server.url}${await buildAuthPath(challenge, "/check?from=e2e")}`, {
      redirect: "manual",
    });
    assert.equal(login.status, 302);
    assert.equal(login.headers.get("location"), "/check?from=e2e");
    const setCookies = login.headers.getSetCookie();
    assert.equal(setCookies.length, 2);
    for (const field of setCookies) assert.match(field, /; samesite=lax; httponly$/);
    const cookie = setCookies.map((field) => field.split(";")[0]).join("; ");

    const home = await fetch(`${server.url}/`, { headers: { cookie } });
    assert.equal(home.status, 200);
    assert.equal(home.headers.get("content-type"), "text/plain; charset=utf-8");
    assert.equal(await home.text(), `${users.demo.arn}\n`);
    const check = await fetch(`${server.url}/check`, { headers: { cookie } });
    assert.equal(await check.text(), `${users.demo.arn}\n`);
    assert.equal(
      findAuditEvents(server.output(), { action: "sign-in", outcome: "success", identity: users.demo.arn })
        .length,
      1,
    );
  });

  it("refuses a token made with the wrong salt: 403, no session", async () => {
    const challenge = await readChallenge("/");
    const path = await buildAuthPath(challenge, "/", { salt: `${salt}-wrong` });
    const response = await fetch(`${server.url}${path}`, { redirect: "manual" });
    assert.equal(response.status, 403);
    assert.equal(
      await response.text(),
      "The token could not be decrypted: it was altered or made for another app (encryption context mismatch)\n",
    );
    assert.deepEqual(response.headers.getSetCookie(), []);
    assert.equal(
      findAuditEvents(server.output(), { outcome: "refused", reason: "TOKEN_UNREADABLE", status: 403 })
        .length,
      1,
    );
  });

  it("refuses a return_url to another site before any AWS call: 403", async () => {
    const challenge = await readChallenge("/");
    const path = await buildAuthPath(challenge, "//evil.example/");
    const response = await fetch(`${server.url}${path}`, { redirect: "manual" });
    assert.equal(response.status, 403);
    assert.equal(await response.text(), 'return_url must be a path on this site: it starts with "//"\n');
  });

  it("exits 0 on SIGTERM", async () => {
    await server.stop();
    assert.equal(server.process.exitCode, 0);
  });
});

describe("example-server without its environment", () => {
  it("exits 2 and says which variables to set", async () => {
    await assert.rejects(
      startService({
        script: "example-server/main.js",
        env: {},
        logName: `${logDir}/example-server-no-env.log`,
      }),
      (error: unknown) => {
        assert.ok(error instanceof Error);
        assert.match(error.message, /exited \(2\) before listening/);
        assert.match(
          error.message,
          /example-server: cannot start; set these environment variables:\n {2}- AWS_DEFAULT_REGION/,
        );
        assert.match(error.message, /\n {2}- SECRET_KEY: required/);
        return true;
      },
    );
  });

  it("with IAM_AUTH_METHODS=kms, exits 2 and asks for the KMS variables too, as the original did", async () => {
    await assert.rejects(
      startService({
        script: "example-server/main.js",
        env: { IAM_AUTH_METHODS: "kms" },
        logName: `${logDir}/example-server-no-env-kms.log`,
      }),
      (error: unknown) => {
        assert.ok(error instanceof Error);
        assert.match(error.message, /exited \(2\) before listening/);
        assert.match(error.message, /\n {2}- KMS_KEY_ID: required/);
        assert.match(error.message, /\n {2}- KMS_SALT: required/);
        return true;
      },
    );
  });
});
