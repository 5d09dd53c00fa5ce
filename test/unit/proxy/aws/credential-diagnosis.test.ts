import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { createAwsClientSettings } from "../../../../proxy/aws/aws-clients.js";
import { createCredentialProvider } from "../../../../proxy/aws/credentials.js";
import { ProxyError } from "../../../../proxy/common/errors.js";

/*
 * Why no credentials were found, told through createCredentialProvider and the real SDK chain,
 * from real files in a temporary HOME: shared config and credentials files (named by
 * AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE), a credential_process script that fails, and
 * SSO token caches as `aws sso login` leaves them.
 */

const savedEnv = { ...process.env };
let dir = "";
let configPath = "";
let credentialsPath = "";
const LOOK_AGAIN = "no restart needed, the proxy looks again within a second";
const ssoStartUrl = "https://example.awsapps.com/start";

function useEnvironment(env: Record<string, string> = {}): void {
  for (const key of Object.keys(process.env)) if (key.startsWith("AWS_")) delete process.env[key];
  Object.assign(process.env, {
    HOME: join(dir, "home"),
    AWS_CONFIG_FILE: configPath,
    AWS_SHARED_CREDENTIALS_FILE: credentialsPath,
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_REGION: "eu-west-1",
    ...env,
  });
}

/** The NO_CREDENTIALS error createCredentialProvider rejects with for `profile`. */
async function failureFor(profile: string | undefined): Promise<ProxyError> {
  const provider = createCredentialProvider({
    profile,
    region: () => Promise.resolve("eu-west-1"),
    clientSettings: createAwsClientSettings(2000),
  });
  try {
    await provider();
  } catch (error) {
    assert.ok(error instanceof ProxyError, String(error));
    assert.equal(error.code, "NO_CREDENTIALS");
    assert.equal(error.status, 503);
    return error;
  }
  assert.fail(`credentials were found for ${String(profile)}`);
}

describe("createCredentialProvider: a failed lookup names the cause and the fix (real files, real SDK chain)", () => {
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "iam-auth-proxy-credential-diagnosis-"));
    configPath = join(dir, "aws-config");
    credentialsPath = join(dir, "aws-credentials");
    const script = join(dir, "credential-process.sh");
    // Its stdout holds a "secret" that must never be shown; its stderr says what is wrong.
    writeFileSync(
      script,
      "#!/bin/sh\necho 'STDOUT-SECRET-NOT-REAL'\necho 'token expired: run mytool login' >&2\necho 'more detail' >&2\nexit 3\n",
    );
    chmodSync(script, 0o755);
    writeFileSync(
      configPath,
      [
        "[default]",
        "region = eu-west-1",
        "[profile tool]",
        `credential_process = ${script}`,
        "[profile tool-junk]",
        "credential_process = /bin/echo not-json",
        "[profile sso]",
        "sso_session = corp",
        "sso_account_id = 111122223333",
        "sso_role_name = Developer",
        "[profile sso-never]",
        "sso_session = never",
        "sso_account_id = 111122223333",
        "sso_role_name = Developer",
        "[sso-session corp]",
        `sso_start_url = ${ssoStartUrl}`,
        "sso_region = eu-west-1",
        "[sso-session never]",
        "sso_start_url = https://other.awsapps.com/start",
        "sso_region = eu-west-1",
        "[profile empty]",
        "region = eu-west-1",
        "",
      ].join("\n"),
    );
    writeFileSync(
      credentialsPath,
      [
        "[work]",
        "aws_access_key_id = AKIAWORK000000000001",
        "aws_secret_access_key = work-secret-NOT-REAL",
        "",
      ].join("\n"),
    );
    // The expired token `aws sso login` left for the sso-session "corp" (under sha1 of its name).
    const cache = join(dir, "home", ".aws", "sso", "cache");
    mkdirSync(cache, { recursive: true });
    writeFileSync(
      join(cache, `${createHash("sha1").update("corp").digest("hex")}.json`),
      JSON.stringify({
        accessToken: "sso-access-token-NOT-REAL",
        expiresAt: "2020-01-01T00:00:00Z",
        startUrl: ssoStartUrl,
        region: "eu-west-1",
      }),
    );
  });
  after(() => {
    process.env = savedEnv;
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => useEnvironment());

  it("a profile that exists in neither file: names it, both files, the profiles there, and aws configure", async () => {
    const error = await failureFor("nosuch");
    assert.equal(
      error.message,
      `No AWS credentials: profile "nosuch" is in neither ${configPath} nor ${credentialsPath}. ` +
        "Run `aws configure --profile nosuch` (or `aws configure sso --profile nosuch`), " +
        `or use one of the profiles there: default, empty, sso, sso-never, tool, tool-junk, work; ${LOOK_AGAIN}`,
    );
  });

  it("a profile named by AWS_PROFILE says so", async () => {
    useEnvironment({ AWS_PROFILE: "nosuch" });
    assert.match(
      (await failureFor(undefined)).message,
      /^No AWS credentials: profile "nosuch" \(AWS_PROFILE\) is in neither /,
    );
  });

  it("a credential_process that fails: its exit code and the first line of its stderr, never its stdout", async () => {
    const error = await failureFor("tool");
    assert.equal(
      error.message,
      `No AWS credentials: the credential_process of profile "tool" (in ${configPath}) exited with code 3: ` +
        `token expired: run mytool login. Fix what it reports, or run that command yourself to see more; ${LOOK_AGAIN}`,
    );
    assert.doesNotMatch(error.message, /STDOUT-SECRET/);
  });

  it("a credential_process that succeeds but prints no usable credentials: what it must print", async () => {
    const error = await failureFor("tool-junk");
    assert.equal(
      error.message,
      `No AWS credentials: the credential_process of profile "tool-junk" (in ${configPath}) succeeded, but did not ` +
        'print usable credentials: JSON with "Version": 1, "AccessKeyId" and "SecretAccessKey" (and an "Expiration" ' +
        `in the future, if any). Run that command yourself to see what it prints; ${LOOK_AGAIN}`,
    );
    assert.doesNotMatch(error.message, /not-json/);
  });

  it("an SSO session whose cached token expired: when, and aws sso login --profile", async () => {
    const error = await failureFor("sso");
    assert.equal(
      error.message,
      'No AWS credentials: the SSO session of profile "sso" expired at 2020-01-01T00:00:00.000Z. ' +
        `Run \`aws sso login --profile sso\`; ${LOOK_AGAIN}`,
    );
  });

  it("an SSO profile never signed in (no cached token): aws sso login --profile", async () => {
    const error = await failureFor("sso-never");
    assert.equal(
      error.message,
      'No AWS credentials: profile "sso-never" signs in with SSO, and there is no SSO session. ' +
        `Run \`aws sso login --profile sso-never\`; ${LOOK_AGAIN}`,
    );
  });

  it("a profile with no credentials in it: aws configure --profile", async () => {
    const error = await failureFor("empty");
    assert.equal(
      error.message,
      `No AWS credentials: profile "empty" (in ${configPath} or ${credentialsPath}) has no credentials in it. ` +
        `Run \`aws configure --profile empty\` (access keys) or \`aws configure sso --profile empty\`; ${LOOK_AGAIN}`,
    );
  });

  it("nothing anywhere: where the chain looked, and aws configure", async () => {
    const missing = join(dir, "none");
    useEnvironment({
      AWS_CONFIG_FILE: `${missing}-config`,
      AWS_SHARED_CREDENTIALS_FILE: `${missing}-credentials`,
    });
    const error = await failureFor(undefined);
    assert.equal(
      error.message,
      `No AWS credentials found in the environment (AWS_ACCESS_KEY_ID), ${missing}-config, ${missing}-credentials ` +
        "or a container or instance role. Run `aws configure` (access keys) or `aws configure sso`, " +
        `or name a profile with --profile or AWS_PROFILE; ${LOOK_AGAIN}`,
    );
  });

  it("regression: a credentials file written after a failed lookup is used a second later, by the same provider", async () => {
    const later = join(dir, "later-credentials");
    useEnvironment({ AWS_CONFIG_FILE: join(dir, "later-config"), AWS_SHARED_CREDENTIALS_FILE: later });
    const provider = createCredentialProvider({
      profile: undefined,
      region: () => Promise.resolve("eu-west-1"),
      clientSettings: createAwsClientSettings(2000),
    });
    await assert.rejects(provider(), { code: "NO_CREDENTIALS" });
    writeFileSync(later, "[default]\naws_access_key_id = AKIALATER00000000001\naws_secret_access_key = x\n");
    // Within the second after a failure the answer is the same, without another lookup.
    await assert.rejects(provider(), { code: "NO_CREDENTIALS" });
    await new Promise((resolve) => setTimeout(resolve, 1050));
    const found = await provider();
    assert.equal(found.accessKeyId, "AKIALATER00000000001");
    assert.deepEqual(found.source, { kind: "profile", profile: "default" });
  });
});
