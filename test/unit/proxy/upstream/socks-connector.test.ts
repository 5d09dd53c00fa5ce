import assert from "node:assert/strict";
import net from "node:net";
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import {
  createProxyServer,
  createSocksConnector,
  parseBindAddress,
  parseSocksEndpoint,
  ProxyError,
  type ProxyServer,
  parseHostPattern,
} from "../../../../proxy/index.js";
import { readRest, sendConnect } from "../../../helpers/proxy-clients.js";
import { startFakeSocksServer, type FakeSocksServer } from "../fake-socks-server.js";
import { createFakeAws, createMemoryLogger, listenOnLoopback } from "../fakes.js";
import { requestThroughProxy, startRecordingApp, type RecordingApp } from "../proxy-harness.js";

async function closedPort(): Promise<number> {
  const server = net.createServer();
  const port = await listenOnLoopback(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("parseSocksEndpoint", () => {
  it("reads HOST:PORT and [IPV6]:PORT", () => {
    assert.deepEqual(parseSocksEndpoint("127.0.0.1:1080"), {
      hostname: "127.0.0.1",
      port: 1080,
      host: "127.0.0.1:1080",
    });
    assert.deepEqual(parseSocksEndpoint("[::1]:1080"), { hostname: "::1", port: 1080, host: "[::1]:1080" });
    assert.deepEqual(parseSocksEndpoint("Bastion:9050"), {
      hostname: "bastion",
      port: 9050,
      host: "bastion:9050",
    });
  });
  it("refuses anything else, showing the value", () => {
    for (const bad of ["1080", "host:", "host:70000", "socks5://h:1", "::1:1080", "[::1]"]) {
      assert.throws(() => parseSocksEndpoint(bad), {
        name: "TypeError",
        message: `must be HOST:PORT with a port from 1 to 65535, as in 127.0.0.1:1080 (got ${JSON.stringify(bad)})`,
      });
    }
  });
});

describe("createSocksConnector", () => {
  let socks: FakeSocksServer;
  let echo: net.Server;
  let echoPort = 0;
  before(async () => {
    socks = await startFakeSocksServer();
    echo = net.createServer((socket) => {
      socket.on("error", () => undefined);
      socket.pipe(socket);
    });
    echoPort = await listenOnLoopback(echo);
    socks.routes.set("echo.vpc.internal:7", echoPort);
  });
  after(async () => {
    await socks.close();
    await new Promise((resolve) => echo.close(resolve));
  });
  beforeEach(() => {
    socks.requests.length = 0;
    socks.replyCode = undefined;
  });

  it("sends host names unresolved (ATYP 3), so names only the remote side knows work", async () => {
    const connect = createSocksConnector({ endpoint: parseSocksEndpoint(`127.0.0.1:${socks.port}`) });
    const socket = await connect("echo.vpc.internal", 7);
    socket.write("hello");
    const chunk = await new Promise<Buffer>((resolve) => socket.once("data", resolve));
    socket.destroy();
    assert.equal(chunk.toString(), "hello");
    assert.deepEqual(socks.requests, [{ addressType: 3, host: "echo.vpc.internal", port: 7 }]);
  });

  it("says the SOCKS proxy refused, with the RFC 1928 reason, when it answers with an error", async () => {
    const connect = createSocksConnector({ endpoint: parseSocksEndpoint(`127.0.0.1:${socks.port}`) });
    const cases: [number, string][] = [
      [1, "general SOCKS server failure (for a host name: it may not resolve there)"],
      [2, "connection not allowed by its rules"],
      [4, "host unreachable"],
      [5, "connection refused"],
    ];
    for (const [code, reason] of cases) {
      socks.replyCode = code;
      await assert.rejects(connect("app.vpc.internal", 80), (error: unknown) => {
        assert.ok(error instanceof ProxyError);
        assert.equal(error.code, "SOCKS_REFUSED");
        assert.equal(error.status, 502);
        assert.equal(
          error.message,
          `The SOCKS proxy refused the connection to app.vpc.internal:80: ${reason}`,
        );
        return true;
      });
    }
  });

  it("says the SOCKS proxy cannot be reached when nothing listens there", async () => {
    const port = await closedPort();
    const connect = createSocksConnector({ endpoint: parseSocksEndpoint(`127.0.0.1:${port}`) });
    await assert.rejects(connect("app.vpc.internal", 80), {
      name: "ProxyError",
      code: "SOCKS_UNREACHABLE",
      message: `Cannot reach the SOCKS proxy 127.0.0.1:${port}: ECONNREFUSED`,
    });
  });

  // Issue 15's fault matrix: this was SOCKS_REFUSED "refused the connection to app…", sending
  // the person to look at the app when the SOCKS server (a stopped ssh -D) is the trouble.
  it("gives up on a SOCKS server that never answers the handshake: SOCKS_UNREACHABLE, not a refusal", async () => {
    const held = new Set<net.Socket>();
    const silent = net.createServer((socket) => {
      socket.on("error", () => undefined);
      held.add(socket);
    });
    const port = await listenOnLoopback(silent);
    try {
      const connect = createSocksConnector({
        endpoint: parseSocksEndpoint(`127.0.0.1:${port}`),
        timeoutMs: 200,
      });
      await assert.rejects(connect("app.vpc.internal", 80), {
        code: "SOCKS_UNREACHABLE",
        message: `Cannot reach the SOCKS proxy 127.0.0.1:${port}: it accepted the connection but did not answer within 0.2 s`,
      });
    } finally {
      for (const socket of held) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe("the proxy with socks", () => {
  let socks: FakeSocksServer;
  let app: RecordingApp;
  let proxy: ProxyServer;
  let proxyUrl = "";
  let proxyPort = 0;
  const logger = createMemoryLogger();
  before(async () => {
    socks = await startFakeSocksServer();
    app = await startRecordingApp();
    socks.routes.set("app.vpc.internal:80", app.port);
  });
  after(async () => {
    await socks.close();
    await app.close();
  });
  beforeEach(async () => {
    socks.requests.length = 0;
    proxy = createProxyServer({
      // The test apps send the original's KMS challenge: name them, as a person would with --kms-host.
      kmsHosts: [parseHostPattern("127.0.0.1")],
      bind: parseBindAddress("127.0.0.1:0"),
      login: createFakeAws().deps,
      logger,
      socks: parseSocksEndpoint(`127.0.0.1:${socks.port}`),
    });
    [proxyUrl = ""] = await proxy.listen();
    proxyPort = Number(new URL(proxyUrl).port);
  });
  afterEach(() => proxy.close());

  it("forwards plain HTTP through the SOCKS server, host names unresolved", async () => {
    const response = await requestThroughProxy(proxyPort, "http://app.vpc.internal/reports");
    assert.equal(response.status, 200);
    assert.equal(app.seen.at(-1)?.url, "/reports");
    assert.equal(app.seen.at(-1)?.headers.host, "app.vpc.internal");
    assert.deepEqual(socks.requests, [{ addressType: 3, host: "app.vpc.internal", port: 80 }]);
  });

  it("opens CONNECT tunnels through the SOCKS server", async () => {
    const reply = await sendConnect(proxyUrl, "app.vpc.internal:80");
    assert.equal(reply.status, 200);
    reply.socket.resume();
    reply.socket.write("GET /tunnelled HTTP/1.1\r\nHost: app.vpc.internal\r\nConnection: close\r\n\r\n");
    assert.match(await readRest(reply), /^HTTP\/1\.1 200 OK\r\n/);
    assert.equal(app.seen.at(-1)?.url, "/tunnelled");
  });

  it("answers 502 with the SOCKS server's refusal, for requests and tunnels alike", async () => {
    const response = await requestThroughProxy(proxyPort, "http://nowhere.vpc.internal/");
    assert.equal(response.status, 502);
    assert.equal(
      response.body,
      "SOCKS_REFUSED: The SOCKS proxy refused the connection to nowhere.vpc.internal:80: host unreachable\n",
    );
    const reply = await sendConnect(proxyUrl, "nowhere.vpc.internal:443");
    assert.equal(reply.status, 502);
    assert.equal(
      await readRest(reply),
      "SOCKS_REFUSED: The SOCKS proxy refused the connection to nowhere.vpc.internal:443: host unreachable\n",
    );
    assert.ok(
      logger.lines.some((line) =>
        line.includes("forward host=nowhere.vpc.internal outcome=upstream-failed code=SOCKS_REFUSED"),
      ),
    );
  });

  it("answers 502 when the SOCKS server is down, and keeps serving", async () => {
    const port = await closedPort();
    const down = createProxyServer({
      bind: parseBindAddress("127.0.0.1:0"),
      login: createFakeAws().deps,
      logger,
      socks: parseSocksEndpoint(`127.0.0.1:${port}`),
    });
    const [downUrl = ""] = await down.listen();
    try {
      const downPort = Number(new URL(downUrl).port);
      for (let attempt = 0; attempt < 2; attempt++) {
        const response = await requestThroughProxy(downPort, "http://app.vpc.internal/");
        assert.equal(response.status, 502);
        assert.equal(
          response.body,
          `SOCKS_UNREACHABLE: Cannot reach the SOCKS proxy 127.0.0.1:${port}: ECONNREFUSED\n`,
        );
      }
    } finally {
      await down.close();
    }
  });
});
