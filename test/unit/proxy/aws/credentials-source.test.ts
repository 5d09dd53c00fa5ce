import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { demoAccount } from "../../../../local-aws/demo-account.js";
import { createAwsClientSettings } from "../../../../proxy/aws/aws-clients.js";
import {
  createCredentialProvider,
  describeSdkCredentialOrigin,
  type AssumeRoleOptions,
  type CredentialSource,
} from "../../../../proxy/aws/credentials.js";
import { ProxyError } from "../../../../proxy/common/errors.js";
import { startLocalAws, type LocalAws } from "../../../helpers/local-aws.js";
import { listenOnLoopback } from "../fakes.js";

/*
 * Where the credentials come from, told by the real AWS SDK chain from real sources: environment
 * variables, shared config and credentials files in a temporary directory, a credential_process
 * script, an SSO token cache with a loopback SSO portal, a loopback container endpoint and
 * instance metadata service, and the local AWS's STS for roles.
 */

const { users, roles, accountId, region } = demoAccount;
const clientSettings = createAwsClientSettings(2000);
const ssoStartUrl = "https://example.awsapps.com/start";
const farFuture = "2099-01-01T00:00:00Z";
const savedEnv = { ...process.env };
let dir = "";
let aws: LocalAws;
/** Loopback SSO portal, container credentials endpoint and instance metadata service in one. */
let metadata: http.Server;
let metadataUrl = "";
const metadataRequests: string[] = [];

function temporaryCredentials(prefix: string): Record<string, string> {
  return {
    AccessKeyId: `ASIA${prefix}0000000001`.slice(0, 20),
    SecretAccessKey: `${prefix}-secret-NOT-REAL`,
    Token: `${prefix}-token-NOT-REAL`,
    Expiration: farFuture,
  };
}

function answerMetadata(req: http.IncomingMessage, res: http.ServerResponse): void {
  const path = req.url ?? "";
  metadataRequests.push(`${req.method ?? ""} ${path.split("?")[0] ?? ""}`);
  const json = (body: unknown): void => {
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
  };
  if (path.startsWith("/federation/credentials")) {
    // SSO's GetRoleCredentials: the bearer token from the cache, the account and role from the profile.
    assert.equal(req.headers["x-amz-sso_bearer_token"], "sso-access-token-NOT-REAL");
    assert.ok(path.includes(`account_id=${accountId}`) && path.includes("role_name=Developer"), path);
    json({
      roleCredentials: {
        accessKeyId: "ASIASSO0000000000001",
        secretAccessKey: "sso-secret-NOT-REAL",
        sessionToken: "sso-token-NOT-REAL",
        expiration: Date.parse(farFuture),
      },
    });
  } else if (path === "/container/credentials") {
    json(temporaryCredentials("CONTAINER"));
  } else if (path === "/latest/api/token" && req.method === "PUT") {
    res.writeHead(200, { "x-aws-ec2-metadata-token-ttl-seconds": "21600" }).end("imds-token-NOT-REAL");
  } else if (path === "/latest/meta-data/iam/security-credentials/") {
    res.end("InstanceRole");
  } else if (path === "/latest/meta-data/iam/security-credentials/InstanceRole") {
    json({ Code: "Success", Type: "AWS-HMAC", LastUpdated: farFuture, ...temporaryCredentials("INSTANCE") });
  } else {
    res.writeHead(404).end();
  }
}

/** Only these AWS variables (and HOME) for the SDK, with the shared files in the temporary directory. */
function useEnvironment(env: Record<string, string>): void {
  for (const key of Object.keys(process.env)) if (key.startsWith("AWS_")) delete process.env[key];
  Object.assign(process.env, {
    HOME: join(dir, "home"),
    AWS_CONFIG_FILE: join(dir, "config"),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, "credentials"),
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_ENDPOINT_URL: aws.url,
    AWS_REGION: region,
    AWS_MAX_ATTEMPTS: "1",
    ...env,
  });
}

async function sourceOf(
  profile?: string,
  assumeRole?: AssumeRoleOptions,
): Promise<{ source: CredentialSource | undefined; accessKeyId: string }> {
  const provider = createCredentialProvider({
    profile,
    assumeRole,
    region: () => Promise.resolve(region),
    clientSettings,
  });
  const { source, accessKeyId } = await provider();
  return { source, accessKeyId };
}

describe("createCredentialProvider: where the credentials come from (the real SDK chain)", () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "iam-auth-proxy-credential-source-"));
    aws = await startLocalAws("credentials-source");
    metadata = http.createServer(answerMetadata);
    metadataUrl = `http://127.0.0.1:${await listenOnLoopback(metadata)}`;
    const script = join(dir, "credential-process.mjs");
    writeFileSync(
      script,
      `process.stdout.write(JSON.stringify({ Version: 1, AccessKeyId: "AKIAPROCESS000000001", SecretAccessKey: "process-secret-NOT-REAL" }));\n`,
    );
    chmodSync(script, 0o755);
    // Written once up front, for every test of this file.
    writeFileSync(
      join(dir, "config"),
      [
        "[profile keys]",
        `region = ${region}`,
        "[profile tool]",
        `credential_process = "${process.execPath}" "${script}"`,
        "[profile dev-role]",
        `role_arn = ${roles.developer.arn}`,
        "source_profile = demo",
        `region = ${region}`,
        "[profile sso-legacy]",
        `sso_start_url = ${ssoStartUrl}`,
        `sso_region = ${region}`,
        `sso_account_id = ${accountId}`,
        "sso_role_name = Developer",
        "[profile sso]",
        "sso_session = corp",
        `sso_account_id = ${accountId}`,
        "sso_role_name = Developer",
        "[sso-session corp]",
        `sso_start_url = ${ssoStartUrl}`,
        `sso_region = ${region}`,
        "",
      ].join("\n"),
    );
    writeFileSync(
      join(dir, "credentials"),
      [
        "[keys]",
        "aws_access_key_id = AKIATESTPROFILE00001",
        "aws_secret_access_key = test-profile-secret-NOT-REAL",
        "[demo]",
        `aws_access_key_id = ${users.demo.accessKeyId}`,
        `aws_secret_access_key = ${users.demo.secretAccessKey}`,
        "",
      ].join("\n"),
    );
    // What `aws sso login` leaves: the legacy profile's token under sha1(start URL), the session's under sha1(name).
    const cache = join(dir, "home", ".aws", "sso", "cache");
    mkdirSync(cache, { recursive: true });
    const token = JSON.stringify({
      accessToken: "sso-access-token-NOT-REAL",
      expiresAt: farFuture,
      startUrl: ssoStartUrl,
      region,
    });
    for (const id of [ssoStartUrl, "corp"]) {
      writeFileSync(join(cache, `${createHash("sha1").update(id).digest("hex")}.json`), token);
    }
  });
  after(async () => {
    process.env = savedEnv;
    metadata.close();
    await aws.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    metadataRequests.length = 0;
    // The SSO portal is reached at AWS_ENDPOINT_URL_SSO, STS at the local AWS.
    useEnvironment({ AWS_ENDPOINT_URL_SSO: metadataUrl });
  });

  it("environment variables", async () => {
    useEnvironment({ AWS_ACCESS_KEY_ID: users.demo.accessKeyId, AWS_SECRET_ACCESS_KEY: "x" });
    assert.deepEqual(await sourceOf(), {
      source: { kind: "environment" },
      accessKeyId: users.demo.accessKeyId,
    });
  });

  it("access keys of a profile named with --profile, or with AWS_PROFILE", async () => {
    assert.deepEqual(await sourceOf("keys"), {
      source: { kind: "profile", profile: "keys" },
      accessKeyId: "AKIATESTPROFILE00001",
    });
    useEnvironment({ AWS_PROFILE: "keys" });
    assert.deepEqual((await sourceOf()).source, { kind: "profile", profile: "keys" });
  });

  it("the profile's credential_process (the script runs)", async () => {
    assert.deepEqual(await sourceOf("tool"), {
      source: { kind: "process", profile: "tool" },
      accessKeyId: "AKIAPROCESS000000001",
    });
  });

  it("SSO: a profile with an sso-session, and a legacy one with sso_start_url", async () => {
    assert.deepEqual(await sourceOf("sso"), {
      source: { kind: "sso", profile: "sso" },
      accessKeyId: "ASIASSO0000000000001",
    });
    assert.deepEqual(await sourceOf("sso-legacy"), {
      source: { kind: "sso", profile: "sso-legacy" },
      accessKeyId: "ASIASSO0000000000001",
    });
    assert.deepEqual(metadataRequests, ["GET /federation/credentials", "GET /federation/credentials"]);
  });

  it("a role the profile assumes (role_arn, source_profile) with the local STS", async () => {
    const { source, accessKeyId } = await sourceOf("dev-role");
    assert.deepEqual(source, { kind: "profile-role", profile: "dev-role" });
    assert.match(accessKeyId, /^ASIA/);
  });

  it("--assume-role-arn: where the credentials that assumed it come from, and the role", async () => {
    useEnvironment({
      AWS_ACCESS_KEY_ID: users.demo.accessKeyId,
      AWS_SECRET_ACCESS_KEY: users.demo.secretAccessKey,
    });
    const assumeRole = { roleArn: roles.developer.arn, sessionName: "status-page" };
    const fromEnvironment = await sourceOf(undefined, assumeRole);
    assert.deepEqual(fromEnvironment.source, { kind: "environment", assumedRole: roles.developer.arn });
    assert.match(fromEnvironment.accessKeyId, /^ASIA/);
    useEnvironment({});
    assert.deepEqual((await sourceOf("demo", assumeRole)).source, {
      kind: "profile",
      profile: "demo",
      assumedRole: roles.developer.arn,
    });
  });

  it("the container credentials endpoint (ECS, EKS)", async () => {
    useEnvironment({ AWS_CONTAINER_CREDENTIALS_FULL_URI: `${metadataUrl}/container/credentials` });
    assert.deepEqual(await sourceOf(), {
      source: { kind: "container-role" },
      accessKeyId: "ASIACONTAINER0000000",
    });
  });

  it("the instance metadata service (EC2)", async () => {
    useEnvironment({ AWS_EC2_METADATA_DISABLED: "false", AWS_EC2_METADATA_SERVICE_ENDPOINT: metadataUrl });
    assert.deepEqual(await sourceOf(), {
      source: { kind: "instance-role" },
      accessKeyId: "ASIAINSTANCE00000000",
    });
    assert.ok(metadataRequests.includes("GET /latest/meta-data/iam/security-credentials/InstanceRole"));
  });

  it("no credentials: rejects with 503 NO_CREDENTIALS, the SDK's error as its cause", async () => {
    await assert.rejects(sourceOf(), (error: unknown) => {
      assert.ok(error instanceof ProxyError);
      assert.equal(error.code, "NO_CREDENTIALS");
      assert.equal((error.cause as Error).name, "CredentialsProviderError");
      return true;
    });
  });
});

describe("describeSdkCredentialOrigin", () => {
  beforeEach(() => {
    for (const key of Object.keys(process.env)) if (key.startsWith("AWS_")) delete process.env[key];
  });
  after(() => {
    process.env = savedEnv;
  });

  it("names the SDK's default profile when none was given: AWS_PROFILE, else default", () => {
    const fromProfile = { $source: { CREDENTIALS_PROFILE: "n" } };
    assert.deepEqual(describeSdkCredentialOrigin(fromProfile, undefined), {
      kind: "profile",
      profile: "default",
    });
    process.env.AWS_PROFILE = "work";
    assert.deepEqual(describeSdkCredentialOrigin(fromProfile, undefined), {
      kind: "profile",
      profile: "work",
    });
    assert.deepEqual(describeSdkCredentialOrigin(fromProfile, "given"), {
      kind: "profile",
      profile: "given",
    });
  });

  it("web identity (from the profile or the environment) and `aws login`, by the SDK's records", () => {
    assert.deepEqual(
      describeSdkCredentialOrigin({ $source: { CREDENTIALS_PROFILE_STS_WEB_ID_TOKEN: "q" } }, "ci"),
      { kind: "web-identity", profile: "ci" },
    );
    assert.deepEqual(
      describeSdkCredentialOrigin(
        { $source: { CREDENTIALS_STS_ASSUME_ROLE_WEB_ID: "k", CREDENTIALS_ENV_VARS_STS_WEB_ID_TOKEN: "h" } },
        undefined,
      ),
      { kind: "web-identity", profile: undefined },
    );
    assert.deepEqual(
      describeSdkCredentialOrigin(
        { $source: { CREDENTIALS_PROFILE_LOGIN: "AC", CREDENTIALS_LOGIN: "AD" } },
        "me",
      ),
      { kind: "console-login", profile: "me" },
    );
  });

  it("a record of a provider it does not know: unknown, not a guess", () => {
    assert.deepEqual(describeSdkCredentialOrigin({ $source: { CREDENTIALS_CODE: "e" } }, undefined), {
      kind: "unknown",
    });
  });

  it("no record: the metadata services, container when its variables are set", () => {
    assert.deepEqual(describeSdkCredentialOrigin({}, undefined), { kind: "instance-role" });
    process.env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI = "/v2/credentials/x";
    assert.deepEqual(describeSdkCredentialOrigin({}, undefined), { kind: "container-role" });
  });
});
