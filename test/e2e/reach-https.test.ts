import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import express from "express";
import WebSocket from "ws";
import { demoAccount } from "../../local-aws/demo-account.js";
import { iamAuth } from "../../server-middleware/index.js";
import { awsEnvFor, startLocalAws, type LocalAws } from "../helpers/local-aws.js";
import { connectThroughProxy, httpsThroughProxy } from "../helpers/proxy-clients.js";
import { repoRoot, startService, type RunningService } from "../helpers/service.js";
import { createTestCa, type TestCa, type TestCertificate } from "../helpers/tls-fixtures.js";
import { attachWebsocketEcho, type EchoReply } from "../helpers/websocket-app.js";

/*
 * Signing in to HTTPS apps: the proxy (a real process) intercepts CONNECTs to its --host apps
 * with certificates from its local CA, and reaches the apps over TLS it verifies with
 * --upstream-ca. Every certificate here is generated for this run; clients trust exactly one CA.
 */

const suite = "reach-https";
const cli = join(repoRoot, "dist", "proxy", "cli", "main.js");
const { users, accountId } = demoAccount;
const hint = "Run iam-auth-proxy --help to see the options.\n";

/** An https server on 127.0.0.1 with `cert`, answering with `handler`. */
async function startHttps(cert: TestCertificate, handler?: express.Express): Promise<https.Server> {
  const server = https.createServer(
    { cert: cert.certPem, key: cert.keyPem },
    handler ?? ((_req, res) => res.end("hi")),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}
const portOf = (server: https.Server): number => (server.address() as AddressInfo).port;

async function stopHttps(server: https.Server | undefined): Promise<void> {
  if (server === undefined) return;
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

describe("HTTPS apps: --host, the local CA, --upstream-ca (real proxy process)", () => {
  let dir = "";
  let aws: LocalAws;
  let appCa: TestCa;
  let app: https.Server;
  let untrusted: https.Server;
  let misnamed: https.Server;
  let proxy: RunningService;
  let proxyCa = "";
  let appUrl = "";

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "iam-auth-proxy-reach-https-"));
    aws = await startLocalAws(suite);
    appCa = await createTestCa("https app test CA");
    writeFileSync(join(dir, "app-ca.pem"), appCa.certPem);

    // The app: the middleware mounted in an https server; its session cookie is Secure (req.secure).
    const express_ = express();
    app = await startHttps(await appCa.issue(["localhost", "127.0.0.1"]), express_);
    appUrl = `https://localhost:${portOf(app)}`;
    const iam = iamAuth({
      accountId,
      sts: { serverId: `localhost:${portOf(app)}`, testStsEndpoint: aws.url },
      sessionSecrets: [randomBytes(32).toString("hex")],
      logger: () => undefined,
    });
    express_.use(iam);
    express_.get("/", (req, res) => res.type("text/plain").send(`${req.iamIdentity?.arn ?? "nobody"}\n`));
    attachWebsocketEcho(app, iam);

    untrusted = await startHttps(await (await createTestCa("someone else's CA")).issue(["localhost"]));
    misnamed = await startHttps(await appCa.issue(["other.test"]));

    proxy = await startService({
      script: "proxy/cli/main.js",
      args: [
        "--bind",
        "127.0.0.1:0",
        "--host",
        "localhost",
        "--upstream-ca",
        join(dir, "app-ca.pem"),
        "--ca-dir",
        join(dir, "proxy-ca"),
      ],
      env: awsEnvFor(aws.url, users.demo),
      logName: `${suite}/proxy.log`,
    });
    proxyCa = readFileSync(join(dir, "proxy-ca", "ca-cert.pem"), "utf8");
  });
  after(async () => {
    await proxy?.stop();
    await Promise.all([stopHttps(app), stopHttps(untrusted), stopHttps(misnamed)]);
    await aws?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("creates the CA on first start (mode 0600 key) and says how to trust it", () => {
    assert.equal(statSync(join(dir, "proxy-ca", "ca-key.pem")).mode & 0o777, 0o600);
    assert.match(proxy.output(), /\bca cert=\S+ca-cert\.pem fingerprint=[0-9A-F:]{95} created=true\b/);
    assert.match(proxy.output(), /ca-created .*run iam-auth-proxy ca to see how to trust it/);
  });

  const loginLines = (): string[] =>
    proxy.output().match(new RegExp(`login host=localhost:${portOf(app)} .*outcome=signed-in`, "g")) ?? [];

  it("curl trusting only the proxy's CA signs in and gets the page on its first request", async () => {
    const headers = join(dir, "curl-headers");
    const { stdout } = await promisify(execFile)("curl", [
      "-sS",
      "-x",
      proxy.url,
      "--cacert",
      join(dir, "proxy-ca", "ca-cert.pem"),
      "-D",
      headers,
      `${appUrl}/`,
    ]);
    assert.equal(stdout, `${users.demo.arn}\n`);
    assert.equal(loginLines().length, 1);
    // The app set its session over https, so Secure: the proxy passed it on and kept it (below).
    const setCookies = readFileSync(headers, "utf8").match(/^set-cookie: .*$/gim) ?? [];
    assert.equal(setCookies.length, 2);
    for (const line of setCookies) assert.match(line, /;\s*secure/i);
  });

  it("Node's client sees a certificate from the proxy's CA, and the page with the Secure session the proxy kept", async () => {
    const page = await httpsThroughProxy(proxy.url, `${appUrl}/`, { ca: proxyCa });
    assert.equal(page.status, 200);
    assert.equal(page.body, `${users.demo.arn}\n`);
    assert.match(page.issuer ?? "", /^iam-auth-proxy local CA/);
    assert.equal(page.headers["set-cookie"], undefined);
    assert.equal(loginLines().length, 1);
  });

  it("tunnels an HTTPS host no --host names blind: the client sees the app's own certificate", async () => {
    const page = await httpsThroughProxy(proxy.url, `https://127.0.0.1:${portOf(app)}/`, {
      ca: appCa.certPem,
    });
    assert.equal(page.issuer, "https app test CA");
    // Nothing signed in for it: the app's challenge reaches the client as it is.
    assert.equal(page.status, 401);
    assert.match(String(page.headers["www-authenticate"]), /^IAM realm="111122223333"/);
  });

  it("answers 502 naming the problem when an app's certificate is not trusted", async () => {
    const page = await httpsThroughProxy(proxy.url, `https://localhost:${portOf(untrusted)}/`, {
      ca: proxyCa,
    });
    assert.equal(page.status, 502);
    assert.equal(
      page.body,
      `UPSTREAM_CERTIFICATE_INVALID: The certificate of localhost:${portOf(untrusted)} is not trusted: UNABLE_TO_VERIFY_LEAF_SIGNATURE (pass its CA with --upstream-ca)\n`,
    );
  });

  it("answers 502 naming the problem when an app's certificate is for another name", async () => {
    const page = await httpsThroughProxy(proxy.url, `https://localhost:${portOf(misnamed)}/`, {
      ca: proxyCa,
    });
    assert.equal(page.status, 502);
    assert.equal(
      page.body,
      `UPSTREAM_CERTIFICATE_INVALID: The certificate of localhost:${portOf(misnamed)} is not valid for localhost: ERR_TLS_CERT_ALTNAME_INVALID (it names DNS:other.test)\n`,
    );
  });

  it("carries the session into a wss:// websocket, which the app's middleware accepts", async () => {
    const reply = await new Promise<EchoReply>((resolve, reject) => {
      const ws = new WebSocket(`wss://localhost:${portOf(app)}/ws`, {
        createConnection: connectThroughProxy(proxy.url, { ca: proxyCa }),
      });
      ws.on("open", () => ws.send("over tls"));
      ws.on("message", (data: Buffer) => {
        resolve(JSON.parse(data.toString("utf8")) as EchoReply);
        ws.close();
      });
      ws.on("unexpected-response", (_req, res) =>
        reject(new Error(`handshake answered ${res.statusCode ?? 0}`)),
      );
      ws.on("error", reject);
    });
    assert.deepEqual(reply, {
      arn: users.demo.arn,
      cookies: ["iam-auth-session", "iam-auth-session.sig"],
      message: "over tls",
      remoteAddress: "127.0.0.1",
    });
  });

  describe("a CA the proxy cannot use stops it at start-up (exit 1, one line saying what to do)", () => {
    const start = (caDir: string, user: { uid?: number; gid?: number } = {}) =>
      spawnSync(process.execPath, [cli, "--bind", "127.0.0.1:0", "--host", "localhost", "--ca-dir", caDir], {
        encoding: "utf8",
        env: { PATH: process.env.PATH ?? "", HOME: dir, ...awsEnvFor(aws.url, users.demo) },
        timeout: 15_000,
        ...user,
      });

    it("when the CA directory is not writable", () => {
      const caDir = join(dir, "read-only");
      mkdirSync(caDir, { mode: 0o555 });
      chmodSync(caDir, 0o555);
      chmodSync(dir, 0o755);
      // Root may write anywhere: run the proxy as nobody, as a person would run it as themselves.
      const user = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
      const result = start(caDir, user);
      assert.equal(result.status, 1);
      assert.equal(result.stdout, "");
      assert.equal(
        result.stderr,
        `iam-auth-proxy: Cannot write the CA files in ${caDir}: permission denied (EACCES); make the directory writable by you (chmod 700 ${caDir}) or choose another directory\n`,
      );
      assert.equal(existsSync(join(caDir, "ca-key.pem")), false);
    });

    it("when the CA directory cannot be created", () => {
      writeFileSync(join(dir, "a-file"), "");
      const caDir = join(dir, "a-file", "ca");
      const result = start(caDir);
      assert.equal(result.status, 1);
      assert.equal(
        result.stderr,
        `iam-auth-proxy: Cannot create the CA directory ${caDir}: a part of the path is a file, not a directory (ENOTDIR); create it yourself (mkdir -m 700 ${caDir}) or choose another directory\n`,
      );
    });

    it("when the CA key is readable by other users", () => {
      const caDir = join(dir, "loose");
      assert.equal(
        spawnSync(process.execPath, [cli, "ca", "--ca-dir", caDir], { encoding: "utf8" }).status,
        0,
      );
      const keyPath = join(caDir, "ca-key.pem");
      chmodSync(keyPath, 0o644);
      const result = start(caDir);
      assert.equal(result.status, 1);
      assert.equal(
        result.stderr,
        `iam-auth-proxy: Refusing to use the CA key ${keyPath}: its mode is 0644, so other users of this machine can read it; run chmod 600 ${keyPath} (or, if someone may have copied it, delete ca-key.pem and ca-cert.pem to create a new CA)\n`,
      );
    });

    it("and a bad --upstream-ca is a usage error (exit 2) naming the flag", () => {
      const missing = join(dir, "missing-ca.pem");
      const result = spawnSync(process.execPath, [cli, "--host", "localhost", "--upstream-ca", missing], {
        encoding: "utf8",
      });
      assert.equal(result.status, 2);
      assert.equal(result.stderr, `iam-auth-proxy: --upstream-ca cannot read ${missing}: ENOENT\n${hint}`);
    });
  });
});
