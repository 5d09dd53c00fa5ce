import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { demoAccount } from "../../local-aws/demo-account.js";
import { startHttpsExampleApp, type HttpsExampleApp } from "../helpers/https-example-app.js";
import { awsEnvFor, startLocalAws, type LocalAws } from "../helpers/local-aws.js";
import { repoRoot, type RunningService } from "../helpers/service.js";
import { startStsOnlyApp } from "../helpers/sts-only-app.js";

/*
 * `iam-auth-proxy exec -- COMMAND`: real commands (curl, Debian's Python with requests, sh) run
 * under a private proxy against the example server and the local AWS, as a script would.
 */

const suite = "proxy-exec";
const { users } = demoAccount;

interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `iam-auth-proxy …args` to its end as the demo user, with PATH and HOME only besides AWS. */
function runProxyCli(args: readonly string[], awsUrl: string): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(repoRoot, "dist", "proxy", "cli", "main.js"), ...args],
      {
        env: { PATH: process.env.PATH ?? "", HOME: tmpdir(), ...awsEnvFor(awsUrl, users.demo) },
        timeout: 30_000,
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe("iam-auth-proxy exec: a command run with a private proxy (real processes)", () => {
  let aws: LocalAws;
  let app: RunningService;
  let httpsApp: HttpsExampleApp;
  let dir: string;

  before(async () => {
    aws = await startLocalAws(suite);
    app = await startStsOnlyApp(suite, aws.url);
    dir = mkdtempSync(join(tmpdir(), "iam-auth-proxy-exec-test-"));
    httpsApp = await startHttpsExampleApp({ logName: `${suite}/https-app.log`, dir, localAwsUrl: aws.url });
  });

  after(async () => {
    await httpsApp?.close();
    await app?.stop();
    await aws?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("curl gets the signed-in page; the proxy's info lines stay out of the command's output", async () => {
    const ran = await runProxyCli(["exec", "--", "curl", "-sS", `${app.url}/`], aws.url);
    assert.deepEqual(ran, { code: 0, stdout: `${users.demo.arn}\n`, stderr: ran.stderr });
    assert.doesNotMatch(ran.stderr + ran.stdout, /listening url=/);
  });

  it("Python's requests (Debian's) gets the signed-in page through HTTP_PROXY", async () => {
    const script = `import requests, sys; r = requests.get(sys.argv[1]); print(r.status_code, r.text.strip())`;
    const ran = await runProxyCli(["exec", "--", "/usr/bin/python3", "-c", script, `${app.url}/`], aws.url);
    assert.equal(ran.stdout, `200 ${users.demo.arn}\n`, ran.stderr);
    assert.equal(ran.code, 0);
  });

  it("returns the command's exit code, 128 + the signal for a killed one, 127 for a missing command", async () => {
    assert.equal((await runProxyCli(["exec", "--", "sh", "-c", "exit 7"], aws.url)).code, 7);
    assert.equal((await runProxyCli(["exec", "--", "sh", "-c", "kill -TERM $$"], aws.url)).code, 128 + 15);
    const missing = await runProxyCli(["exec", "--", "no-such-command-here"], aws.url);
    assert.equal(missing.code, 127);
    assert.equal(missing.stderr, "iam-auth-proxy: cannot run no-such-command-here: command not found\n");
  });

  it("with --host an HTTPS app is intercepted: curl and requests trust the local CA through the variables exec sets", async () => {
    const flags = [
      "--host",
      httpsApp.authority,
      "--ca-dir",
      join(dir, "ca"),
      "--upstream-ca",
      httpsApp.caFile,
    ];
    const curl = await runProxyCli(["exec", ...flags, "--", "curl", "-sS", `${httpsApp.origin}/`], aws.url);
    assert.equal(curl.stdout, `${users.demo.arn}\n`, curl.stderr);
    const script = "import requests, sys; print(requests.get(sys.argv[1]).text.strip())";
    const python = await runProxyCli(
      ["exec", ...flags, "--", "/usr/bin/python3", "-c", script, `${httpsApp.origin}/`],
      aws.url,
    );
    assert.equal(python.stdout, `${users.demo.arn}\n`, python.stderr);
    // What it set, and that a site outside --host would still be trusted (the bundle keeps the public roots).
    const shown = await runProxyCli(
      [
        "exec",
        ...flags,
        "--",
        "sh",
        "-c",
        'echo "$NODE_EXTRA_CA_CERTS"; grep -c "BEGIN CERTIFICATE" "$SSL_CERT_FILE"',
      ],
      aws.url,
    );
    const [caPath, count] = shown.stdout.trim().split("\n");
    assert.equal(caPath, join(dir, "ca", "ca-cert.pem"));
    assert.ok(Number(count) > 100, `the bundle holds ${count} certificates`);
  });

  it("refuses to run without a command after --, and other commands refuse words after --", async () => {
    const none = await runProxyCli(["exec"], aws.url);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /^iam-auth-proxy: exec needs a command after --/);
    const stray = await runProxyCli(["--", "curl"], aws.url);
    assert.equal(stray.code, 2);
    assert.match(stray.stderr, /Unknown argument -- curl: only exec runs a command given after --/);
  });
});
