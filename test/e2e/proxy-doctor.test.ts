import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { encodeEncryptionContext } from "../../protocol/index.js";
import { demoAccount } from "../../local-aws/demo-account.js";
import { createNssHome } from "../helpers/browser.js";
import { startHttpsExampleApp, type HttpsExampleApp } from "../helpers/https-example-app.js";
import { awsEnvFor, startLocalAws, type LocalAws } from "../helpers/local-aws.js";
import { repoRoot, type RunningService } from "../helpers/service.js";
import { startKmsOnlyApp } from "../helpers/kms-only-app.js";
import { startStsOnlyApp } from "../helpers/sts-only-app.js";

/*
 * `iam-auth-proxy doctor [URL]` as a person runs it: each check once passing and once failing,
 * against the local AWS, the example server (STS; KMS), a hostile-looking app and an HTTPS app.
 */

const suite = "proxy-doctor";
const { users, accountId, keys } = demoAccount;

interface Ran {
  readonly code: number;
  readonly stdout: string;
}

function doctor(args: readonly string[], env: Record<string, string>): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(repoRoot, "dist", "proxy", "cli", "main.js"), "doctor", ...args],
      { env: { PATH: process.env.PATH ?? "", HOME: tmpdir(), ...env }, timeout: 30_000 },
      (error, stdout) =>
        resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : -1, stdout }),
    );
  });
}

/** The line of one check, e.g. "[ok  ] clock: 0 s ahead of …". */
const lineOf = (ran: Ran, name: string): string =>
  ran.stdout.split("\n").find((line) => line.includes(`] ${name}: `)) ?? "";

/** A tiny server answering every request with `status` and `headers`. */
async function startFixedServer(
  status: number,
  headers: Record<string, string>,
): Promise<{ server: Server; url: string }> {
  const server = createServer((_req, res) => res.writeHead(status, headers).end());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe("iam-auth-proxy doctor: every check passes once and fails once (real processes)", () => {
  let aws: LocalAws;
  let stsApp: RunningService;
  let kmsApp: RunningService;
  let httpsApp: HttpsExampleApp;
  let dir: string;
  const servers: Server[] = [];
  const demoEnv = (): Record<string, string> => awsEnvFor(aws.url, users.demo);

  before(async () => {
    aws = await startLocalAws(suite);
    stsApp = await startStsOnlyApp(suite, aws.url);
    kmsApp = await startKmsOnlyApp(suite, aws.url);
    dir = mkdtempSync(join(tmpdir(), "iam-auth-proxy-doctor-"));
    httpsApp = await startHttpsExampleApp({ logName: `${suite}/https-app.log`, dir, localAwsUrl: aws.url });
  });

  after(async () => {
    for (const server of servers) server.close();
    await httpsApp?.close();
    await kmsApp?.stop();
    await stsApp?.stop();
    await aws?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("credentials: whose and from where; without any, the fix; exit 1", async () => {
    const good = await doctor([], demoEnv());
    assert.equal(
      lineOf(good, "credentials"),
      `[ok  ] credentials: ${users.demo.arn} (environment; long-term keys)`,
    );
    assert.equal(good.code, 0, good.stdout);
    const none = await doctor([], awsEnvFor(aws.url, undefined));
    assert.match(
      lineOf(none, "credentials"),
      /^\[FAIL\] credentials: NO_CREDENTIALS: No AWS credentials found .* Run `aws configure`/,
    );
    assert.equal(none.code, 1);
  });

  it("clock: in step with the local STS (same machine); an STS whose Date is an hour off fails with the fix", async () => {
    const line = lineOf(await doctor([], demoEnv()), "clock");
    // The same clock on both sides: only the Date header's whole seconds and a slow round trip apart.
    const seconds = Number(/^\[ok {2}\] clock: (\d+) s (?:ahead of|behind) /.exec(line)?.[1]);
    assert.ok(seconds <= 5, line);
    const fake = await startFixedServer(403, { date: new Date(Date.now() - 3_600_000).toUTCString() });
    servers.push(fake.server);
    const off = await doctor([], { ...demoEnv(), AWS_ENDPOINT_URL_STS: fake.url });
    assert.match(lineOf(off, "clock"), /^\[FAIL\] clock: 36\d\d s ahead of /);
    assert.match(off.stdout, /fix: set the clock right/);
    assert.equal(off.code, 1);
  });

  it("app challenge: the app's account, methods and server-id; another address, or no challenge, fails", async () => {
    const good = await doctor([`${stsApp.url}/`], demoEnv());
    assert.match(
      lineOf(good, "app challenge"),
      new RegExp(
        `^\\[ok {2}\\] app challenge: account ${accountId}, offers sts, the proxy would use sts, server-id 127\\.0\\.0\\.1:\\d+, auth path /auth$`,
      ),
    );
    assert.equal(good.code, 0, good.stdout);
    const other = await doctor([stsApp.url.replace("127.0.0.1", "localhost")], demoEnv());
    assert.match(lineOf(other, "app challenge"), /^\[FAIL\] app challenge: SERVER_ID_MISMATCH: /);
    assert.equal(other.code, 1);
    const open = await startFixedServer(200, {});
    servers.push(open.server);
    const unprotected = await doctor([`${open.url}/`], demoEnv());
    assert.match(lineOf(unprotected, "app challenge"), /answered 200, not the 401 IAM challenge/);
    assert.equal(unprotected.code, 1);
  });

  it("KMS app: GetSessionToken and kms:Encrypt pass for the demo user; MFA without a code and a key it may not use fail", async () => {
    const good = await doctor([`${kmsApp.url}/`], demoEnv());
    assert.match(lineOf(good, "GetSessionToken"), /^\[ok {2}\] GetSessionToken: session credentials until /);
    assert.match(lineOf(good, "kms:Encrypt"), /^\[ok {2}\] kms:Encrypt: allowed with key /);
    assert.equal(good.code, 0, good.stdout);

    const mfa = await doctor(
      [`${kmsApp.url}/`, "--mfa-serial-number", users.mfaUser.mfaSerialNumber],
      awsEnvFor(aws.url, users.mfaUser),
    );
    assert.match(lineOf(mfa, "GetSessionToken"), /^\[FAIL\] GetSessionToken: MFA_CODE_UNAVAILABLE: /);
    assert.equal(mfa.code, 1);

    // An app whose challenge names a key the demo user may not encrypt with.
    const outsiderKey = await startFixedServer(401, {
      "www-authenticate": `IAM realm="${accountId}", methods="kms"`,
      "iam-auth-kms-key-id": keys.outsiderKey.arn,
      "iam-auth-kms-encryption-context": encodeEncryptionContext({ app: "x" }),
    });
    servers.push(outsiderKey.server);
    const denied = await doctor([`${outsiderKey.url}/`], demoEnv());
    assert.match(lineOf(denied, "kms:Encrypt"), /^\[FAIL\] kms:Encrypt: /);
    assert.match(denied.stdout, /fix: your IAM policy and the key policy must allow kms:Encrypt/);
    assert.equal(denied.code, 1);
  });

  it("intercepted HTTPS app: the local CA in the browser's NSS store passes; a store without it fails", async () => {
    const caDir = join(dir, "ca");
    const flags = ["--host", httpsApp.authority, "--ca-dir", caDir];
    const env = { ...demoEnv(), NODE_EXTRA_CA_CERTS: httpsApp.caFile };
    const missing = await doctor([`${httpsApp.origin}/`, ...flags], env);
    assert.match(lineOf(missing, "local CA trusted"), /^\[FAIL\] local CA trusted: no NSS database at /);
    assert.equal(missing.code, 1);
    const home = createNssHome(join(caDir, "ca-cert.pem"));
    try {
      const trusted = await doctor([`${httpsApp.origin}/`, ...flags], { ...env, HOME: home });
      assert.match(
        lineOf(trusted, "local CA trusted"),
        /^\[ok {2}\] local CA trusted: as "iam-auth-proxy" in /,
      );
      assert.equal(trusted.code, 0, trusted.stdout);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it("refuses a URL that is not http(s) with exit 2", async () => {
    const ran = await doctor(["ftp://x/"], demoEnv());
    assert.equal(ran.code, 2);
  });
});
