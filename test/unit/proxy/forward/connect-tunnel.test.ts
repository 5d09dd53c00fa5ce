import assert from "node:assert/strict";
import { once } from "node:events";
import net from "node:net";
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import { createProxyServer, parseBindAddress, type ProxyServer } from "../../../../proxy/index.js";
import { createFakeAws, createMemoryLogger, listenOnLoopback } from "../fakes.js";

/** Opens a raw connection to the proxy, sends `CONNECT target`, resolves once the proxy's reply head arrived. */
async function sendConnect(
  proxyPort: number,
  target: string,
): Promise<{ socket: net.Socket; head: string; rest: Buffer }> {
  const socket = net.connect(proxyPort, "127.0.0.1");
  socket.on("error", () => undefined);
  await once(socket, "connect");
  socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`);
  let received = Buffer.alloc(0);
  for (;;) {
    const [chunk] = (await once(socket, "data")) as [Buffer];
    received = Buffer.concat([received, chunk]);
    const end = received.indexOf("\r\n\r\n");
    if (end !== -1) {
      return { socket, head: received.subarray(0, end).toString("latin1"), rest: received.subarray(end + 4) };
    }
  }
}

function readAll(socket: net.Socket, initial: Buffer): Promise<string> {
  return new Promise((resolve) => {
    let text = initial.toString("utf8");
    socket.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
    socket.on("close", () => resolve(text));
  });
}

describe("CONNECT tunnels", () => {
  const echo = net.createServer((socket) => {
    socket.on("error", () => undefined);
    socket.pipe(socket);
  });
  let echoPort = 0;
  let proxy: ProxyServer;
  let proxyPort = 0;
  let logger = createMemoryLogger();

  before(async () => {
    echoPort = await listenOnLoopback(echo);
  });
  after(() => new Promise<void>((resolve) => echo.close(() => resolve())));
  beforeEach(async () => {
    logger = createMemoryLogger();
    proxy = createProxyServer({ bind: parseBindAddress("127.0.0.1:0"), logger, login: createFakeAws().deps });
    const [url] = await proxy.listen();
    proxyPort = Number(new URL(url ?? "").port);
    logger.lines.length = 0;
  });
  afterEach(() => proxy.close());

  it("answers 200 Connection Established and carries bytes both ways", async () => {
    const { socket, head, rest } = await sendConnect(proxyPort, `127.0.0.1:${echoPort}`);
    assert.equal(head, "HTTP/1.1 200 Connection Established");
    const echoed = readAll(socket, rest);
    socket.write("hello through the tunnel");
    await new Promise((resolve) => setTimeout(resolve, 20));
    socket.end();
    assert.equal(await echoed, "hello through the tunnel");
  });

  it("forwards bytes the client sent right after the CONNECT head", async () => {
    const socket = net.connect(proxyPort, "127.0.0.1");
    socket.on("error", () => undefined);
    await once(socket, "connect");
    const all = readAll(socket, Buffer.alloc(0));
    socket.write(`CONNECT 127.0.0.1:${echoPort} HTTP/1.1\r\nHost: x\r\n\r\nearly-bytes`);
    await new Promise((resolve) => setTimeout(resolve, 30));
    socket.end();
    assert.equal(await all, "HTTP/1.1 200 Connection Established\r\n\r\nearly-bytes");
  });

  it("answers 502 naming the host and error code when the target is down", async () => {
    const closed = net.createServer();
    const port = await listenOnLoopback(closed);
    await new Promise((resolve) => closed.close(resolve));
    const { socket, head, rest } = await sendConnect(proxyPort, `127.0.0.1:${port}`);
    const body = await readAll(socket, rest);
    assert.match(head, /^HTTP\/1\.1 502 Bad Gateway\r\n/);
    assert.match(head, /\r\nContent-Type: text\/plain; charset=utf-8\r\n/);
    assert.equal(body, `UPSTREAM_UNREACHABLE: Cannot reach 127.0.0.1:${port}: ECONNREFUSED\n`);
    assert.deepEqual(logger.lines, [
      `tunnel host=127.0.0.1:${port} outcome=upstream-failed code=UPSTREAM_UNREACHABLE cause=ECONNREFUSED reason="Cannot reach 127.0.0.1:${port}: ECONNREFUSED"`,
    ]);
  });

  it("answers 400 to a CONNECT target without a port", async () => {
    const { socket, head, rest } = await sendConnect(proxyPort, "app.internal");
    assert.match(head, /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.equal(
      await readAll(socket, rest),
      'REQUEST_TARGET_INVALID: CONNECT needs a host:port target with a port from 1 to 65535 (got "app.internal")\n',
    );
  });

  it("tears the tunnel down when the target closes", async () => {
    const closing = net.createServer((socket) => socket.end("bye"));
    const port = await listenOnLoopback(closing);
    try {
      const { socket, rest } = await sendConnect(proxyPort, `127.0.0.1:${port}`);
      assert.equal(await readAll(socket, rest), "bye");
    } finally {
      await new Promise((resolve) => closing.close(resolve));
    }
  });

  it("carries what the target sends first, before the client says anything (SSH, SMTP banners)", async () => {
    const greeting = net.createServer((socket) => {
      socket.on("error", () => undefined);
      socket.write("220 ready\r\n");
      socket.on("data", (chunk: Buffer) => socket.end(`echo:${chunk.toString("latin1")}`));
    });
    const port = await listenOnLoopback(greeting);
    try {
      const { socket, rest } = await sendConnect(proxyPort, `127.0.0.1:${port}`);
      const all = readAll(socket, rest);
      await new Promise((resolve) => setTimeout(resolve, 20));
      socket.write("QUIT");
      assert.equal(await all, "220 ready\r\necho:QUIT");
    } finally {
      await new Promise((resolve) => greeting.close(resolve));
    }
  });

  it(
    "relays many megabytes each way complete and in order, to a client that is slow to read",
    { timeout: 20_000 },
    async () => {
      const size = 16 * 1024 * 1024;
      // Not a repeating pattern of the relay buffer's size: a chunk sent twice or overwritten shows.
      const data = Buffer.alloc(size);
      for (let i = 0; i < size; i += 4) data.writeUInt32LE((i * 2654435761) >>> 0, i);
      const uploaded: Buffer[] = [];
      const target = net.createServer((socket) => {
        socket.on("error", () => undefined);
        socket.on("data", (chunk: Buffer) => uploaded.push(chunk));
        socket.write(data);
        socket.on("end", () => socket.end());
      });
      const port = await listenOnLoopback(target);
      try {
        const { socket, rest } = await sendConnect(proxyPort, `127.0.0.1:${port}`);
        // Read nothing for a while: the kernel's buffers fill and the relay has to wait for this client.
        socket.pause();
        await new Promise((resolve) => setTimeout(resolve, 300));
        const downloaded: Buffer[] = rest.length > 0 ? [rest] : [];
        socket.on("data", (chunk: Buffer) => downloaded.push(chunk));
        socket.resume();
        const closed = once(socket, "close");
        socket.end(data);
        await closed;
        assert.equal(Buffer.compare(Buffer.concat(uploaded), data), 0, "the upload arrived intact");
        assert.equal(Buffer.compare(Buffer.concat(downloaded), data), 0, "the download arrived intact");
      } finally {
        await new Promise((resolve) => target.close(resolve));
      }
    },
  );

  it("closes open tunnels when the proxy closes", async () => {
    const { socket } = await sendConnect(proxyPort, `127.0.0.1:${echoPort}`);
    const closed = once(socket, "close");
    await proxy.close();
    await closed;
  });
});
