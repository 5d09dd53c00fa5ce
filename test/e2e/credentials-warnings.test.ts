import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { demoAccount } from "../../local-aws/demo-account.js";
import { startLocalAws, type LocalAws } from "../helpers/local-aws.js";
import { waitForOutput } from "../helpers/proxy-process.js";
import { startService, type RunningService } from "../helpers/service.js";

/*
 * The AWS SDK's warnings become one log line each, in the proxy and in the example server: its
 * Node.js version notice (process.emitWarning, several lines, on Node.js before 22) and the
 * credential chain's "Multiple credential sources" text (console.warn, nine lines), which a
 * profile named together with AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY in the environment causes.
 */

const suite = "credentials-warnings";
const { users, region } = demoAccount;
const nodeMajor = Number(process.versions.node.split(".")[0]);
// The SDK warns about the Node.js version on Node.js before 22 (@aws-sdk/core emitWarningIfUnsupportedVersion).
const nodeVersionWarnings = nodeMajor < 22 ? 1 : 0;

/** The lines of `output` that match `pattern`. */
const linesMatching = (output: string, pattern: RegExp): string[] =>
  output.split("\n").filter((line) => pattern.test(line));

/** Asserts each SDK warning is one node-warning line, and none of the SDK's own lines is printed. */
function assertOneLineEach(output: string): void {
  assert.equal(
    linesMatching(
      output,
      /^\S+ node-warning name=MultipleCredentialSourcesWarning message="a profile is named/,
    ).length,
    1,
    output,
  );
  assert.equal(
    linesMatching(output, /^\S+ node-warning name=NodeVersionSupportWarning message=/).length,
    nodeVersionWarnings,
    output,
  );
  // The SDK's own multi-line texts, line by line, are nowhere (only inside the one node-warning line).
  for (const fragment of [
    /Multiple credential sources detected/,
    /^To continue receiving updates/,
    /^\(node:\d+\)/,
  ]) {
    assert.deepEqual(linesMatching(output, fragment), [], output);
  }
}

describe("the AWS SDK's warnings are one log line each, in every process (real processes)", () => {
  let aws: LocalAws;
  let dir = "";
  const services: RunningService[] = [];
  /** A profile and the environment's keys at once: the SDK warns, then uses the profile. */
  const bothSources = (): Record<string, string> => ({
    AWS_ENDPOINT_URL: aws.url,
    AWS_REGION: region,
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: join(dir, "credentials"),
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_MAX_ATTEMPTS: "1",
    AWS_ACCESS_KEY_ID: users.demo.accessKeyId,
    AWS_SECRET_ACCESS_KEY: users.demo.secretAccessKey,
  });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "cred-warnings-"));
    writeFileSync(
      join(dir, "credentials"),
      `[demo]\naws_access_key_id = ${users.demo.accessKeyId}\naws_secret_access_key = ${users.demo.secretAccessKey}\n`,
    );
    aws = await startLocalAws(suite);
  });

  after(async () => {
    for (const service of services.reverse()) await service.stop();
    await aws?.stop();
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  });

  it("the proxy: --profile with keys in the environment, and the Node.js version notice", async () => {
    const proxy = await startService({
      script: "proxy/cli/main.js",
      args: ["--bind", "127.0.0.1:0", "--profile", "demo"],
      env: bothSources(),
      logName: `${suite}/proxy.log`,
    });
    services.push(proxy);
    await waitForOutput(
      proxy,
      new RegExp(`\\bcredentials identity=${users.demo.arn.replace(/[/]/g, "\\/")}`),
    );
    assertOneLineEach(proxy.output());
  });

  it("the example server: AWS_PROFILE with keys in the environment (its account lookup), and the Node.js version notice", async () => {
    const app = await startService({
      script: "example-server/main.js",
      // No AWS_ACCOUNT_ID: the server looks its account up with sts:GetCallerIdentity, through the SDK's chain.
      env: { ...bothSources(), AWS_PROFILE: "demo", SECRET_KEY: randomBytes(32).toString("hex"), PORT: "0" },
      logName: `${suite}/example-server.log`,
    });
    services.push(app);
    assertOneLineEach(app.output());
  });
});
