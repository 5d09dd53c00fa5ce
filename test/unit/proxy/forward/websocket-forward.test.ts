import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import net from "node:net";
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import WebSocket from "ws";
import {
  createProxyServer,
  parseBindAddress,
  type ProxyServer,
  parseHostPattern,
} from "../../../../proxy/index.js";
import { AbsoluteFormAgent, sendConnect } from "../../../helpers/proxy-clients.js";
import { createFakeAws, createMemoryLogger } from "../fakes.js";
import { startProtectedApp, type ProtectedApp } from "../protected-app.js";

type Outcome =
  | { readonly kind: "echo"; readonly reply: unknown; readonly upgradeHeaders: IncomingMessage["headers"] }
  | { readonly kind: "refused"; readonly status: number; readonly body: string };

/** A ws:// client through the proxy in absolute-form: sends one message, resolves with the echo or the refusal. */
function exchange(url: string, proxyUrl: string, headers: Record<string, string> = {}): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    let upgradeHeaders: IncomingMessage["headers"] = {};
    const ws = new WebSocket(url, { agent: new AbsoluteFormAgent(proxyUrl), headers });
    ws.on("upgrade", (res) => (upgradeHeaders = res.headers));
    ws.on("open", () => ws.send("ping"));
    ws.on("message", (data: Buffer) => {
      resolve({ kind: "echo", reply: JSON.parse(data.toString("utf8")) as unknown, upgradeHeaders });
      ws.close();
    });
    ws.on("unexpected-response", (_req, res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ kind: "refused", status: res.statusCode ?? 0, body }));
    });
    ws.on("error", reject);
  });
}

describe("websockets through the forward proxy (absolute-form Upgrade requests)", () => {
  let app: ProtectedApp;
  let refusingApp: ProtectedApp;
  let proxy: ProxyServer;
  let proxyUrl = "";
  let fake = createFakeAws();
  const logger = createMemoryLogger();

  before(async () => {
    app = await startProtectedApp();
    refusingApp = await startProtectedApp({ refuseUpgrades: 403 });
  });
  after(() => Promise.all([app.close(), refusingApp.close()]));
  beforeEach(async () => {
    fake = createFakeAws();
    proxy = createProxyServer({
      kmsHosts: [parseHostPattern("127.0.0.1")],
      bind: parseBindAddress("127.0.0.1:0"),
      login: fake.deps,
      logger,
    });
    [proxyUrl = ""] = await proxy.listen();
    app.seen.length = 0;
  });
  afterEach(() => proxy.close());

  it("signs in when the handshake is challenged, then upgrades with the session cookie", async () => {
    const outcome = await exchange(`ws://127.0.0.1:${app.port}/ws`, proxyUrl);
    assert.equal(outcome.kind, "echo");
    assert.deepEqual(outcome.kind === "echo" && outcome.reply, { message: "ping", cookie: "sid=s1" });
    // The client's handshake answer carries the new session too, as a page's would.
    assert.deepEqual(outcome.kind === "echo" && outcome.upgradeHeaders["set-cookie"], [
      "sid=s1; Path=/; HttpOnly",
    ]);
    assert.equal(app.authCount(), 1);
    assert.equal(fake.calls.encrypt.length, 1);
  });

  it("carries the session the proxy holds: a second websocket signs in no more", async () => {
    await exchange(`ws://127.0.0.1:${app.port}/ws`, proxyUrl);
    const second = await exchange(`ws://127.0.0.1:${app.port}/ws`, proxyUrl);
    assert.deepEqual(second.kind === "echo" && second.reply, { message: "ping", cookie: "sid=s1" });
    assert.equal(app.authCount(), 1);
  });

  it("keeps Connection: Upgrade and Upgrade, drops the other hop-by-hop fields and Proxy-Authorization", async () => {
    await exchange(`ws://127.0.0.1:${app.port}/ws`, proxyUrl, {
      "Proxy-Authorization": "Basic c2VjcmV0",
      "Keep-Alive": "timeout=5",
      "X-Kept": "1",
    });
    const [first] = app.seen.filter((each) => each.upgrade);
    assert.equal(first?.headers.connection, "upgrade");
    assert.equal(first?.headers.upgrade, "websocket");
    assert.equal(first?.headers["proxy-authorization"], undefined);
    assert.equal(first?.headers["keep-alive"], undefined);
    assert.equal(first?.headers["x-kept"], "1");
    assert.equal(first?.headers["sec-websocket-version"], "13");
  });

  it("relays a handshake the app refuses as it is", async () => {
    const outcome = await exchange(`ws://127.0.0.1:${refusingApp.port}/ws`, proxyUrl);
    assert.deepEqual(outcome, { kind: "refused", status: 403, body: "no\n" });
  });

  it("answers 502 when the app cannot be reached, and keeps serving", async () => {
    const closedPort = refusingApp.port;
    await refusingApp.close();
    const outcome = await exchange(`ws://127.0.0.1:${closedPort}/ws`, proxyUrl);
    assert.deepEqual(outcome, {
      kind: "refused",
      status: 502,
      body: `UPSTREAM_UNREACHABLE: Cannot reach 127.0.0.1:${closedPort}: ECONNREFUSED\n`,
    });
    refusingApp = await startProtectedApp({ refuseUpgrades: 403 });
    const next = await exchange(`ws://127.0.0.1:${app.port}/ws`, proxyUrl);
    assert.equal(next.kind, "echo");
  });

  it("refuses an Upgrade request with a body (400 UPGRADE_WITH_BODY) rather than leave the app waiting", async () => {
    const reply = await sendRaw(
      proxyUrl,
      `POST http://127.0.0.1:${app.port}/ws HTTP/1.1\r\nHost: 127.0.0.1:${app.port}\r\n` +
        "Connection: Upgrade\r\nUpgrade: h2c\r\nContent-Length: 5\r\n\r\nhello",
    );
    assert.match(reply, /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.ok(
      reply.endsWith(
        "The proxy forwards Upgrade requests without a body only; send this request without Upgrade\n",
      ),
    );
    assert.equal(app.seen.length, 0);
  });

  it("a CONNECT to a host no --host names stays a blind tunnel (no interception without --host)", async () => {
    const reply = await sendConnect(proxyUrl, `127.0.0.1:${app.port}`);
    assert.equal(reply.status, 200);
    reply.socket.destroy();
  });
});

/** Sends raw bytes to the proxy and resolves with everything it answers until it closes. */
function sendRaw(proxyUrl: string, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(new URL(proxyUrl).port), "127.0.0.1", () => socket.write(request));
    let text = "";
    socket.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
    socket.on("close", () => resolve(text));
    socket.on("error", reject);
  });
}
