import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
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
 * Regression for issue 12 ("credentials that appear after start are never used"): the proxy
 * starts with an empty HOME and no AWS credentials anywhere, answers 503 NO_CREDENTIALS, then
 * `~/.aws/credentials` is written (as `aws configure` would) and the next request signs in
 * within about two seconds, without a restart. The AWS SDK caches the shared files (and their
 * absence) for the life of the process; the proxy looks again from scratch a second after a
 * failed lookup. Real processes: the local AWS, an STS-only example server, the proxy.
 */

const suite = "credentials-late";
const { users, region } = demoAccount;

/** The status page as a reader sees it: tags dropped, spaces collapsed, quotes decoded. */
const textOf = (page: string): string =>
  page
    .replace(/<style>.*?<\/style>/s, "")
    .replace(/<[^>]+>/g, " ")
    .replace(/\s+/g, " ")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'");

describe("credentials written after the proxy started are used on the next request (real processes)", () => {
  let aws: LocalAws;
  let app: RunningService;
  let proxy: RunningService;
  let home = "";

  before(async () => {
    home = mkdtempSync(join(tmpdir(), "iam-auth-proxy-credentials-late-"));
    aws = await startLocalAws(suite);
    app = await startStsOnlyApp(suite, aws.url);
    // No AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE: the default ~/.aws files, which do not exist yet.
    proxy = await startService({
      script: "proxy/cli/main.js",
      args: ["--bind", "127.0.0.1:0"],
      env: {
        HOME: home,
        AWS_ENDPOINT_URL: aws.url,
        AWS_REGION: region,
        AWS_EC2_METADATA_DISABLED: "true",
        AWS_MAX_ATTEMPTS: "1",
      },
      logName: `${suite}/proxy.log`,
    });
    await waitForOutput(proxy, /\bcredentials outcome=missing/);
  });

  after(async () => {
    await proxy?.stop();
    await app?.stop();
    await aws?.stop();
    if (home !== "") rmSync(home, { recursive: true, force: true });
  });

  it("503 NO_CREDENTIALS first; signs in within 2 s of ~/.aws/credentials being written; the status page names the profile", async () => {
    const before = await httpRequest(`${app.url}/`, { proxy: proxy.url });
    assert.equal(before.status, 503);
    assert.equal(before.headers["iam-auth-proxy-error"], "NO_CREDENTIALS");
    const awsDir = join(home, ".aws");
    assert.equal(
      before.body,
      `NO_CREDENTIALS: No AWS credentials found in the environment (AWS_ACCESS_KEY_ID), ${join(awsDir, "config")}, ` +
        `${join(awsDir, "credentials")} or a container or instance role. Run \`aws configure\` (access keys) ` +
        "or `aws configure sso`, or name a profile with --profile or AWS_PROFILE; no restart needed, " +
        "the proxy looks again within a second\n",
    );
    const missing = textOf((await httpRequest(`${proxy.url}/`)).body);
    assert.match(missing, /Credentials from None found/);
    assert.match(missing, /Problem: No AWS credentials found in the environment/);

    const pid = proxy.process.pid;
    mkdirSync(awsDir, { recursive: true });
    writeFileSync(
      join(awsDir, "credentials"),
      `[default]\naws_access_key_id = ${users.demo.accessKeyId}\naws_secret_access_key = ${users.demo.secretAccessKey}\n`,
    );
    const written = Date.now();
    let signedIn = await httpRequest(`${app.url}/`, { proxy: proxy.url });
    while (signedIn.status !== 200 && Date.now() - written < 2500) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      signedIn = await httpRequest(`${app.url}/`, { proxy: proxy.url });
    }
    const tookMs = Date.now() - written;
    assert.equal(signedIn.status, 200, signedIn.body);
    assert.equal(signedIn.body, `${users.demo.arn}\n`);
    assert.ok(tookMs <= 2000, `signed in ${tookMs} ms after the file was written`);
    assert.equal(proxy.process.pid, pid);
    assert.equal(proxy.process.exitCode, null);

    const status = textOf((await httpRequest(`${proxy.url}/`)).body);
    assert.match(
      status,
      /Credentials from Profile default ?: access keys in the shared credentials or config file/,
    );
    // The problem the start-up check found is gone (the list of sign-ins below still shows the refusals).
    assert.doesNotMatch(status, /Problem:/);
  });
});
