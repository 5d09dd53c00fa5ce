import assert from "node:assert/strict";
import { once } from "node:events";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import https from "node:https";
import net from "node:net";
import { after, afterEach, before, describe, it } from "node:test";
import {
  createUpstreamConnections,
  type UpstreamConnectionOptions,
  type UpstreamConnections,
} from "../../../../proxy/upstream/upstream-connections.js";
import { createUpstreamSender, type UpstreamSender } from "../../../../proxy/upstream/sender.js";
import type { UpstreamResponse } from "../../../../proxy/upstream/upstream-response.js";
import { createTestCa, type TestCa } from "../../../helpers/tls-fixtures.js";
import { startFakeSocksServer, type FakeSocksServer } from "../fake-socks-server.js";

type Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;

/** An app whose handler each test sets; it reads every request body in full first. */
async function startApp(
  server: http.Server | https.Server,
): Promise<{ port: number; set(h: Handler): void }> {
  let handler: Handler = (_req, res) => res.end("unset\n");
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => handler(req, res, Buffer.concat(chunks)));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { port: (server.address() as net.AddressInfo).port, set: (h) => (handler = h) };
}

function readBody(response: UpstreamResponse): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.on("data", (chunk: Buffer) => chunks.push(chunk));
    response.once("end", () => resolve(Buffer.concat(chunks).toString()));
    response.once("error", reject);
  });
}

const plainTarget = (port: number) => ({ scheme: "http" as const, hostname: "127.0.0.1", port });

describe("createUpstreamSender (undici) to a plain-HTTP app", () => {
  const server = http.createServer();
  let app: Awaited<ReturnType<typeof startApp>>;
  let connections: UpstreamConnections;
  let send: UpstreamSender;
  before(async () => {
    app = await startApp(server);
    connections = createUpstreamConnections();
    send = createUpstreamSender(connections.dispatcher);
  });
  after(() => {
    connections.destroy();
    server.closeAllConnections();
    server.close();
  });

  it("relays status, reason and every header field with its case and order, then the body", async () => {
    app.set((req, res) => {
      res.writeHead(201, "Made It", [
        "X-Mixed-Case",
        "1",
        "Set-Cookie",
        "a=1",
        "Set-Cookie",
        "b=2",
        "Content-Type",
        "text/plain",
      ]);
      res.end(`you asked ${req.method} ${req.url} with x-a=${String(req.headers["x-a"])}\n`);
    });
    const response = await send({
      target: plainTarget(app.port),
      method: "GET",
      path: "/p?q=1",
      headers: { host: `127.0.0.1:${app.port}`, "x-a": "yes" },
      body: undefined,
    });
    assert.equal(response.statusCode, 201);
    assert.equal(response.statusMessage, "Made It");
    assert.deepEqual(response.rawHeaders.slice(0, 8), [
      "X-Mixed-Case",
      "1",
      "Set-Cookie",
      "a=1",
      "Set-Cookie",
      "b=2",
      "Content-Type",
      "text/plain",
    ]);
    assert.deepEqual(response.headersDistinct["set-cookie"], ["a=1", "b=2"]);
    assert.equal(await readBody(response), "you asked GET /p?q=1 with x-a=yes\n");
    assert.equal(response.complete, true);
  });

  it("sends a complete body with its Content-Length, even when the client had sent it chunked", async () => {
    app.set((req, res, body) => {
      res.end(
        `${String(req.headers["content-length"])} ${String(req.headers["transfer-encoding"])} ${body.toString()}`,
      );
    });
    const response = await send({
      target: plainTarget(app.port),
      method: "POST",
      path: "/",
      headers: { host: "app", "transfer-encoding": "chunked" },
      body: { kind: "complete", bytes: Buffer.from("hello") },
    });
    assert.equal(await readBody(response), "5 undefined hello");
  });

  it("streams a body too big to keep: what was read first, then the rest of the client's request", async () => {
    app.set((_req, res, body) => res.end(body.toString()));
    // The client's request: a real IncomingMessage, paused part-way as readRequestBody leaves it.
    const client = http.createServer();
    client.on("request", (req: IncomingMessage, res: ServerResponse) => {
      req.once("data", (first: Buffer) => {
        req.pause();
        send({
          target: plainTarget(app.port),
          method: "PUT",
          path: "/",
          headers: { host: "app", "transfer-encoding": "chunked" },
          body: { kind: "streaming", head: [first], rest: req },
        }).then(
          (response) => response.pipe(res),
          () => res.destroy(),
        );
      });
    });
    client.listen(0, "127.0.0.1");
    await once(client, "listening");
    const port = (client.address() as net.AddressInfo).port;
    try {
      const sent = "x".repeat(300_000);
      const answer = await new Promise<string>((resolve, reject) => {
        const req = http.request({ port, host: "127.0.0.1", method: "PUT", path: "/" }, (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () => resolve(Buffer.concat(chunks).toString()));
        });
        req.on("error", reject);
        req.write(sent.slice(0, 1000));
        setTimeout(() => req.end(sent.slice(1000)), 20);
      });
      assert.equal(answer.length, sent.length);
      assert.equal(answer, sent);
    } finally {
      client.closeAllConnections();
      client.close();
    }
  });

  it("skips 1xx informational responses and resolves with the final one", async () => {
    app.set((_req, res) => {
      res.writeEarlyHints({ link: "</style.css>; rel=preload" });
      res.end("final\n");
    });
    const response = await send({
      target: plainTarget(app.port),
      method: "GET",
      path: "/",
      headers: { host: "app" },
      body: undefined,
    });
    assert.equal(response.statusCode, 200);
    assert.equal(await readBody(response), "final\n");
  });

  it("rejects with the socket error's code when the app cannot be reached", async () => {
    const closed = net.createServer().listen(0, "127.0.0.1");
    await once(closed, "listening");
    const port = (closed.address() as net.AddressInfo).port;
    closed.close();
    await assert.rejects(
      send({ target: plainTarget(port), method: "GET", path: "/", headers: { host: "x" }, body: undefined }),
      { code: "ECONNREFUSED" },
    );
  });

  it("aborts the request when the signal is aborted before the answer", async () => {
    const appSawClose = new Promise<void>((resolve) =>
      app.set((req) => req.socket.once("close", () => resolve())),
    );
    const controller = new AbortController();
    const pending = send(
      { target: plainTarget(app.port), method: "GET", path: "/", headers: { host: "x" }, body: undefined },
      controller.signal,
    );
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(pending);
    await appSawClose;
  });

  it("aborts the request when the client's response closes unfinished", async () => {
    const appSawClose = new Promise<void>((resolve) =>
      app.set((req) => req.socket.once("close", () => resolve())),
    );
    const clientResponse = new http.ServerResponse(new http.IncomingMessage(new net.Socket()));
    const pending = send({
      target: plainTarget(app.port),
      method: "GET",
      path: "/",
      headers: { host: "x" },
      body: undefined,
      client: clientResponse,
    });
    setTimeout(() => clientResponse.emit("close"), 50);
    await assert.rejects(pending);
    await appSawClose;
  });

  it("closes the app's connection when the response is destroyed part-way through its body", async () => {
    let appSawClose: Promise<unknown> = Promise.resolve();
    app.set((req, res) => {
      appSawClose = once(req.socket, "close");
      res.writeHead(200, { "content-length": 1_000_000 });
      res.write("x".repeat(1000));
    });
    const response = await send({
      target: plainTarget(app.port),
      method: "GET",
      path: "/",
      headers: { host: "x" },
      body: undefined,
    });
    await once(response, "data");
    response.destroy();
    await appSawClose;
    assert.equal(response.complete, false);
  });

  it("ends the response with an error when the app's connection breaks mid-body", async () => {
    app.set((req, res) => {
      res.writeHead(200, { "content-length": 1000 });
      res.write("x".repeat(10), () => req.socket.destroy());
    });
    const response = await send({
      target: plainTarget(app.port),
      method: "GET",
      path: "/",
      headers: { host: "x" },
      body: undefined,
    });
    await assert.rejects(readBody(response));
    assert.equal(response.complete, false);
  });
});

describe("createUpstreamSender (undici) to an HTTPS app", () => {
  let ca: TestCa;
  let server: https.Server;
  let port: number;
  before(async () => {
    ca = await createTestCa("upstream-sender test CA");
    const leaf = await ca.issue(["localhost", "127.0.0.1"]);
    server = https.createServer({ cert: leaf.certPem, key: leaf.keyPem });
    const app = await startApp(server);
    app.set((_req, res) => res.end("secure\n"));
    port = app.port;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  /** GET https://localhost:<port>/ with connections made from `options`; the body, once read. */
  async function getSecurePage(options: UpstreamConnectionOptions): Promise<string> {
    const connections = createUpstreamConnections(options);
    try {
      const response = await createUpstreamSender(connections.dispatcher)({
        target: { scheme: "https", hostname: "localhost", port },
        method: "GET",
        path: "/",
        headers: { host: `localhost:${port}` },
        body: undefined,
      });
      return await readBody(response);
    } finally {
      connections.destroy();
    }
  }

  it("verifies the app's certificate against the extra CAs, with the host name as server name", async () => {
    assert.equal(await getSecurePage({ extraCa: [ca.certPem] }), "secure\n");
  });

  it("refuses an app whose certificate chains to no trusted CA", async () => {
    await assert.rejects(getSecurePage({}), { code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE" });
  });

  describe("through a SOCKS5 server", () => {
    let socks: FakeSocksServer;
    before(async () => {
      socks = await startFakeSocksServer();
    });
    after(() => socks.close());
    afterEach(() => socks.requests.splice(0));

    it("opens the connection through it, host name unresolved, and verifies TLS on top", async () => {
      socks.routes.set(`localhost:${port}`, port);
      const page = await getSecurePage({
        socks: { hostname: "127.0.0.1", port: socks.port, host: `127.0.0.1:${socks.port}` },
        extraCa: [ca.certPem],
      });
      assert.equal(page, "secure\n");
      assert.deepEqual(
        socks.requests.map((request) => [request.host, request.port]),
        [["localhost", port]],
      );
    });
  });
});
