import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import WebSocket from "ws";
import {
  createProxyServer,
  loadOrCreateCa,
  type LocalCa,
  type ProxyServer,
} from "../../../../proxy/index.js";
import {
  connectThroughProxy,
  httpsThroughProxy,
  readRest,
  sendConnect,
} from "../../../helpers/proxy-clients.js";
import { createTestCa, type TestCa } from "../../../helpers/tls-fixtures.js";
import { createFakeAws, createMemoryLogger } from "../fakes.js";
import { startProtectedApp, type ProtectedApp } from "../protected-app.js";
import { requestThroughProxy } from "../proxy-harness.js";
import { parseBindAddress } from "../../../../proxy/http/bind-address.js";
import { parseHostPattern } from "../../../../proxy/http/host-pattern.js";

/** Opens a websocket through the proxy's CONNECT and resolves with the first reply to `message`. */
function echoOnce(url: string, proxyUrl: string, ca: string | undefined, message: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, {
      createConnection: connectThroughProxy(proxyUrl, ca === undefined ? undefined : { ca }),
    });
    ws.on("open", () => ws.send(message));
    ws.on("message", (data: Buffer) => {
      resolve(JSON.parse(data.toString("utf8")) as unknown);
      ws.close();
    });
    ws.on("unexpected-response", (_req, res) =>
      reject(new Error(`handshake answered ${res.statusCode ?? 0}`)),
    );
    ws.on("error", reject);
  });
}

describe("HTTPS interception (--host)", () => {
  let dir = "";
  let localCa: LocalCa;
  let appCa: TestCa;
  let otherCa: TestCa;
  let app: ProtectedApp;
  let untrustedApp: ProtectedApp;
  let misnamedApp: ProtectedApp;
  let proxy: ProxyServer;
  let proxyUrl = "";
  let logger = createMemoryLogger();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "iam-auth-proxy-intercept-"));
    localCa = await loadOrCreateCa(join(dir, "ca"));
    appCa = await createTestCa("app test CA");
    otherCa = await createTestCa("someone else's CA");
    const leaf = await appCa.issue(["localhost", "127.0.0.1"]);
    app = await startProtectedApp({
      tls: { cert: leaf.certPem, key: leaf.keyPem },
      serverId: (port) => `localhost:${port}`,
    });
    const foreign = await otherCa.issue(["localhost"]);
    untrustedApp = await startProtectedApp({ tls: { cert: foreign.certPem, key: foreign.keyPem } });
    const misnamed = await appCa.issue(["other.test"]);
    misnamedApp = await startProtectedApp({ tls: { cert: misnamed.certPem, key: misnamed.keyPem } });
  });
  after(async () => {
    await Promise.all([app.close(), untrustedApp.close(), misnamedApp.close()]);
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await proxy?.close();
    logger = createMemoryLogger();
    proxy = createProxyServer({
      bind: parseBindAddress("127.0.0.1:0"),
      login: createFakeAws().deps,
      logger,
      hosts: [parseHostPattern("localhost")],
      ca: localCa,
      upstreamCa: [appCa.certPem],
    });
    [proxyUrl = ""] = await proxy.listen();
    app.seen.length = 0;
  });
  after(() => proxy.close());

  it("signs in over HTTPS for a client that trusts only the local CA, on the first request", async () => {
    const result = await httpsThroughProxy(proxyUrl, `https://localhost:${app.port}/reports?q=1`, {
      ca: localCa.certPem,
    });
    assert.equal(result.status, 200);
    assert.equal(result.body, "hello /reports?q=1");
    assert.match(result.issuer ?? "", /^iam-auth-proxy local CA/);
    assert.deepEqual(result.headers["set-cookie"], ["sid=s1; Path=/; HttpOnly; Secure"]);
    assert.equal(app.authCount(), 1);
    // The request inside the tunnel reached the app with the Host the app knows itself by.
    assert.equal(app.seen[0]?.headers.host, `localhost:${app.port}`);
    assert.ok(
      logger.lines.some(
        (line) => line.includes(`login host=localhost:${app.port} `) && line.includes("outcome=signed-in"),
      ),
    );
  });

  it("keeps the Secure session cookie for the https app and sends it with the next request", async () => {
    await httpsThroughProxy(proxyUrl, `https://localhost:${app.port}/a`, { ca: localCa.certPem });
    const second = await httpsThroughProxy(proxyUrl, `https://localhost:${app.port}/b`, {
      ca: localCa.certPem,
    });
    assert.equal(second.body, "hello /b");
    assert.equal(app.authCount(), 1);
    assert.equal(app.seen.at(-1)?.headers.cookie, "sid=s1");
  });

  it("tunnels a host no --host names untouched: the client sees the app's own certificate", async () => {
    const result = await httpsThroughProxy(proxyUrl, `https://127.0.0.1:${app.port}/x`, {
      ca: appCa.certPem,
    });
    assert.equal(result.issuer, "app test CA");
    // Not signed in: the app's challenge reaches the client as it is.
    assert.equal(result.status, 401);
    assert.equal(app.authCount(), 0);
  });

  it("answers 502 naming the problem when the app's certificate is not trusted", async () => {
    const result = await httpsThroughProxy(proxyUrl, `https://localhost:${untrustedApp.port}/`, {
      ca: localCa.certPem,
    });
    assert.equal(result.status, 502);
    assert.equal(
      result.body,
      `UPSTREAM_CERTIFICATE_INVALID: The certificate of localhost:${untrustedApp.port} is not trusted: UNABLE_TO_VERIFY_LEAF_SIGNATURE (pass its CA with --upstream-ca)\n`,
    );
    assert.equal(untrustedApp.seen.length, 0);
  });

  it("answers 502 naming the problem when the app's certificate is for another name", async () => {
    const result = await httpsThroughProxy(proxyUrl, `https://localhost:${misnamedApp.port}/`, {
      ca: localCa.certPem,
    });
    assert.equal(result.status, 502);
    assert.equal(
      result.body,
      `UPSTREAM_CERTIFICATE_INVALID: The certificate of localhost:${misnamedApp.port} is not valid for localhost: ERR_TLS_CERT_ALTNAME_INVALID (it names DNS:other.test)\n`,
    );
  });

  it("signs in when a wss:// handshake is challenged, then upgrades carrying the session", async () => {
    const reply = await echoOnce(`wss://localhost:${app.port}/ws`, proxyUrl, localCa.certPem, "ping");
    assert.deepEqual(reply, { message: "ping", cookie: "sid=s1" });
    assert.equal(app.authCount(), 1);
    const handshakes = app.seen.filter((each) => each.upgrade);
    assert.deepEqual(
      handshakes.map((each) => [each.headers.cookie, each.headers.connection, each.headers.upgrade]),
      [
        [undefined, "upgrade", "websocket"],
        ["sid=s1", "upgrade", "websocket"],
      ],
    );
  });

  it("serves plain HTTP sent inside a CONNECT to a --host (how browsers tunnel ws://)", async () => {
    const plainApp = await startProtectedApp({ serverId: (port) => `localhost:${port}` });
    try {
      const reply = await echoOnce(`ws://localhost:${plainApp.port}/ws`, proxyUrl, undefined, "hi");
      assert.deepEqual(reply, { message: "hi", cookie: "sid=s1" });
      assert.equal(plainApp.authCount(), 1);
    } finally {
      await plainApp.close();
    }
  });

  it("signs in only to the --host apps: another app's challenge reaches the client untouched", async () => {
    const plainApp = await startProtectedApp();
    try {
      const port = Number(new URL(proxyUrl).port);
      const other = await requestThroughProxy(port, `http://127.0.0.1:${plainApp.port}/x`);
      assert.equal(other.status, 401);
      assert.equal(other.body, "Please log in");
      assert.equal(plainApp.authCount(), 0);
      assert.ok(
        logger.lines.some((line) =>
          line.includes(
            `challenge host=127.0.0.1:${plainApp.port} outcome=passed-through reason="the app is not one of the hosts the proxy signs in to"`,
          ),
        ),
      );
      const named = await requestThroughProxy(port, `http://localhost:${plainApp.port}/x`);
      assert.equal(named.status, 200);
      assert.equal(named.body, "hello /x");
    } finally {
      await plainApp.close();
    }
  });

  it("refuses to issue a certificate for a name it cannot certify, with 502", async () => {
    await proxy.close();
    proxy = createProxyServer({
      bind: parseBindAddress("127.0.0.1:0"),
      login: createFakeAws().deps,
      logger,
      hosts: [parseHostPattern("*.corp.example.com")],
      ca: localCa,
    });
    [proxyUrl = ""] = await proxy.listen();
    const reply = await sendConnect(proxyUrl, "bad_name.corp.example.com:443");
    assert.equal(reply.status, 502);
    assert.equal(
      await readRest(reply),
      'INTERCEPT_FAILED: Cannot intercept bad_name.corp.example.com:443: Cannot issue a certificate for "bad_name.corp.example.com": not a DNS name or IP address\n',
    );
  });
});
