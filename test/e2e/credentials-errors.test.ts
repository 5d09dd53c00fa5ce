import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { demoAccount } from "../../local-aws/demo-account.js";
import { httpRequest } from "../helpers/http-client.js";
import { startLocalAws, type LocalAws } from "../helpers/local-aws.js";
import { waitForOutput } from "../helpers/proxy-process.js";
import { startService, type RunningService } from "../helpers/service.js";
import { startStsOnlyApp } from "../helpers/sts-only-app.js";

/*
 * Each credential problem a newcomer meets, through the real proxy process: what the client gets
 * (status, Iam-Auth-Proxy-Error, the one line) and what the proxy's log says — the cause and the
 * fix, never a secret. The shared files, a failing credential_process and an expired SSO token
 * cache live in a temporary HOME; the local AWS answers a wrong secret with SignatureDoesNotMatch.
 */

const suite = "credentials-errors";
const { users, accountId, region } = demoAccount;
const LOOK_AGAIN = "no restart needed, the proxy looks again within a second";
const WRONG_SECRET = "wrong-secret-NOT-REAL-credentials-errors";
const STDOUT_SECRET = "STDOUT-SECRET-NOT-REAL";

describe("credential errors name the cause and the fix, to the client and in the log (real processes)", () => {
  let aws: LocalAws;
  let app: RunningService;
  let dir = "";
  let home = "";
  let configPath = "";
  let credentialsPath = "";
  const services: RunningService[] = [];

  /** A proxy for `args` with the shared files in `dir`, once its start-up credential check is done. */
  async function startProxy(name: string, args: string[]): Promise<RunningService> {
    const proxy = await startService({
      script: "proxy/cli/main.js",
      args: ["--bind", "127.0.0.1:0", ...args],
      env: {
        HOME: home,
        AWS_CONFIG_FILE: configPath,
        AWS_SHARED_CREDENTIALS_FILE: credentialsPath,
        AWS_ENDPOINT_URL: aws.url,
        AWS_REGION: region,
        AWS_EC2_METADATA_DISABLED: "true",
        AWS_MAX_ATTEMPTS: "1",
      },
      logName: `${suite}/${name}.log`,
    });
    services.push(proxy);
    await waitForOutput(proxy, /\bcredentials (identity=|outcome=)/);
    return proxy;
  }

  /** A request to the app through `proxy` that must be refused with 503 NO_CREDENTIALS; its one line. */
  async function noCredentials(proxy: RunningService): Promise<string> {
    const response = await httpRequest(`${app.url}/`, { proxy: proxy.url });
    assert.equal(response.status, 503, response.body);
    assert.equal(response.headers["iam-auth-proxy-error"], "NO_CREDENTIALS");
    return response.body;
  }

  before(async () => {
    // A short name: the sign-in log line hides runs of 40 word characters as "[secret]".
    dir = mkdtempSync(join(tmpdir(), "cred-errors-"));
    home = join(dir, "home");
    configPath = join(dir, "config");
    credentialsPath = join(dir, "credentials");
    const script = join(dir, "credential-process.sh");
    writeFileSync(
      script,
      `#!/bin/sh\necho '${STDOUT_SECRET}'\necho 'token expired: run mytool login' >&2\necho 'more detail' >&2\nexit 3\n`,
    );
    chmodSync(script, 0o755);
    writeFileSync(
      configPath,
      [
        "[profile tool]",
        `credential_process = ${script}`,
        "[profile sso]",
        "sso_session = corp",
        `sso_account_id = ${accountId}`,
        "sso_role_name = Developer",
        "[sso-session corp]",
        "sso_start_url = https://example.awsapps.com/start",
        `sso_region = ${region}`,
        "",
      ].join("\n"),
    );
    writeFileSync(
      credentialsPath,
      `[wrong]\naws_access_key_id = ${users.demo.accessKeyId}\naws_secret_access_key = ${WRONG_SECRET}\n`,
    );
    // The token `aws sso login` cached for the sso-session "corp", expired.
    const cache = join(home, ".aws", "sso", "cache");
    mkdirSync(cache, { recursive: true });
    writeFileSync(
      join(cache, `${createHash("sha1").update("corp").digest("hex")}.json`),
      JSON.stringify({ accessToken: "sso-token-NOT-REAL", expiresAt: "2021-06-01T00:00:00Z", region }),
    );
    aws = await startLocalAws(suite);
    app = await startStsOnlyApp(suite, aws.url);
    services.push(app);
  });

  after(async () => {
    for (const service of services.reverse()) await service.stop();
    await aws?.stop();
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  });

  it("--profile nosuch: names the profile, both files, the profiles that exist, and aws configure", async () => {
    const proxy = await startProxy("proxy-nosuch", ["--profile", "nosuch"]);
    const expected =
      `No AWS credentials: profile "nosuch" is in neither ${configPath} nor ${credentialsPath}. ` +
      "Run `aws configure --profile nosuch` (or `aws configure sso --profile nosuch`), " +
      `or use one of the profiles there: sso, tool, wrong; ${LOOK_AGAIN}`;
    assert.equal(await noCredentials(proxy), `NO_CREDENTIALS: ${expected}\n`);
    assert.ok(proxy.output().includes(`credentials outcome=missing message=${JSON.stringify(expected)}`));
    assert.ok(proxy.output().includes(`code=NO_CREDENTIALS reason=${JSON.stringify(expected)}`));
  });

  it("a failing credential_process: its exit code and first stderr line, never its stdout", async () => {
    const proxy = await startProxy("proxy-process", ["--profile", "tool"]);
    const expected =
      `No AWS credentials: the credential_process of profile "tool" (in ${configPath}) exited with code 3: ` +
      `token expired: run mytool login. Fix what it reports, or run that command yourself to see more; ${LOOK_AGAIN}`;
    const body = await noCredentials(proxy);
    assert.equal(body, `NO_CREDENTIALS: ${expected}\n`);
    assert.ok(proxy.output().includes(`message=${JSON.stringify(expected)}`));
    assert.ok(!proxy.output().includes(STDOUT_SECRET) && !body.includes(STDOUT_SECRET));
  });

  it("an expired SSO session: when it expired, and aws sso login --profile", async () => {
    const proxy = await startProxy("proxy-sso", ["--profile", "sso"]);
    const expected =
      'No AWS credentials: the SSO session of profile "sso" expired at 2021-06-01T00:00:00.000Z. ' +
      `Run \`aws sso login --profile sso\`; ${LOOK_AGAIN}`;
    assert.equal(await noCredentials(proxy), `NO_CREDENTIALS: ${expected}\n`);
    assert.ok(proxy.output().includes(`message=${JSON.stringify(expected)}`));
    assert.ok(!proxy.output().includes("sso-token-NOT-REAL"));
  });

  it("a wrong secret key (SignatureDoesNotMatch from the app's STS): the person and the log are told to check it", async () => {
    const proxy = await startProxy("proxy-wrong-secret", ["--profile", "wrong"]);
    const response = await httpRequest(`${app.url}/`, { proxy: proxy.url });
    const advice =
      "AWS refused the key the proxy signed with: check the secret access key (aws_secret_access_key) " +
      'of profile "wrong" in the shared credentials file — `aws configure --profile wrong` sets it — ' +
      "and that this computer's clock is right, then restart the proxy (it keeps the credentials it found)";
    assert.equal(response.status, 403);
    assert.equal(response.body, `AWS STS rejected the proof (SignatureDoesNotMatch); ${advice}\n`);
    // The log's sign-in line says the same; the start-up check (the proxy's own GetCallerIdentity) too.
    const login = new RegExp(
      `\\blogin host=\\S+ identity=unknown method=sts outcome=denied status=403 reason=${escapeRegExp(
        JSON.stringify(
          `the app refused the sign-in (HTTP 403): AWS STS rejected the proof (SignatureDoesNotMatch); ${advice}`,
        ),
      )}`,
    );
    assert.match(proxy.output(), login);
    assert.match(
      proxy.output(),
      /credentials outcome=error code=AWS_REQUEST_FAILED reason="AWS STS GetCallerIdentity failed: SignatureDoesNotMatch: .*check the secret access key \(aws_secret_access_key\) of profile \\"wrong\\"/,
    );
    assert.ok(!proxy.output().includes(WRONG_SECRET), "the log holds the secret key");
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
