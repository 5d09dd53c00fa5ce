import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { demoAccount } from "../../local-aws/demo-account.js";
import { startGatewayProcess, type GatewayProcess } from "../helpers/gateway-process.js";
import { startHeaderEchoApp, valuesOf, type EchoedRequest } from "../helpers/header-echo-app.js";
import { startKmsOnlyApp } from "../helpers/kms-only-app.js";
import { awsEnvFor, startLocalAws, type LocalAws } from "../helpers/local-aws.js";
import { repoRoot, type RunningService } from "../helpers/service.js";
import { startStsOnlyApp } from "../helpers/sts-only-app.js";

/*
 * `iam-auth-proxy token URL` as a script uses it — `curl -H "$(iam-auth-proxy token URL)" URL` —
 * against the example server (STS; KMS), and the gateway in front of a plain Python app, with
 * the local AWS: the proof is accepted once, refused the second time, and never reaches the app.
 */

const suite = "proxy-token";
const { users } = demoAccount;
const mainJs = join(repoRoot, "dist", "proxy", "cli", "main.js");

interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(file: string, args: readonly string[], env: Record<string, string>): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { env: { PATH: process.env.PATH ?? "", HOME: tmpdir(), ...env }, timeout: 30_000 },
      (error, stdout, stderr) =>
        resolve({
          code: error === null ? 0 : typeof error.code === "number" ? error.code : -1,
          stdout,
          stderr,
        }),
    );
  });
}

describe("iam-auth-proxy token: a one-time proof for curl -H (real processes)", () => {
  let aws: LocalAws;
  let stsApp: RunningService;
  let kmsApp: RunningService;
  let pythonApp: RunningService;
  let gateway: GatewayProcess;
  let customGateway: GatewayProcess;
  let publicServer: Server;
  const demoEnv = (): Record<string, string> => awsEnvFor(aws.url, users.demo);
  const token = (args: readonly string[], env = demoEnv()): Promise<Ran> =>
    run(process.execPath, [mainJs, "token", ...args], env);
  /** The README's line, run by a shell: curl -sS -H "$(iam-auth-proxy token URL)" URL. */
  const curlWithToken = (url: string, tokenArgs = "", curlArgs = ""): Promise<Ran> =>
    run(
      "/bin/sh",
      [
        "-c",
        `curl -sS ${curlArgs} -w '\\n%{http_code}' -H "$("$NODE" "$MAIN" token ${tokenArgs} "$URL")" "$URL"`,
      ],
      { ...demoEnv(), NODE: process.execPath, MAIN: mainJs, URL: url },
    );

  before(async () => {
    aws = await startLocalAws(suite);
    stsApp = await startStsOnlyApp(suite, aws.url);
    kmsApp = await startKmsOnlyApp(suite, aws.url);
    pythonApp = await startHeaderEchoApp(suite);
    gateway = await startGatewayProcess({
      upstream: pythonApp.url,
      stsEndpoint: aws.url,
      logName: `${suite}/gateway.log`,
    });
    customGateway = await startGatewayProcess({
      upstream: pythonApp.url,
      stsEndpoint: aws.url,
      args: ["--proof-header", "X-Iam-Proof"],
      logName: `${suite}/gateway-custom-header.log`,
    });
    publicServer = createServer((_req, res) => res.end("public\n"));
    await new Promise<void>((resolve) => publicServer.listen(0, "127.0.0.1", resolve));
  });

  after(async () => {
    publicServer?.close();
    await Promise.all([gateway, customGateway, pythonApp, kmsApp, stsApp].map((service) => service?.stop()));
    await aws?.stop();
  });

  it('curl -H "$(iam-auth-proxy token URL)" URL gets the page as the person, with one STS check', async () => {
    await aws.resetCalls();
    const ran = await curlWithToken(`${stsApp.url}/`);
    assert.equal(ran.stdout, `${users.demo.arn}\n\n200`, ran.stderr);
    const calls = await aws.calls();
    // The example server checked the proof with STS once; the proxy side only presigned it.
    assert.equal(calls["sts:GetCallerIdentity"], 1, JSON.stringify(calls));
  });

  it("the same header a second time is refused: 403, the proof was used", async () => {
    const printed = await token([`${stsApp.url}/`]);
    assert.equal(printed.code, 0, printed.stderr);
    const header = printed.stdout.trim();
    assert.match(header, /^Authorization: IAM sts1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    const first = await run("curl", ["-sS", "-w", "\n%{http_code}", "-H", header, `${stsApp.url}/`], {});
    assert.equal(first.stdout, `${users.demo.arn}\n\n200`);
    const second = await run("curl", ["-sS", "-w", "\n%{http_code}", "-H", header, `${stsApp.url}/`], {});
    assert.equal(second.stdout, "The STS proof has already been used\n\n403");
  });

  it("--format value prints the header's value; --format json the header, value, token and method", async () => {
    const value = await token(["--format", "value", `${stsApp.url}/`]);
    assert.equal(value.code, 0, value.stderr);
    assert.match(value.stdout, /^IAM sts1\.\S+\n$/);
    const json = await token(["--format", "json", `${stsApp.url}/`]);
    assert.equal(json.code, 0, json.stderr);
    const parsed = JSON.parse(json.stdout) as Record<string, string>;
    assert.equal(parsed.header, "Authorization");
    assert.equal(parsed.value, `IAM ${parsed.token}`);
    assert.equal(parsed.method, "sts");
    assert.equal(parsed.url, `${stsApp.url}/`);
    const whoami = await run(
      "curl",
      ["-sS", "-H", `${parsed.header}: ${parsed.value}`, `${stsApp.url}/auth/whoami`],
      {},
    );
    assert.equal((JSON.parse(whoami.stdout) as { arn: string }).arn, users.demo.arn);
  });

  it("a KMS-only app is refused unless named (--kms-host), as the proxy refuses it; named, the proof signs in", async () => {
    const refused = await token([`${kmsApp.url}/`]);
    assert.equal(refused.code, 1);
    assert.equal(refused.stdout, "");
    assert.match(refused.stderr, /^iam-auth-proxy token: KMS_APP_NOT_NAMED: /);
    const host = new URL(kmsApp.url).host;
    const ran = await curlWithToken(`${kmsApp.url}/`, `--kms-host ${host}`);
    assert.equal(ran.stdout, `${users.demo.arn}\n\n200`, ran.stderr);
  });

  it("through the gateway: the Python app sees the identity headers and never the proof", async () => {
    const ran = await curlWithToken(`${gateway.url}/reports`);
    const [body, status] = ran.stdout.split("\n");
    assert.equal(status, "200", ran.stdout);
    const seen = JSON.parse(body ?? "") as EchoedRequest;
    assert.deepEqual(valuesOf(seen, "X-Forwarded-User"), [users.demo.arn]);
    assert.deepEqual(valuesOf(seen, "Authorization"), []);
  });

  it("--proof-header names the header an app reads proofs from; its Authorization reaches the app untouched", async () => {
    const ran = await curlWithToken(
      `${customGateway.url}/reports`,
      "--proof-header X-Iam-Proof",
      "-H 'Authorization: Bearer app-token'",
    );
    const [body, status] = ran.stdout.split("\n");
    assert.equal(status, "200", ran.stdout);
    const seen = JSON.parse(body ?? "") as EchoedRequest;
    assert.deepEqual(valuesOf(seen, "X-Forwarded-User"), [users.demo.arn]);
    assert.deepEqual(valuesOf(seen, "Authorization"), ["Bearer app-token"]);
    assert.deepEqual(valuesOf(seen, "X-Iam-Proof"), []);
  });

  it("a URL that answers without a challenge: exit 1 and what to give instead", async () => {
    const url = `http://127.0.0.1:${(publicServer.address() as AddressInfo).port}/`;
    const ran = await token([url]);
    assert.equal(ran.code, 1);
    assert.equal(
      ran.stderr,
      `iam-auth-proxy token: ${url} answered 200 without an IAM challenge: give a URL the app protects (one that answers 401 WWW-Authenticate: IAM … without a session)\n`,
    );
  });

  it("without credentials: exit 1 with the proxy's reason, nothing on stdout", async () => {
    const ran = await token([`${stsApp.url}/`], awsEnvFor(aws.url, undefined));
    assert.equal(ran.code, 1);
    assert.equal(ran.stdout, "");
    assert.match(ran.stderr, /^iam-auth-proxy token: NO_CREDENTIALS: No AWS credentials found/);
  });

  for (const [args, problem] of [
    [[], "token needs the app's URL, e.g. iam-auth-proxy token https://app.example.com/"],
    [["ftp://app/"], 'token URL must be an http(s) URL such as https://app.example.com/ (got "ftp://app/")'],
    [["--format", "yaml", "http://app/"], '--format must be header, value or json (got "yaml")'],
    [
      ["--proof-header", "bad header", "http://app/"],
      '--proof-header must be an HTTP header name such as X-Iam-Proof (got "bad header")',
    ],
  ] as const) {
    it(`usage error (${args.join(" ") || "no URL"}): exit 2 naming the problem`, async () => {
      const ran = await token(args);
      assert.equal(ran.code, 2);
      assert.ok(ran.stderr.includes(problem), ran.stderr);
    });
  }
});
