import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { demoAccount } from "../../local-aws/demo-account.js";
import { findAuditEvents } from "../helpers/audit-log.js";
import { startLocalAws, type LocalAws } from "../helpers/local-aws.js";
import { repoRoot, type RunningService } from "../helpers/service.js";
import { startStsOnlyApp } from "../helpers/sts-only-app.js";

/*
 * docs/clients.md's Python block, run as written with Debian's Python, requests and botocore
 * against the example server and the local AWS: a header proof signed by botocore's own SigV4
 * signer, with a nonce from GET /auth/nonce, passes every check the server makes.
 */

const suite = "clients-python";
const { users } = demoAccount;

/** The first ```python block of docs/clients.md. */
function pythonSnippet(): string {
  const doc = readFileSync(join(repoRoot, "docs", "clients.md"), "utf8");
  const match = /```python\n([\s\S]*?)```/.exec(doc);
  if (match?.[1] === undefined) throw new Error("docs/clients.md has no python block");
  return match[1];
}

function runPython(script: string, args: readonly string[], env: Record<string, string>) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile("/usr/bin/python3", [script, ...args], { env, timeout: 30_000 }, (error, stdout, stderr) =>
      resolve({
        code: error === null ? 0 : typeof error.code === "number" ? error.code : -1,
        stdout,
        stderr,
      }),
    );
  });
}

describe("docs/clients.md: the botocore snippet signs in (Debian's Python, real processes)", () => {
  let aws: LocalAws;
  let app: RunningService;
  let dir: string;
  let script: string;

  before(async () => {
    aws = await startLocalAws(suite);
    app = await startStsOnlyApp(suite, aws.url);
    dir = mkdtempSync(join(tmpdir(), "iam-auth-clients-python-"));
    script = join(dir, "signin.py");
    writeFileSync(script, pythonSnippet());
  });

  after(async () => {
    await app?.stop();
    await aws?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const pythonEnv = (user: { accessKeyId: string; secretAccessKey: string }): Record<string, string> => ({
    PATH: "/usr/bin:/bin",
    HOME: dir,
    AWS_ENDPOINT_URL_STS: aws.url,
    AWS_REGION: demoAccount.region,
    AWS_ACCESS_KEY_ID: user.accessKeyId,
    AWS_SECRET_ACCESS_KEY: user.secretAccessKey,
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
  });

  it("gets the page as the demo user with one header: the server accepted botocore's proof, one STS call", async () => {
    await aws.resetCalls();
    const ran = await runPython(script, [`${app.url}/`], pythonEnv(users.demo));
    assert.deepEqual([ran.code, ran.stdout], [0, `${users.demo.arn}\n`], ran.stderr);
    assert.deepEqual(await aws.calls(), { "sts:GetCallerIdentity": 1 });
    const signedIn = {
      action: "sign-in",
      outcome: "success",
      identity: users.demo.arn,
      method: "sts",
      via: "header",
    };
    assert.equal(findAuditEvents(app.output(), signedIn).length, 1);
  });

  it("refuses to sign for an app that names another server-id (the address used is localhost)", async () => {
    const ran = await runPython(
      script,
      [app.url.replace("127.0.0.1", "localhost") + "/"],
      pythonEnv(users.demo),
    );
    assert.notEqual(ran.code, 0);
    assert.match(ran.stderr, /RuntimeError: the app at localhost:\d+ asked for a proof for 127\.0\.0\.1:\d+/);
  });

  it("a wrong secret key is refused by the app, not signed in", async () => {
    const ran = await runPython(
      script,
      [`${app.url}/`],
      pythonEnv({ ...users.demo, secretAccessKey: "wrong-secret-NOT-REAL" }),
    );
    assert.notEqual(ran.code, 0);
    assert.match(
      ran.stderr,
      /RuntimeError: refused: 403 AWS STS rejected the proof \(SignatureDoesNotMatch\)/,
    );
  });
});
