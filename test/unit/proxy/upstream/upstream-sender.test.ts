import assert from "node:assert/strict";
import { once } from "node:events";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import https from "node:https";
import net from "node:net";
import { Writable } from "node:stream";
import { after, afterEach, before, describe, it } from "node:test";
import {
  createUpstreamConnections,
  type UpstreamConnectionOptions,
  type UpstreamConnections,
} from "../../../../proxy/upstream/upstream-connections.js";
import { createUpstreamSender, type UpstreamSender } from "../../../../proxy/upstream/sender.js";
import type { UpstreamResponse } from "../../../../proxy/upstream/upstream-response.js";
import { ProxyError } from "../../../../proxy/common/errors.js";
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

const plainTarget = (port: number) => ({
  scheme: "http" as const,
  hostname: "127.0.0.1",
  port,
  host: `127.0.0.1:${port}`,
});

describe("createUpstreamSender to a plain-HTTP app", () => {
  const server = http.createServer();
  let app: Awaited<ReturnType<typeof startApp>>;
  let connections: UpstreamConnections;
  let send: UpstreamSender;
  before(async () => {
    app = await startApp(server);
    connections = createUpstreamConnections();
    send = createUpstreamSender(connections);
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
      (error: Error & { cause?: { code?: string } }) => {
        assert.ok(error instanceof ProxyError);
        assert.deepEqual(
          [error.code, error.status, error.message, error.cause?.code],
          ["UPSTREAM_UNREACHABLE", 502, `Cannot reach 127.0.0.1:${port}: ECONNREFUSED`, "ECONNREFUSED"],
        );
        return true;
      },
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

/** A client response that takes each chunk after a turn of the event loop, recording what it got. */
function slowClient(highWaterMark: number): Writable & { readonly received: () => Buffer } {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    highWaterMark,
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      setImmediate(callback);
    },
  });
  return Object.assign(sink, { received: () => Buffer.concat(chunks) });
}

describe("UpstreamResponse.relayBodyTo", () => {
  const server = http.createServer();
  let app: Awaited<ReturnType<typeof startApp>>;
  let connections: UpstreamConnections;
  let send: UpstreamSender;
  before(async () => {
    app = await startApp(server);
    connections = createUpstreamConnections();
    send = createUpstreamSender(connections);
  });
  after(() => {
    connections.destroy();
    server.closeAllConnections();
    server.close();
  });
  const get = (): Promise<UpstreamResponse> =>
    send({
      target: plainTarget(app.port),
      method: "GET",
      path: "/",
      headers: { host: "x" },
      body: undefined,
    });

  it("ends the client with a small body that arrived with the head, in one call, as a latin1 string (joined to the head)", async () => {
    app.set((_req, res) => res.end("small body\n"));
    const response = await get();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const calls: unknown[][] = [];
    const client = {
      write: (...args: unknown[]) => calls.push(["write", ...args]) > 0,
      end: (...args: unknown[]) => (calls.push(["end", ...args.map(String)]), client),
      once: () => client,
      destroyed: false,
    };
    response.relayBodyTo(client as unknown as Writable);
    assert.deepEqual(calls, [["end", "small body\n", "latin1"]]);
    assert.equal(response.complete, true);
  });

  it("relays a body bigger than the client takes at once, pausing the app until the client drains", async () => {
    const body = Buffer.alloc(2_000_000, "y");
    app.set((_req, res) => res.end(body));
    const response = await get();
    const client = slowClient(1024);
    response.relayBodyTo(client);
    await once(client, "finish");
    assert.equal(client.received().length, body.length);
    assert.equal(response.complete, true);
  });

  it("closes the app's connection when the client goes away before the body ended", async () => {
    let appSawClose: Promise<unknown> = Promise.resolve();
    app.set((req, res) => {
      appSawClose = once(req.socket, "close");
      res.writeHead(200, { "content-length": 1_000_000 });
      res.write("x".repeat(1000));
    });
    const response = await get();
    const client = slowClient(16 * 1024);
    response.relayBodyTo(client);
    await new Promise((resolve) => setTimeout(resolve, 20));
    client.destroy();
    await appSawClose;
    assert.equal(response.complete, false);
    assert.equal(response.destroyed, true);
  });

  it("keeps every byte of a binary body joined to the head", async () => {
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    app.set((_req, res) => res.end(bytes));
    const proxyish = http.createServer((_req, res) => {
      void get().then((response) => {
        res.writeHead(200, { "content-length": bytes.length });
        setTimeout(() => response.relayBodyTo(res), 20);
      });
    });
    proxyish.listen(0, "127.0.0.1");
    await once(proxyish, "listening");
    try {
      const { port } = proxyish.address() as net.AddressInfo;
      const received = await fetch(`http://127.0.0.1:${port}/`).then(async (r) =>
        Buffer.from(await r.arrayBuffer()),
      );
      assert.deepEqual(received, bytes);
    } finally {
      proxyish.closeAllConnections();
      proxyish.close();
    }
  });

  it("still reads through the stream interface what arrived before the first read", async () => {
    app.set((_req, res) => res.end("read later\n"));
    const response = await get();
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(await readBody(response), "read later\n");
  });
});

describe("createUpstreamSender to an HTTPS app", () => {
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
      const response = await createUpstreamSender(connections)({
        target: { scheme: "https", hostname: "localhost", port, host: `localhost:${port}` },
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
    await assert.rejects(getSecurePage({}), {
      code: "UPSTREAM_CERTIFICATE_INVALID",
      message: `The certificate of localhost:${port} is not trusted: UNABLE_TO_VERIFY_LEAF_SIGNATURE (pass its CA with --upstream-ca)`,
    });
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

/** An app that answers every connection with `reply` (raw bytes, or nothing), then does `then`. */
async function startRawApp(
  reply: string,
  then: "stall" | "end" | "reset",
): Promise<{ target: ReturnType<typeof plainTarget>; close(): void }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => undefined);
    socket.once("data", () => {
      if (reply !== "") socket.write(reply);
      if (then === "end") socket.end();
      else if (then === "reset") socket.resetAndDestroy();
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as net.AddressInfo;
  return {
    target: plainTarget(port),
    close() {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

describe("createUpstreamSender: an app that misbehaves", () => {
  let connections: UpstreamConnections;
  let send: UpstreamSender;
  before(() => {
    connections = createUpstreamConnections();
    send = createUpstreamSender(connections, { headTimeoutMs: 200 });
  });
  after(() => connections.destroy());

  const cases: readonly (readonly [string, string, "stall" | "end" | "reset", string, number, RegExp])[] = [
    [
      "sends non-HTTP bytes",
      "garbage\r\n\r\n",
      "end",
      "UPSTREAM_BAD_RESPONSE",
      502,
      /^127\.0\.0\.1:\d+ sent a response the proxy cannot read: /,
    ],
    [
      "folds a header line (obs-fold)",
      "HTTP/1.1 200 OK\r\nX-A: 1\r\n  folded\r\nContent-Length: 0\r\n\r\n",
      "end",
      "UPSTREAM_BAD_RESPONSE",
      502,
      /^127\.0\.0\.1:\d+ sent a response the proxy cannot read: /,
    ],
    [
      "resets the connection in the middle of its head",
      "HTTP/1.1 200 O",
      "reset",
      "UPSTREAM_UNREACHABLE",
      502,
      /^Cannot reach 127\.0\.0\.1:\d+: /,
    ],
    [
      "stops half-way through its head",
      "HTTP/1.1 200 OK\r\nX-A: 1\r\n",
      "stall",
      "UPSTREAM_TIMEOUT",
      504,
      /^127\.0\.0\.1:\d+ did not send its response head within 0\.2 s \(the upstream timeout\)$/,
    ],
  ];
  for (const [what, reply, then, code, status, message] of cases) {
    it(`rejects with ${status} ${code} when the app ${what}`, async () => {
      const app = await startRawApp(reply, then);
      try {
        await assert.rejects(
          send({
            target: app.target,
            method: "GET",
            path: "/",
            headers: { host: app.target.host },
            body: undefined,
          }),
          (error: Error) => {
            assert.ok(error instanceof ProxyError, String(error));
            assert.deepEqual([error.code, error.status], [code, status]);
            assert.match(error.message, message);
            return true;
          },
        );
      } finally {
        app.close();
      }
    });
  }
});

describe("createUpstreamSender: upgrades", () => {
  const server = http.createServer((_req, res) => res.end("no upgrade here\n"));
  let port: number;
  let connections: UpstreamConnections;
  let send: UpstreamSender;
  const seen: { connection?: string | undefined; upgrade?: string | undefined }[] = [];
  before(async () => {
    server.on("upgrade", (req: IncomingMessage, socket: net.Socket) => {
      seen.push({ connection: req.headers.connection, upgrade: req.headers.upgrade });
      if (req.url === "/refuse") {
        socket.end("HTTP/1.1 401 Unauthorized\r\nContent-Length: 4\r\nConnection: close\r\n\r\nnope");
        return;
      }
      socket.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n");
      socket.pipe(socket);
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    port = (server.address() as net.AddressInfo).port;
    connections = createUpstreamConnections();
    send = createUpstreamSender(connections);
  });
  after(() => {
    connections.destroy();
    server.closeAllConnections();
    server.close();
  });

  it("asks the app to switch and resolves a 101 with the connection in `upgraded`", async () => {
    const response = await send({
      target: plainTarget(port),
      method: "GET",
      path: "/ws",
      headers: { host: `127.0.0.1:${port}` },
      body: undefined,
      upgrade: "echo",
    });
    assert.equal(response.statusCode, 101);
    assert.deepEqual(seen.at(-1), { connection: "upgrade", upgrade: "echo" });
    const socket = response.upgraded;
    assert.ok(socket !== undefined);
    socket.write("ping");
    const [echoed] = (await once(socket, "data")) as [Buffer];
    assert.equal(echoed.toString(), "ping");
    socket.destroy();
  });

  it("resolves an app's refusal of the upgrade as an ordinary response, with no connection handed over", async () => {
    const response = await send({
      target: plainTarget(port),
      method: "GET",
      path: "/refuse",
      headers: { host: `127.0.0.1:${port}` },
      body: undefined,
      upgrade: "echo",
    });
    assert.deepEqual(
      [response.statusCode, response.upgraded, await readBody(response)],
      [401, undefined, "nope"],
    );
  });
});
