import assert from "node:assert/strict";
import { once } from "node:events";
import http from "node:http";
import net from "node:net";
import { after, afterEach, before, describe, it } from "node:test";
import { ProxyError } from "../../../../proxy/common/errors.js";
import {
  createUpstreamConnections,
  type UpstreamConnections,
} from "../../../../proxy/upstream/upstream-connections.js";
import {
  createUpstreamSender,
  type UpstreamRequest,
  type UpstreamSender,
} from "../../../../proxy/upstream/sender.js";
import type { UpstreamResponse } from "../../../../proxy/upstream/upstream-response.js";

/*
 * When the proxy's sender reuses a connection to an app, and when it must not: the pool is what
 * makes forwarding cheap, and a wrong reuse would hand one response to another request.
 */

const target = (port: number): UpstreamRequest["target"] => ({
  scheme: "http",
  hostname: "127.0.0.1",
  port,
  host: `127.0.0.1:${port}`,
});

const get = (port: number, path = "/"): UpstreamRequest => ({
  target: target(port),
  method: "GET",
  path,
  headers: { host: `127.0.0.1:${port}` },
  body: undefined,
});

async function readBody(response: UpstreamResponse): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("latin1");
}

/** What a scripted app does with the n-th request on the c-th connection (both from 0). */
type Script = (connection: number, request: number, head: string, socket: net.Socket) => void;

/** A raw TCP app answering each request head as `script` says; counts connections and requests. */
async function startScriptedApp(
  script: Script,
): Promise<{ port: number; connections(): number; requests: string[]; close(): void }> {
  const sockets = new Set<net.Socket>();
  const requests: string[] = [];
  let connections = 0;
  const server = net.createServer((socket) => {
    const connection = connections++;
    let served = 0;
    sockets.add(socket);
    socket.on("error", () => undefined);
    socket.on("data", (chunk: Buffer) => {
      // Each test's requests arrive whole, one per read (the sender writes a head in one go).
      const head = chunk.toString("latin1");
      requests.push(head);
      script(connection, served++, head, socket);
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => connections,
    requests,
    close() {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

const OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

describe("createUpstreamSender: kept-alive connections to apps", () => {
  let connections: UpstreamConnections;
  let send: UpstreamSender;
  const apps: { close(): void }[] = [];
  before(() => {
    connections = createUpstreamConnections();
    send = createUpstreamSender(connections, { headTimeoutMs: 2000 });
  });
  afterEach(() => {
    for (const app of apps.splice(0)) app.close();
  });
  after(() => connections.destroy());

  async function scripted(script: Script): Promise<Awaited<ReturnType<typeof startScriptedApp>>> {
    const app = await startScriptedApp(script);
    apps.push(app);
    return app;
  }

  it("sends requests one after another on one connection to a node:http app", async () => {
    const server = http.createServer((_req, res) => res.end("hello"));
    let opened = 0;
    server.on("connection", () => (opened += 1));
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    apps.push({ close: () => (server.closeAllConnections(), server.close()) });
    const { port } = server.address() as net.AddressInfo;
    const bodies: string[] = [];
    for (let i = 0; i < 3; i++) bodies.push(await readBody(await send(get(port))));
    assert.deepEqual([bodies, opened], [["hello", "hello", "hello"], 1]);
  });

  it("keeps at most 64 idle connections to one app after a burst, closing the rest", async () => {
    // 70 requests at once need 70 connections; once they are answered only 64 stay open.
    const held: http.ServerResponse[] = [];
    let release = (): void => undefined;
    const allArrived = new Promise<void>((resolve) => (release = resolve));
    const server = http.createServer((_req, res) => {
      held.push(res);
      if (held.length === 70) release();
    });
    const open = new Set<net.Socket>();
    server.on("connection", (socket: net.Socket) => {
      open.add(socket);
      socket.once("close", () => open.delete(socket));
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    apps.push({ close: () => (server.closeAllConnections(), server.close()) });
    const { port } = server.address() as net.AddressInfo;
    const responses = Array.from({ length: 70 }, () => send(get(port)));
    await allArrived;
    for (const res of held) res.end("ok");
    for (const response of await Promise.all(responses)) await readBody(response);
    // The closes travel to the app's side: wait until no more arrive.
    for (let waited = 0; open.size > 64 && waited < 2000; waited += 20)
      await new Promise((r) => setTimeout(r, 20));
    assert.equal(open.size, 64);
  });

  const notReused: readonly (readonly [string, string, string])[] = [
    [
      "the app says Connection: close",
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
      "ok",
    ],
    ["the app answers HTTP/1.0", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", "ok"],
    [
      "the app sends bytes after the response's end",
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA",
      "ok",
    ],
    [
      "the app keeps idle connections for 1 s (Keep-Alive: timeout=1)",
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nKeep-Alive: timeout=1\r\n\r\nok",
      "ok",
    ],
  ];
  for (const [when, reply, body] of notReused) {
    it(`opens a new connection for the next request when ${when}`, async () => {
      const app = await scripted((_connection, _request, _head, socket) => socket.write(reply));
      const first = await readBody(await send(get(app.port)));
      const second = await readBody(await send(get(app.port)));
      assert.deepEqual([first, second, app.connections()], [body, body, 2]);
    });
  }

  it("relays a body without framing until the app closes, and does not reuse that connection", async () => {
    const app = await scripted((_connection, _request, _head, socket) =>
      socket.end("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nread until close"),
    );
    const response = await send(get(app.port));
    assert.deepEqual(
      [response.statusCode, await readBody(response), response.complete],
      [200, "read until close", true],
    );
    await readBody(await send(get(app.port)));
    assert.equal(app.connections(), 2);
  });

  it("sends a GET once more on a new connection when the kept-alive one was closed by the app as it went out", async () => {
    // The app answers the first request, then closes the connection when the second arrives
    // (as a server whose idle timeout just ran out does); the new connection answers.
    const app = await scripted((connection, request, _head, socket) => {
      if (connection === 0 && request === 1) socket.destroy();
      else socket.write(OK);
    });
    assert.equal(await readBody(await send(get(app.port, "/first"))), "ok");
    assert.equal(await readBody(await send(get(app.port, "/second"))), "ok");
    assert.deepEqual(
      [app.connections(), app.requests.map((head) => head.split(" ")[1])],
      [2, ["/first", "/second", "/second"]],
    );
  });

  it("does not send a POST again: it was perhaps applied, so the client gets 502 UPSTREAM_UNREACHABLE", async () => {
    const app = await scripted((connection, request, _head, socket) => {
      if (connection === 0 && request === 1) socket.destroy();
      else socket.write(OK);
    });
    assert.equal(await readBody(await send(get(app.port))), "ok");
    const port = app.port;
    await assert.rejects(
      send({
        target: target(port),
        method: "POST",
        path: "/pay",
        headers: { host: `127.0.0.1:${port}` },
        body: { kind: "complete", bytes: Buffer.from("x") },
      }),
      (error: Error) => {
        assert.ok(error instanceof ProxyError);
        assert.deepEqual(
          [error.status, error.code, error.message],
          [
            502,
            "UPSTREAM_UNREACHABLE",
            `Cannot reach 127.0.0.1:${port}: the connection closed before a complete response`,
          ],
        );
        return true;
      },
    );
    assert.deepEqual([app.connections(), app.requests.length], [1, 2]);
  });

  it("refuses a 101 the request did not ask for with 502 UPSTREAM_BAD_RESPONSE", async () => {
    const app = await scripted((_connection, _request, _head, socket) =>
      socket.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n"),
    );
    await assert.rejects(send(get(app.port)), (error: Error) => {
      assert.ok(error instanceof ProxyError);
      assert.deepEqual(
        [error.status, error.code, error.message],
        [502, "UPSTREAM_BAD_RESPONSE", `127.0.0.1:${app.port} switched protocols without being asked to`],
      );
      return true;
    });
  });

  it("refuses a header value with CR LF in it with 400 REQUEST_INVALID, sending nothing", async () => {
    const app = await scripted((_connection, _request, _head, socket) => socket.write(OK));
    await assert.rejects(
      send({ ...get(app.port), headers: { host: `127.0.0.1:${app.port}`, "x-a": "1\r\nInjected: yes" } }),
      (error: Error) => {
        assert.ok(error instanceof ProxyError);
        assert.deepEqual(
          [error.status, error.code, error.message],
          [
            400,
            "REQUEST_INVALID",
            `The request cannot be forwarded to 127.0.0.1:${app.port}: the value of x-a has a character HTTP/1.1 does not allow`,
          ],
        );
        return true;
      },
    );
    assert.equal(app.connections(), 0);
  });

  it("sends POST, PUT and PATCH without a body with Content-Length: 0, and GET without one", async () => {
    const app = await scripted((_connection, _request, _head, socket) => socket.write(OK));
    for (const method of ["POST", "PUT", "PATCH", "GET"]) {
      await readBody(
        await send({ ...get(app.port), method, body: { kind: "complete", bytes: Buffer.alloc(0) } }),
      );
    }
    assert.deepEqual(
      app.requests.map((head) => /content-length: (\d+)/i.exec(head)?.[1] ?? "none"),
      ["0", "0", "0", "none"],
    );
  });
});

describe("UpstreamConnections.destroy", () => {
  it("closes a connection in use: the response being read ends with an error", async () => {
    const app = await startScriptedApp((_connection, _request, _head, socket) =>
      socket.write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf"),
    );
    const connections = createUpstreamConnections();
    try {
      const response = await createUpstreamSender(connections)(get(app.port));
      const reading = readBody(response);
      connections.destroy();
      await assert.rejects(reading, /the connection closed before a complete response/);
    } finally {
      connections.destroy();
      app.close();
    }
  });
});
