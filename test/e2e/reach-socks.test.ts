import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { lookup } from "node:dns/promises";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import WebSocket from "ws";
import { demoAccount } from "../../local-aws/demo-account.js";
import { curlViaProxy } from "../helpers/curl.js";
import { httpRequest } from "../helpers/http-client.js";
import { awsEnvFor, startLocalAws, type LocalAws } from "../helpers/local-aws.js";
import {
  createPrivateNetwork,
  privateNetworkUnavailable,
  startTcpRelay,
  type NamespaceProcess,
  type PrivateNetwork,
  type TcpRelay,
} from "../helpers/private-network.js";
import {
  AbsoluteFormAgent,
  connectThroughProxy,
  httpsThroughProxy,
  readRest,
  sendConnect,
} from "../helpers/proxy-clients.js";
import { startService, type RunningService } from "../helpers/service.js";
import { createTestCa } from "../helpers/tls-fixtures.js";
import type { EchoReply } from "../helpers/websocket-app.js";

/*
 * Reaching an app in a "VPC" through a real SOCKS5 server (microsocks), as `ssh -D` would. The
 * VPC is a network namespace: the app listens on ITS loopback (so nothing on this machine can
 * connect to it directly) and its names (app.vpc.internal, aws.vpc.internal) exist only in ITS
 * hosts file, which microsocks, running inside, resolves with. The local AWS runs here on
 * 127.0.0.1; a relay on this side of the veth link lets the app reach it as aws.vpc.internal.
 * So each proxy's success proves where its traffic went:
 * - every app request can only have gone through the tunnel, with the name resolved there;
 * - a proxy told AWS is at 127.0.0.1 can only have reached it directly (127.0.0.1 through the
 *   tunnel is the namespace's own loopback, where nothing listens);
 * - a proxy told AWS is at aws.vpc.internal can only reach it through the tunnel (--aws-via-socks).
 */

const suite = "reach-socks";
const { users, accountId } = demoAccount;
const app = "app.vpc.internal";
const demoArn = users.demo.arn;
const unavailable = privateNetworkUnavailable();

describe(
  "SOCKS5: apps in a private network, names resolved at the SOCKS side (real microsocks)",
  { skip: unavailable },
  () => {
    let vpc: PrivateNetwork;
    let aws: LocalAws;
    let relay: TcpRelay;
    let socks: NamespaceProcess;
    let socksAddress = "";
    let awsInVpc = "";
    let dir = "";
    let proxyCaFile = "";
    /** KMS method; AWS at 127.0.0.1 (direct only). */
    let direct: RunningService;
    /** KMS method; AWS at aws.vpc.internal with --aws-via-socks. */
    let viaSocks: RunningService;
    /** STS method; --host app.vpc.internal: HTTPS intercepted, its upstream leg through SOCKS too. */
    let intercepting: RunningService;
    const services: RunningService[] = [];

    const startMicrosocks = () =>
      vpc.start({
        command: "microsocks",
        args: ["-i", vpc.namespaceAddress, "-p", "1080"],
        logName: `${suite}/microsocks.log`,
        readyPort: 1080,
      });
    async function startProxy(
      name: string,
      env: Record<string, string>,
      args: string[],
    ): Promise<RunningService> {
      const service = await startService({
        script: "proxy/cli/main.js",
        args: ["--bind", "127.0.0.1:0", "--socks-proxy", socksAddress, ...args],
        env,
        logName: `${suite}/${name}.log`,
      });
      services.push(service);
      await waitForOutput(service, /\bcredentials (identity=|outcome=)/);
      return service;
    }

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), "iam-auth-proxy-reach-socks-"));
      aws = await startLocalAws(suite);
      vpc = await createPrivateNetwork();
      relay = await startTcpRelay(vpc.hostAddress, Number(new URL(aws.url).port));
      vpc.setHosts({ [app]: "127.0.0.1", "aws.vpc.internal": vpc.hostAddress });
      awsInVpc = `http://aws.vpc.internal:${relay.port}`;
      socksAddress = `${vpc.namespaceAddress}:1080`;

      const appCa = await createTestCa("vpc app test CA");
      const leaf = await appCa.issue([app]);
      writeFileSync(join(dir, "app-cert.pem"), leaf.certPem);
      writeFileSync(join(dir, "app-key.pem"), leaf.keyPem);
      writeFileSync(join(dir, "app-ca.pem"), appCa.certPem);
      await vpc.start({
        command: process.execPath,
        args: [join("dist", "test", "helpers", "vpc-app.js")],
        env: {
          ...awsEnvFor(awsInVpc, users.exampleServer),
          AWS_ACCOUNT_ID: accountId,
          SECRET_KEY: randomBytes(32).toString("hex"),
          KMS_KEY_ID: demoAccount.keys.demo.alias,
          KMS_SALT: `salt-${randomBytes(8).toString("hex")}`,
          IAM_AUTH_METHODS: "sts kms",
          IAM_AUTH_SERVER_ID: app,
          IAM_AUTH_TEST_STS_ENDPOINT: awsInVpc,
          HOST: "127.0.0.1",
          PORT: "80",
          TLS_PORT: "443",
          TLS_CERT_FILE: join(dir, "app-cert.pem"),
          TLS_KEY_FILE: join(dir, "app-key.pem"),
        },
        logName: `${suite}/vpc-app.log`,
        readyPattern: /\blistening url=/,
      });
      socks = await startMicrosocks();

      direct = await startProxy("proxy-aws-direct", awsEnvFor(aws.url, users.demo), [
        "--method",
        "kms",
        "--kms-host",
        app,
      ]);
      viaSocks = await startProxy("proxy-aws-via-socks", awsEnvFor(awsInVpc, users.demo), [
        "--method",
        "kms",
        "--kms-host",
        app,
        "--aws-via-socks",
      ]);
      proxyCaFile = join(dir, "proxy-ca", "ca-cert.pem");
      intercepting = await startProxy("proxy-intercepting", awsEnvFor(awsInVpc, users.demo), [
        "--host",
        app,
        "--upstream-ca",
        join(dir, "app-ca.pem"),
        "--ca-dir",
        join(dir, "proxy-ca"),
      ]);
    });
    after(async () => {
      await Promise.all(services.map((service) => service.stop()));
      await vpc?.destroy();
      await relay?.close();
      await aws?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it("the app cannot be reached from here: its names do not resolve and its port is closed", async () => {
      await assert.rejects(lookup(app), { code: "ENOTFOUND" });
      await assert.rejects(lookup("aws.vpc.internal"), { code: "ENOTFOUND" });
      // It listens on the namespace's loopback only; the namespace's own address has nothing on 80.
      await assert.rejects(
        new Promise((resolve, reject) => {
          const socket = net.connect(80, vpc.namespaceAddress, () => resolve(socket.destroy()));
          socket.once("error", reject);
        }),
        { code: "ECONNREFUSED" },
      );
    });

    it("a websocket handshake the app challenges is signed in to through the tunnel, then echoes with the session", async () => {
      const reply = await echoOnce(`ws://${app}/ws`, { agent: new AbsoluteFormAgent(intercepting.url) });
      assert.equal(reply.arn, demoArn);
      assert.deepEqual(reply.cookies, ["iam-auth-session", "iam-auth-session.sig"]);
      await waitForOutput(
        intercepting,
        new RegExp(`login host=${app} identity=\\S+ method=sts outcome=signed-in`),
      );
    });

    it("curl signs in through the tunnel on its first request, AWS reached directly (KMS method)", async () => {
      await aws.resetCalls();
      assert.equal(await curlViaProxy(direct.url, `http://${app}/`), `${demoArn}\n`);
      await waitForOutput(
        direct,
        new RegExp(`login host=${app} identity=${demoArn} method=kms outcome=signed-in`),
      );
      // The proxy's kms:Encrypt reached the local AWS, which listens where only a direct connection gets.
      const calls = await aws.calls();
      assert.equal(calls["kms:Encrypt"], 1);
      assert.equal(calls["kms:Decrypt"], 1);
    });

    it("--aws-via-socks sends the proxy's AWS calls through the tunnel too", async () => {
      // aws.vpc.internal resolves only inside: the start-up check can only have gone through microsocks.
      await waitForOutput(viaSocks, new RegExp(`credentials identity=${demoArn} account=${accountId}`));
      assert.equal(await curlViaProxy(viaSocks.url, `http://${app}/`), `${demoArn}\n`);
      await waitForOutput(
        viaSocks,
        new RegExp(`login host=${app} identity=${demoArn} method=kms outcome=signed-in`),
      );
    });

    it("without --aws-via-socks AWS calls go directly (aws.vpc.internal does not resolve here), and STS sign-in needs none", async () => {
      await waitForOutput(
        intercepting,
        /credentials outcome=error code=AWS_UNREACHABLE reason="[^"]*ENOTFOUND/,
      );
      const page = await httpRequest(`http://${app}/`, { proxy: intercepting.url });
      assert.equal(page.status, 200);
      assert.equal(page.body, `${demoArn}\n`);
    });

    it("HTTPS: intercepted, signed in, and the verified upstream leg goes through the tunnel", async () => {
      const page = await httpsThroughProxy(intercepting.url, `https://${app}/`, { ca: readCa(proxyCaFile) });
      assert.equal(page.status, 200);
      assert.equal(page.body, `${demoArn}\n`);
      assert.match(page.issuer ?? "", /^iam-auth-proxy local CA/);
      // The app set its session over https: Secure, and kept by the proxy for the https origin.
      assert.ok(page.headers["set-cookie"]?.every((line) => /;\s*secure/i.test(line)));
      const again = await httpsThroughProxy(intercepting.url, `https://${app}/`, { ca: readCa(proxyCaFile) });
      assert.equal(again.headers["set-cookie"], undefined);
      assert.equal(again.body, `${demoArn}\n`);
      const wss = await echoOnce(`wss://${app}/ws`, {
        createConnection: connectThroughProxy(intercepting.url, { ca: readCa(proxyCaFile) }),
      });
      assert.equal(wss.arn, demoArn);
    });

    it("reverse mode reaches its upstream through the tunnel too (--upstream with --socks-proxy), websockets included", async () => {
      // The app checks proofs against the STS at aws.vpc.internal; presigning one calls no AWS.
      const reverse = await startProxy("proxy-reverse", awsEnvFor(awsInVpc, users.demo), [
        "--upstream",
        `https://${app}`,
        "--upstream-ca",
        join(dir, "app-ca.pem"),
      ]);
      const page = await httpRequest(`${reverse.url}/`);
      assert.equal(page.status, 200);
      assert.equal(page.body, `${demoArn}\n`);
      await waitForOutput(
        reverse,
        new RegExp(`login host=${app} identity=\\S+ method=sts outcome=signed-in`),
      );
      const reply = await echoOnce(`${reverse.url.replace(/^http/, "ws")}/ws`, {});
      assert.equal(reply.arn, demoArn);
    });

    it("a CONNECT to a host no --host names is a blind tunnel through the SOCKS server", async () => {
      const reply = await sendConnect(direct.url, `${app}:80`);
      assert.equal(reply.status, 200);
      reply.socket.resume();
      reply.socket.write(`GET /check HTTP/1.1\r\nHost: ${app}\r\nConnection: close\r\n\r\n`);
      assert.match(await readRest(reply), /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\n:\(\n?$/);
    });

    it("answers 502 with the SOCKS server's reason when it cannot connect", async () => {
      const unknown = await httpRequest("http://nope.vpc.internal/", { proxy: direct.url });
      assert.equal(unknown.status, 502);
      assert.equal(
        unknown.body,
        "SOCKS_REFUSED: The SOCKS proxy refused the connection to nope.vpc.internal:80: general SOCKS server failure (for a host name: it may not resolve there)\n",
      );
      const closed = await httpRequest(`http://${app}:81/`, { proxy: direct.url });
      assert.equal(closed.status, 502);
      assert.equal(
        closed.body,
        `SOCKS_REFUSED: The SOCKS proxy refused the connection to ${app}:81: connection refused\n`,
      );
    });

    it("answers 502 while the SOCKS server is down, and serves again once it is back", async () => {
      await socks.stop();
      const down = await httpRequest(`http://${app}/`, { proxy: direct.url });
      assert.equal(down.status, 502);
      assert.equal(
        down.body,
        `SOCKS_UNREACHABLE: Cannot reach the SOCKS proxy ${socksAddress}: ECONNREFUSED\n`,
      );
      await waitForOutput(
        direct,
        new RegExp(`forward host=${app} outcome=upstream-failed code=SOCKS_UNREACHABLE`),
      );
      socks = await startMicrosocks();
      const back = await httpRequest(`http://${app}/`, { proxy: direct.url });
      assert.equal(back.status, 200);
      assert.equal(back.body, `${demoArn}\n`);
    });
  },
);

function readCa(path: string): string {
  return readFileSync(path, "utf8");
}

/** Opens a websocket, sends one message and resolves with the app's echo. */
function echoOnce(
  url: string,
  options: WebSocket.ClientOptions | Record<string, unknown>,
): Promise<EchoReply> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    ws.on("open", () => ws.send("ping"));
    ws.on("message", (data: Buffer) => {
      resolve(JSON.parse(data.toString("utf8")) as EchoReply);
      ws.close();
    });
    ws.on("unexpected-response", (_req, res) =>
      reject(new Error(`handshake answered ${res.statusCode ?? 0}`)),
    );
    ws.on("error", reject);
  });
}

async function waitForOutput(service: RunningService, pattern: RegExp, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(service.output())) {
    if (Date.now() > deadline)
      throw new Error(`no output matching ${String(pattern)}; output:\n${service.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
