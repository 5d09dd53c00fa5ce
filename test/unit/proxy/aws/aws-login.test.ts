import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import {
  createAwsLoginDependencies,
  createAwsSession,
  loginWithKms,
  type LoginDependencies,
  type LoginResult,
} from "../../../../proxy/index.js";
import {
  startFakeAwsEndpoint,
  stsCredentialsXml,
  stsError,
  stsResult,
  type FakeAwsEndpoint,
} from "../fake-aws-endpoint.js";
import { KEY_ARN, listenOnLoopback, REALM, SALT } from "../fakes.js";

// The real AWS SDK, pointed at a fake endpoint on loopback with AWS_ENDPOINT_URL: this checks the
// wiring (credential chain, region, AssumeRole, MFA, timeouts, error shapes) without reaching AWS.
const userArn = "arn:aws:iam::111122223333:user/demo";
const challenge = { realm: REALM, keyId: KEY_ARN, encryptionContext: { salt: SALT }, serverId: undefined };
/** One KMS login with a fresh session (nothing cached but the credentials the provider holds). */
const login = (deps: LoginDependencies): Promise<LoginResult> =>
  loginWithKms(challenge, createAwsSession(deps));
const identityXml = (arn: string): string =>
  `<Arn>${arn}</Arn><UserId>AIDATESTDEMOUSER0001</UserId><Account>${REALM}</Account>`;

const savedEnv = { ...process.env };
let endpoint: FakeAwsEndpoint;
let tempDir = "";

function setAwsEnvironment(env: Record<string, string>): void {
  for (const key of Object.keys(process.env)) if (key.startsWith("AWS_")) delete process.env[key];
  Object.assign(process.env, {
    AWS_CONFIG_FILE: join(tempDir, "config"),
    AWS_SHARED_CREDENTIALS_FILE: join(tempDir, "credentials"),
    AWS_EC2_METADATA_DISABLED: "true",
    ...env,
  });
}

function assertDenied(result: LoginResult, code: string, status: number, message: RegExp | string): void {
  assert.equal(result.outcome, "denied");
  if (result.outcome !== "denied") return;
  assert.equal(result.error.code, code);
  assert.equal(result.error.status, status);
  if (typeof message === "string") assert.equal(result.error.message, message);
  else assert.match(result.error.message, message);
}

describe("createAwsLoginDependencies with the real AWS SDK", () => {
  before(async () => {
    tempDir = mkdtempSync(join(tmpdir(), "iam-auth-proxy-aws-login-"));
    // Written once up front: the SDK caches the shared files for the life of the process.
    writeFileSync(join(tempDir, "config"), "[profile work]\nregion = ap-southeast-2\n");
    writeFileSync(
      join(tempDir, "credentials"),
      "[work]\naws_access_key_id = AKIATESTPROFILE00001\naws_secret_access_key = test-profile-secret-NOT-REAL\n",
    );
    endpoint = await startFakeAwsEndpoint();
  });
  after(async () => {
    process.env = savedEnv;
    await endpoint.close();
    rmSync(tempDir, { recursive: true, force: true });
  });
  beforeEach(() => {
    endpoint.calls.length = 0;
    endpoint.answers.clear();
    setAwsEnvironment({
      AWS_ENDPOINT_URL: endpoint.url,
      AWS_ACCESS_KEY_ID: "AKIATESTUSER00000001",
      AWS_SECRET_ACCESS_KEY: "test-user-secret-NOT-REAL-0001",
    });
    endpoint.answers.set("GetCallerIdentity", stsResult("GetCallerIdentity", identityXml(userArn)));
    endpoint.answers.set(
      "GetSessionToken",
      stsResult("GetSessionToken", stsCredentialsXml("ASIATESTSESSION00001")),
    );
    endpoint.answers.set("Encrypt", {
      status: 200,
      body: JSON.stringify({ CiphertextBlob: Buffer.from("ciphertext").toString("base64"), KeyId: KEY_ARN }),
    });
  });

  it("logs in: GetCallerIdentity, GetSessionToken(900), then KMS Encrypt in the key's own region", async () => {
    const result = await login(createAwsLoginDependencies({ region: "us-east-1" }));
    assert.deepEqual(result, {
      outcome: "token",
      token: Buffer.from("ciphertext").toString("base64"),
      identity: { account: REALM, arn: userArn, userId: "AIDATESTDEMOUSER0001" },
      source: { kind: "environment" },
    });
    assert.deepEqual(
      endpoint.calls.map((call) => [call.action, call.accessKeyId, call.region]),
      [
        ["GetCallerIdentity", "AKIATESTUSER00000001", "us-east-1"],
        ["GetSessionToken", "AKIATESTUSER00000001", "us-east-1"],
        ["Encrypt", "AKIATESTUSER00000001", "eu-west-1"],
      ],
    );
    assert.equal(endpoint.calls[1]?.params.DurationSeconds, "900");
    assert.equal(endpoint.calls[1]?.params.SerialNumber, undefined);
    const encrypt = endpoint.calls[2]?.params ?? {};
    assert.equal(encrypt.KeyId, KEY_ARN);
    assert.deepEqual(encrypt.EncryptionContext, { salt: SALT });
    const plaintext = JSON.parse(Buffer.from(String(encrypt.Plaintext), "base64").toString("utf8")) as Record<
      string,
      string
    >;
    assert.deepEqual(plaintext, {
      AccessKeyId: "ASIATESTSESSION00001",
      SecretAccessKey: "fake-secret-NOT-REAL",
      SessionToken: "fake-session-token-NOT-REAL",
      Expiration: "2030-01-02T03:04:05.000Z",
    });
  });

  it("sends --mfa-serial-number/--mfa-token-code with GetSessionToken when no role is assumed", async () => {
    const mfa = { serialNumber: "arn:aws:iam::111122223333:mfa/demo", tokenCode: "123456" };
    const result = await login(createAwsLoginDependencies({ region: "us-east-1", mfa }));
    assert.equal(result.outcome, "token");
    const getSessionToken = endpoint.calls.find((call) => call.action === "GetSessionToken");
    assert.equal(getSessionToken?.params.SerialNumber, mfa.serialNumber);
    assert.equal(getSessionToken?.params.TokenCode, mfa.tokenCode);
  });

  it("assumes the role (external id, session name, MFA) once, and signs everything with the role", async () => {
    const roleArn = "arn:aws:iam::111122223333:role/Developer";
    endpoint.answers.set("AssumeRole", stsResult("AssumeRole", stsCredentialsXml("ASIATESTROLE00000001")));
    const deps = createAwsLoginDependencies({
      region: "us-east-1",
      assumeRole: { roleArn, sessionName: "alice", externalId: "ext-0001" },
      mfa: { serialNumber: "arn:aws:iam::111122223333:mfa/demo", tokenCode: "654321" },
    });
    await deps.sts.getCallerIdentity();
    await deps.sts.getCallerIdentity();
    // Role credentials are session credentials: the KMS method refuses them rather than let AWS do it.
    assertDenied(
      await login(deps),
      "KMS_NEEDS_USER_CREDENTIALS",
      403,
      "The KMS method needs long-term IAM user credentials: AWS refuses GetSessionToken with role or SSO credentials. " +
        "Ask the app's operator to enable the STS method, or use --method sts",
    );

    const assumeRoles = endpoint.calls.filter((call) => call.action === "AssumeRole");
    assert.equal(
      assumeRoles.length,
      1,
      "the role's credentials are cached: an MFA code must not be sent twice",
    );
    assert.equal(assumeRoles[0]?.accessKeyId, "AKIATESTUSER00000001");
    assert.equal(assumeRoles[0]?.params.RoleArn, roleArn);
    assert.equal(assumeRoles[0]?.params.RoleSessionName, "alice");
    assert.equal(assumeRoles[0]?.params.ExternalId, "ext-0001");
    assert.equal(assumeRoles[0]?.params.SerialNumber, "arn:aws:iam::111122223333:mfa/demo");
    assert.equal(assumeRoles[0]?.params.TokenCode, "654321");
    const others = endpoint.calls.filter((call) => call.action !== "AssumeRole");
    assert.deepEqual(
      others.map((call) => [call.action, call.accessKeyId]),
      [
        ["GetCallerIdentity", "ASIATESTROLE00000001"],
        ["GetCallerIdentity", "ASIATESTROLE00000001"],
      ],
    );
  });

  describe("an MFA device without --mfa-token-code", () => {
    const serialNumber = "arn:aws:iam::111122223333:mfa/demo";

    it("asks readMfaCode for the code when GetSessionToken needs one, once per session", async () => {
      const asked: string[] = [];
      const deps = createAwsLoginDependencies({
        region: "us-east-1",
        mfa: { serialNumber },
        readMfaCode: (serial) => {
          asked.push(serial);
          return Promise.resolve("246810");
        },
      });
      const session = createAwsSession(deps);
      assert.equal((await loginWithKms(challenge, session)).outcome, "token");
      assert.equal((await loginWithKms(challenge, session)).outcome, "token");
      assert.deepEqual(asked, [serialNumber]);
      const getSessionTokens = endpoint.calls.filter((call) => call.action === "GetSessionToken");
      assert.equal(getSessionTokens.length, 1);
      assert.equal(getSessionTokens[0]?.params.SerialNumber, serialNumber);
      assert.equal(getSessionTokens[0]?.params.TokenCode, "246810");
    });

    it("asks readMfaCode for the code when assuming the role", async () => {
      endpoint.answers.set("AssumeRole", stsResult("AssumeRole", stsCredentialsXml("ASIATESTROLE00000002")));
      const deps = createAwsLoginDependencies({
        region: "us-east-1",
        assumeRole: { roleArn: "arn:aws:iam::111122223333:role/Developer", sessionName: "alice" },
        mfa: { serialNumber },
        readMfaCode: () => Promise.resolve("135790"),
      });
      await deps.resolveCredentials();
      const assumeRole = endpoint.calls.find((call) => call.action === "AssumeRole");
      assert.equal(assumeRole?.params.SerialNumber, serialNumber);
      assert.equal(assumeRole?.params.TokenCode, "135790");
    });

    it("without a terminal to ask, fails the challenge with 503 saying what to do, and calls nothing", async () => {
      const deps = createAwsLoginDependencies({ region: "us-east-1", mfa: { serialNumber } });
      assertDenied(
        await login(deps),
        "MFA_CODE_UNAVAILABLE",
        503,
        `An MFA code for ${serialNumber} is needed, but the proxy has no terminal to ask for it: ` +
          "run it in a terminal, or pass --mfa-token-code",
      );
      assert.equal(endpoint.calls.filter((call) => call.action === "GetSessionToken").length, 0);
    });

    it("without a terminal to ask, a role that needs MFA fails the same way", async () => {
      const deps = createAwsLoginDependencies({
        region: "us-east-1",
        assumeRole: { roleArn: "arn:aws:iam::111122223333:role/Developer", sessionName: "alice" },
        mfa: { serialNumber },
      });
      assertDenied(
        await login(deps),
        "MFA_CODE_UNAVAILABLE",
        503,
        /^An MFA code for .+ is needed, but the proxy has no terminal/,
      );
      assert.deepEqual(endpoint.calls, []);
    });
  });

  describe("stsProofTarget", () => {
    it("is the regional STS endpoint of the resolved region by default", async () => {
      const deps = createAwsLoginDependencies({ region: "eu-central-1" });
      assert.deepEqual(await deps.stsProofTarget(), {
        endpoint: "https://sts.eu-central-1.amazonaws.com",
        region: "eu-central-1",
      });
    });

    it("is the given STS endpoint (AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL in the CLI), signed for the region", async () => {
      const deps = createAwsLoginDependencies({ region: "us-east-1", stsEndpoint: `${endpoint.url}/` });
      assert.deepEqual(await deps.stsProofTarget(), { endpoint: endpoint.url, region: "us-east-1" });
      assert.deepEqual(endpoint.calls, [], "no AWS call");
    });

    it("rejects an endpoint with a path at construction", () => {
      assert.throws(() => createAwsLoginDependencies({ stsEndpoint: "https://sts.example.internal/sts" }), {
        name: "TypeError",
        message:
          'Invalid AWS login options: stsEndpoint must be an http(s) origin such as https://sts.example.internal (got "https://sts.example.internal/sts")',
      });
    });
  });

  it("uses the profile's credentials and region when no region is given", async () => {
    setAwsEnvironment({ AWS_ENDPOINT_URL: endpoint.url });
    const deps = createAwsLoginDependencies({ profile: "work" });
    await deps.sts.getCallerIdentity();
    assert.deepEqual(
      endpoint.calls.map((call) => [call.accessKeyId, call.region]),
      [["AKIATESTPROFILE00001", "ap-southeast-2"]],
    );
  });

  it("falls back to us-east-1 when nothing names a region", async () => {
    const deps = createAwsLoginDependencies({});
    await deps.sts.getCallerIdentity();
    assert.equal(endpoint.calls[0]?.region, "us-east-1");
  });

  it("maps an STS error answer to 403 with AWS's code and message", async () => {
    endpoint.answers.set(
      "GetSessionToken",
      stsError(403, "AccessDenied", "Cannot call GetSessionToken with session credentials"),
    );
    const result = await login(createAwsLoginDependencies({ region: "us-east-1" }));
    assertDenied(
      result,
      "AWS_REQUEST_FAILED",
      403,
      "AWS STS GetSessionToken failed: AccessDenied: Cannot call GetSessionToken with session credentials",
    );
  });

  it("maps a KMS error answer to 403", async () => {
    endpoint.answers.set("Encrypt", {
      status: 400,
      body: JSON.stringify({
        __type: "AccessDeniedException",
        message: "not authorized to perform: kms:Encrypt",
      }),
    });
    const result = await login(createAwsLoginDependencies({ region: "us-east-1" }));
    assertDenied(
      result,
      "AWS_REQUEST_FAILED",
      403,
      "AWS KMS Encrypt failed: AccessDeniedException: not authorized to perform: kms:Encrypt",
    );
  });

  // Issue 15's fault matrix: these were 403 AWS_REQUEST_FAILED, which tells the person to renew
  // credentials that were never at fault.
  it("maps an STS answer of 200 that is not STS's (an HTML page) to 502 AWS_UNAVAILABLE", async () => {
    endpoint.answers.set("GetSessionToken", { status: 200, body: "<html><body>Bad Gateway</body></html>" });
    const result = await login(createAwsLoginDependencies({ region: "us-east-1" }));
    assertDenied(result, "AWS_UNAVAILABLE", 502, /^AWS STS GetSessionToken failed: /);
  });

  it("maps a KMS answer of HTTP 503 to 502 AWS_UNAVAILABLE, and KMS throttling to 503 AWS_THROTTLED", async () => {
    endpoint.answers.set("Encrypt", {
      status: 503,
      body: JSON.stringify({ __type: "KMSInternalException", message: "internal error" }),
    });
    assertDenied(
      await login(createAwsLoginDependencies({ region: "us-east-1", timeoutMs: 1000 })),
      "AWS_UNAVAILABLE",
      502,
      "AWS KMS Encrypt failed (HTTP 503): KMSInternalException: internal error",
    );
    endpoint.answers.set("Encrypt", {
      status: 400,
      body: JSON.stringify({ __type: "ThrottlingException", message: "Rate exceeded" }),
    });
    assertDenied(
      await login(createAwsLoginDependencies({ region: "us-east-1" })),
      "AWS_THROTTLED",
      503,
      "AWS KMS Encrypt failed: ThrottlingException: Rate exceeded; try again shortly",
    );
  });

  it("maps a refused connection to 502 AWS_UNREACHABLE", async () => {
    const closed = net.createServer();
    const port = await listenOnLoopback(closed);
    await new Promise((resolve) => closed.close(resolve));
    process.env.AWS_ENDPOINT_URL = `http://127.0.0.1:${port}`;
    const result = await login(createAwsLoginDependencies({ region: "us-east-1" }));
    assertDenied(result, "AWS_UNREACHABLE", 502, /^AWS STS is unreachable: ECONNREFUSED \(/);
  });

  it("gives up on an endpoint that never answers after the timeout (502)", async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => {
      socket.on("error", () => undefined);
      sockets.add(socket);
    });
    const port = await listenOnLoopback(silent);
    process.env.AWS_ENDPOINT_URL = `http://127.0.0.1:${port}`;
    try {
      const started = Date.now();
      const result = await login(createAwsLoginDependencies({ region: "us-east-1", timeoutMs: 200 }));
      assertDenied(
        result,
        "AWS_UNREACHABLE",
        502,
        /^AWS STS is unreachable: ETIMEDOUT \(.*200 ms requestTimeout/,
      );
      assert.ok(Date.now() - started < 5000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it("answers 503 NO_CREDENTIALS when the chain finds nothing, and finds them once they appear", async () => {
    setAwsEnvironment({ AWS_ENDPOINT_URL: endpoint.url });
    const deps = createAwsLoginDependencies({ region: "us-east-1" });
    assertDenied(
      await login(deps),
      "NO_CREDENTIALS",
      503,
      /^No AWS credentials found in the environment \(AWS_ACCESS_KEY_ID\), .*Run `aws configure`/,
    );
    assert.equal(endpoint.calls.length, 0);

    process.env.AWS_ACCESS_KEY_ID = "AKIATESTLATER0000001";
    process.env.AWS_SECRET_ACCESS_KEY = "test-later-secret-NOT-REAL-0001";
    // A second after the failed lookup, the next challenge looks again.
    await new Promise((resolve) => setTimeout(resolve, 1050));
    assert.equal((await login(deps)).outcome, "token");
    assert.equal(endpoint.calls[0]?.accessKeyId, "AKIATESTLATER0000001");
  });
});
