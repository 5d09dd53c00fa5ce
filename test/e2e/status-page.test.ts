import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { demoAccount } from "../../local-aws/demo-account.js";
import { httpRequest } from "../helpers/http-client.js";
import { startLocalAws, type LocalAws } from "../helpers/local-aws.js";
import { startService, type RunningService } from "../helpers/service.js";

/*
 * The proxy's status page after real sign-ins: the local AWS, an STS-only example server and two
 * proxies run as real processes. One proxy finds its keys in a profile of a shared credentials
 * file and assumes a role with them (--assume-role-arn); the other runs a profile's
 * credential_process. Each signs in through the proxy, then its own page (GET / on the proxy)
 * must name that sign-in and where its credentials come from.
 */

const suite = "status-page";
const { users, roles, accountId, region } = demoAccount;
const sessionName = "status-page-e2e";
const roleSessionArn = `arn:aws:sts::${accountId}:assumed-role/${roles.developer.name}/${sessionName}`;

/** Waits until a process has written a line matching `pattern`. */
async function waitForOutput(service: RunningService, pattern: RegExp, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(service.output())) {
    if (Date.now() > deadline)
      throw new Error(`no output matching ${String(pattern)}; output:\n${service.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The page as a reader sees it: inline markup dropped, blocks spaced, references decoded. */
const textOf = (page: string): string =>
  page
    .replace(/<style>.*?<\/style>/s, "")
    .replace(/<\/?(?:code|a|strong|span|time)\b[^>]*>/g, "")
    .replace(/<[^>]+>/g, " ")
    .replace(/\s+/g, " ")
    .replace(/&(lt|gt|quot|#39|amp);/g, (_, name: string) =>
      name === "lt" ? "<" : name === "gt" ? ">" : name === "quot" ? '"' : name === "#39" ? "'" : "&",
    );

describe("the status page after a real sign-in lists it and where the credentials come from (real processes)", () => {
  let aws: LocalAws;
  let app: RunningService;
  let roleProxy: RunningService;
  let processProxy: RunningService;
  const services: RunningService[] = [];
  let dir = "";

  async function start(name: string, script: string, env: Record<string, string>, args: string[] = []) {
    const service = await startService({ script, env, args, logName: `${suite}/${name}.log` });
    services.push(service);
    return service;
  }

  /** A proxy process with the shared files in `dir`; resolves once its start-up credential check is done. */
  async function startProxy(
    name: string,
    env: Record<string, string>,
    args: string[],
  ): Promise<RunningService> {
    const proxy = await start(
      name,
      "proxy/cli/main.js",
      {
        AWS_ENDPOINT_URL: aws.url,
        AWS_REGION: region,
        AWS_CONFIG_FILE: join(dir, "config"),
        AWS_SHARED_CREDENTIALS_FILE: join(dir, "credentials"),
        AWS_EC2_METADATA_DISABLED: "true",
        AWS_MAX_ATTEMPTS: "1",
        ...env,
      },
      ["--bind", "127.0.0.1:0", ...args],
    );
    await waitForOutput(proxy, /\bcredentials (identity=|outcome=)/);
    return proxy;
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "iam-auth-proxy-status-page-"));
    const script = join(dir, "credential-process.mjs");
    // What a credential helper prints (here: the demo user's keys, which only the local AWS accepts).
    writeFileSync(
      script,
      `process.stdout.write(JSON.stringify({ Version: 1, AccessKeyId: ${JSON.stringify(users.demo.accessKeyId)}, ` +
        `SecretAccessKey: ${JSON.stringify(users.demo.secretAccessKey)} }));\n`,
    );
    writeFileSync(
      join(dir, "config"),
      `[profile tool]\ncredential_process = "${process.execPath}" "${script}"\n`,
    );
    writeFileSync(
      join(dir, "credentials"),
      `[demo]\naws_access_key_id = ${users.demo.accessKeyId}\naws_secret_access_key = ${users.demo.secretAccessKey}\n`,
    );
    aws = await startLocalAws(suite);
    app = await start("example-server-sts-only", "example-server/main.js", {
      AWS_ACCOUNT_ID: accountId,
      SECRET_KEY: randomBytes(32).toString("hex"),
      PORT: "0",
      IAM_AUTH_METHODS: "sts",
      IAM_AUTH_TEST_STS_ENDPOINT: aws.url,
      AWS_CONFIG_FILE: "/dev/null",
      AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
      AWS_EC2_METADATA_DISABLED: "true",
    });
    roleProxy = await startProxy("proxy-profile-role", {}, [
      "--profile",
      "demo",
      "--assume-role-arn",
      roles.developer.arn,
      "--assume-role-session-name",
      sessionName,
    ]);
    processProxy = await startProxy("proxy-credential-process", { AWS_PROFILE: "tool" }, []);
  });

  after(async () => {
    for (const service of services.reverse()) await service.stop();
    await aws?.stop();
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  });

  it("--profile with --assume-role-arn: the role session, the profile, the role, and the sign-in", async () => {
    const signedIn = await httpRequest(`${app.url}/`, { proxy: roleProxy.url });
    assert.equal(signedIn.status, 200);
    assert.equal(signedIn.body, `${roleSessionArn}\n`);

    const response = await httpRequest(`${roleProxy.url}/`);
    assert.equal(response.status, 200);
    assert.equal(response.headers["content-type"], "text/html; charset=utf-8");
    const text = textOf(response.body);
    assert.match(
      text,
      new RegExp(
        escapeRegExp(
          `Identity (ARN) ${roleSessionArn} Account ${accountId} ` +
            `Credentials from Profile demo: access keys in the shared credentials or config file ` +
            `Role assumed ${roles.developer.arn} (--assume-role-arn), with the credentials above ` +
            "Credentials expire ",
        ) +
          String.raw`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(in (59 min|1 h 0 min)\); renewed before they expire\.`,
      ),
    );
    assert.match(
      text,
      new RegExp(
        String.raw`The last sign-in Time App Identity Method Outcome \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC ` +
          escapeRegExp(`${new URL(app.url).host} ${roleSessionArn} sts signed in`),
      ),
    );
    for (const secret of [users.demo.secretAccessKey, "sts1.", "iam-auth-session="]) {
      assert.ok(!response.body.includes(secret), secret);
    }
  });

  it("AWS_PROFILE naming a credential_process profile: the profile's credential_process, and the sign-in", async () => {
    const signedIn = await httpRequest(`${app.url}/`, { proxy: processProxy.url });
    assert.equal(signedIn.status, 200);
    assert.equal(signedIn.body, `${users.demo.arn}\n`);

    const text = textOf((await httpRequest(`${processProxy.url}/`)).body);
    assert.ok(
      text.includes(
        `Identity (ARN) ${users.demo.arn} Account ${accountId} ` +
          "Credentials from credential_process of profile tool " +
          "Credentials expire Never: long-term access keys.",
      ),
      text,
    );
    assert.ok(text.includes(`${new URL(app.url).host} ${users.demo.arn} sts signed in`), text);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
