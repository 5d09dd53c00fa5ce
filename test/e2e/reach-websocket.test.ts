import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import express from "express";
import WebSocket from "ws";
import { demoAccount } from "../../local-aws/demo-account.js";
import { iamAuth } from "../../server-middleware/index.js";
import { awsEnvFor, startLocalAws, type LocalAws } from "../helpers/local-aws.js";
import { AbsoluteFormAgent } from "../helpers/proxy-clients.js";
import { startService, type RunningService } from "../helpers/service.js";
import { attachWebsocketEcho, type EchoReply } from "../helpers/websocket-app.js";

/*
 * Websockets through the forward proxy (plain HTTP, no --host): the handshake goes to the proxy
 * in absolute-form, as HTTP proxy agents send ws:// URLs. The app is the middleware with a
 * websocket echo behind it; the proxy is a real process signing in with the local AWS.
 * (Intercepted HTTPS and SOCKS websockets: reach-https.test.ts and reach-socks.test.ts.)
 */

const suite = "reach-websocket";
const { users, accountId } = demoAccount;

type Outcome = { kind: "echo"; reply: EchoReply; setCookie: string[] } | { kind: "refused"; status: number };

function exchange(url: string, proxyUrl: string, message: string): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    let setCookie: string[] = [];
    const ws = new WebSocket(url, { agent: new AbsoluteFormAgent(proxyUrl) });
    ws.on("upgrade", (res) => (setCookie = res.headers["set-cookie"] ?? []));
    ws.on("open", () => ws.send(message));
    ws.on("message", (data: Buffer) => {
      resolve({ kind: "echo", reply: JSON.parse(data.toString("utf8")) as EchoReply, setCookie });
      ws.close();
    });
    ws.on("unexpected-response", (_req, res) => {
      res.resume();
      resolve({ kind: "refused", status: res.statusCode ?? 0 });
    });
    ws.on("error", reject);
  });
}

describe("websockets through the forward proxy (real proxy process, real middleware)", () => {
  let aws: LocalAws;
  let app: http.Server;
  let appHost = "";
  let proxy: RunningService;

  before(async () => {
    aws = await startLocalAws(suite);
    const handler = express();
    app = http.createServer(handler);
    await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
    appHost = `127.0.0.1:${(app.address() as AddressInfo).port}`;
    const iam = iamAuth({
      accountId,
      sts: { serverId: appHost, testStsEndpoint: aws.url },
      sessionSecrets: [randomBytes(32).toString("hex")],
      logger: () => undefined,
    });
    handler.use(iam);
    attachWebsocketEcho(app, iam);
    proxy = await startService({
      script: "proxy/cli/main.js",
      args: ["--bind", "127.0.0.1:0"],
      env: awsEnvFor(aws.url, users.demo),
      logName: `${suite}/proxy.log`,
    });
  });
  after(async () => {
    await proxy?.stop();
    app?.closeAllConnections();
    await new Promise((resolve) => app?.close(resolve));
    await aws?.stop();
  });

  it("without a session the app challenges the handshake itself", async () => {
    const direct = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`ws://${appHost}/ws`);
      ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      ws.on("open", () => reject(new Error("the app let a handshake without a session through")));
      ws.on("error", reject);
    });
    assert.equal(direct, 401);
  });

  it("signs in when the handshake is challenged, then the app sees the session cookie", async () => {
    const outcome = await exchange(`ws://${appHost}/ws`, proxy.url, "hello");
    assert.equal(outcome.kind, "echo");
    if (outcome.kind !== "echo") return;
    assert.deepEqual(outcome.reply, {
      arn: users.demo.arn,
      cookies: ["iam-auth-session", "iam-auth-session.sig"],
      message: "hello",
      remoteAddress: "127.0.0.1",
    });
    // The 101 hands the new session to the client too, as a page's response would.
    assert.deepEqual(
      outcome.setCookie.map((line) => line.split("=", 1)[0]),
      ["iam-auth-session", "iam-auth-session.sig"],
    );
    assert.match(
      proxy.output(),
      new RegExp(`login host=${appHost} identity=\\S+ method=sts outcome=signed-in`),
    );
  });

  it("a second websocket carries the session the proxy kept: no new sign-in", async () => {
    const signIns = (): number => (proxy.output().match(/outcome=signed-in/g) ?? []).length;
    const before = signIns();
    const outcome = await exchange(`ws://${appHost}/ws`, proxy.url, "again");
    assert.equal(outcome.kind === "echo" && outcome.reply.arn, users.demo.arn);
    assert.deepEqual(outcome.kind === "echo" && outcome.setCookie, []);
    assert.equal(signIns(), before);
  });

  it("a handshake to a path the app does not serve is relayed as the app answered it", async () => {
    const outcome = await exchange(`ws://${appHost}/nowhere`, proxy.url, "x");
    assert.deepEqual(outcome, { kind: "refused", status: 404 });
  });
});
