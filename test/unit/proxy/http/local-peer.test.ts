import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { createServer, request, Agent, type Server } from "node:http";
import net, { type AddressInfo } from "node:net";
import { endianness } from "node:os";
import { afterEach, describe, it } from "node:test";
import {
  checkAllowOtherUsers,
  createLocalUserGuard,
  findLocalPeerUid,
  type LocalUserGuardOptions,
} from "../../../../proxy/http/local-peer.js";
import { createMemoryLogger } from "../fakes.js";

const ownUid = process.getuid?.();
const onLinux =
  ownUid !== undefined &&
  (await readFile("/proc/net/tcp").then(
    () => true,
    () => false,
  ));
const noProc = "this system has no /proc/net/tcp";

async function hasIpv6Loopback(): Promise<boolean> {
  const probe = net.createServer();
  return new Promise<boolean>((resolve) => {
    probe.once("error", () => resolve(false)).listen(0, "::1", () => probe.close(() => resolve(true)));
  });
}

/** Connects to `host`:`port` and resolves with both ends, as each side sees them. */
async function connectPair(
  server: net.Server,
  host: string,
): Promise<{ client: net.Socket; accepted: net.Socket }> {
  const accepted = new Promise<net.Socket>((resolve) => server.once("connection", resolve));
  const client = net.connect((server.address() as AddressInfo).port, host);
  await new Promise((resolve) => client.once("connect", resolve));
  return { client, accepted: await accepted };
}

describe("findLocalPeerUid", () => {
  const servers: net.Server[] = [];
  const sockets: net.Socket[] = [];
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  });

  for (const host of ["127.0.0.1", "::1"]) {
    it(`finds this test's own uid for a real connection on ${host}`, async (t) => {
      if (!onLinux) return t.skip(noProc);
      if (host === "::1" && !(await hasIpv6Loopback())) return t.skip("this machine has no IPv6 loopback");
      const server = net.createServer();
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, host, resolve));
      const { client, accepted } = await connectPair(server, host);
      sockets.push(client, accepted);
      const uid = await findLocalPeerUid(
        { address: accepted.remoteAddress ?? "", port: accepted.remotePort ?? 0 },
        { address: accepted.localAddress ?? "", port: accepted.localPort ?? 0 },
      );
      assert.equal(uid, ownUid);
    });
  }

  it("matches the client's row, not the accepted socket's own row (same ports, the other way round)", async (t) => {
    if (endianness() !== "LE") return t.skip("the table below is as a little-endian kernel writes it");
    const table = [
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
      "   0: 0100007F:1F90 0100007F:B3B9 01 00000000:00000000 00:00000000 00000000  1000        0 2 1",
      "   1: 0100007F:B3B9 0100007F:1F90 01 00000000:00000000 00:00000000 00000000 65534        0 1 1",
    ].join("\n");
    async function* read(path: string): AsyncGenerator<string> {
      if (path !== "/proc/net/tcp") throw Object.assign(new Error("no"), { code: "ENOENT" });
      // Rows split across chunks, as reads of the kernel's file may give them.
      for (let at = 0; at < table.length; at += 50) yield await Promise.resolve(table.slice(at, at + 50));
    }
    const uid = await findLocalPeerUid(
      { address: "127.0.0.1", port: 0xb3b9 },
      { address: "127.0.0.1", port: 8080 },
      read,
    );
    assert.equal(uid, 65534);
  });

  it("looks in /proc/net/tcp6 for an IPv4-mapped client and gives undefined when no row matches", async () => {
    const reads: string[] = [];
    async function* read(path: string): AsyncGenerator<string> {
      reads.push(path);
      yield await Promise.resolve("  sl  local_address rem_address   st\n");
    }
    assert.equal(
      await findLocalPeerUid(
        { address: "::ffff:127.0.0.1", port: 1 },
        { address: "::ffff:127.0.0.1", port: 2 },
        read,
      ),
      undefined,
    );
    assert.deepEqual(reads, ["/proc/net/tcp", "/proc/net/tcp6"]);
  });
});

describe("createLocalUserGuard", () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => (server === undefined ? resolve(undefined) : server.close(resolve)));
    server = undefined;
  });

  /** An HTTP server guarded with `options`, counting the requests its handler saw. */
  async function startGuarded(options: Omit<LocalUserGuardOptions, "logger">, host = "127.0.0.1") {
    const logger = createMemoryLogger();
    const handled = { count: 0 };
    server = createServer((_req, res) => {
      handled.count++;
      res.end("served");
    });
    const guard = createLocalUserGuard({ ...options, logger });
    guard.protect(server);
    await new Promise<void>((resolve) => server?.listen(0, host, resolve));
    const { port } = server.address() as AddressInfo;
    return {
      logger,
      handled,
      guard,
      port,
      url: `http://${host.includes(":") ? `[${host}]` : host}:${port}/`,
    };
  }

  function get(
    url: string,
    agent?: Agent,
  ): Promise<{ status: number; code: string | undefined; body: string }> {
    return new Promise((resolve, reject) => {
      request(url, { agent }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("end", () => {
          const code = res.headers["iam-auth-proxy-error"];
          resolve({ status: res.statusCode ?? 0, code: Array.isArray(code) ? code[0] : code, body });
        });
      })
        .on("error", reject)
        .end();
    });
  }

  it("serves a connection from the proxy's own OS user", async (t) => {
    if (!onLinux) return t.skip(noProc);
    const { handled, url, logger } = await startGuarded({});
    assert.deepEqual(await get(url), { status: 200, code: undefined, body: "served" });
    assert.equal(handled.count, 1);
    assert.deepEqual(logger.lines, []);
  });

  it("refuses another OS user's connection with one 403 OTHER_USER_REFUSED and one log line, before HTTP sees it", async (t) => {
    if (!onLinux || ownUid === undefined) return t.skip(noProc);
    const { handled, url, logger } = await startGuarded({ ownUid: ownUid + 1 });
    assert.deepEqual(await get(url), {
      status: 403,
      code: "OTHER_USER_REFUSED",
      body:
        `OTHER_USER_REFUSED: This proxy acts for OS user uid ${ownUid + 1}, not for uid ${ownUid}: run your own proxy ` +
        "(or start this one with --allow-other-users)\n",
    });
    assert.equal(handled.count, 0);
    assert.deepEqual(logger.lines, [`client outcome=refused code=OTHER_USER_REFUSED uid=${ownUid}`]);
  });

  it("refuses on ::1 too", async (t) => {
    if (!onLinux || ownUid === undefined) return t.skip(noProc);
    if (!(await hasIpv6Loopback())) return t.skip("this machine has no IPv6 loopback");
    const { handled, url } = await startGuarded({ ownUid: ownUid + 1 }, "::1");
    assert.equal((await get(url)).code, "OTHER_USER_REFUSED");
    assert.equal(handled.count, 0);
  });

  it("refuses when the owner cannot be read (fails closed), logging the reason", async () => {
    const { handled, url, logger } = await startGuarded({
      ownUid: 1000,
      available: true,
      read: async function* () {
        throw new Error(await Promise.resolve("EACCES: permission denied, open '/proc/net/tcp'"));
      },
    });
    const answer = await get(url);
    assert.deepEqual([answer.status, answer.code], [403, "OTHER_USER_REFUSED"]);
    assert.equal(handled.count, 0);
    assert.deepEqual(logger.lines, [
      `client outcome=refused code=OTHER_USER_REFUSED uid=unknown reason="EACCES: permission denied, open '/proc/net/tcp'"`,
    ]);
  });

  it("reads the tables once per connection: keep-alive requests reuse the answer", async (t) => {
    if (!onLinux) return t.skip(noProc);
    const reads: string[] = [];
    const { handled, url } = await startGuarded({
      read: async function* (path) {
        reads.push(path);
        yield await readFile(path, "latin1");
      },
    });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (let i = 0; i < 3; i++) assert.equal((await get(url, agent)).status, 200);
    } finally {
      agent.destroy();
    }
    assert.equal(handled.count, 3);
    assert.deepEqual(reads, ["/proc/net/tcp"]);
  });

  it("reads the tables once for the connections that arrive while they are being read (a browser's burst)", async (t) => {
    if (!onLinux) return t.skip(noProc);
    const reads: string[] = [];
    const { handled, url } = await startGuarded({
      read: async function* (path) {
        reads.push(path);
        // A slow read, so the burst surely arrives while the first one runs.
        await new Promise((resolve) => setTimeout(resolve, 100));
        yield await readFile(path, "latin1");
      },
    });
    const answers = await Promise.all([1, 2, 3, 4, 5, 6].map(() => get(url)));
    assert.deepEqual(
      answers.map((answer) => answer.status),
      [200, 200, 200, 200, 200, 200],
    );
    assert.equal(handled.count, 6);
    // The first connection's read, then one for the five that came during it.
    assert.deepEqual(reads, ["/proc/net/tcp", "/proc/net/tcp"]);
  });

  it("with allowOtherUsers serves every user and reads nothing", async () => {
    const reads: string[] = [];
    const { handled, url, logger } = await startGuarded({
      allowOtherUsers: true,
      ownUid: 12345,
      available: true,
      read: async function* (path) {
        reads.push(path);
        yield await Promise.resolve("");
      },
    });
    assert.equal((await get(url)).status, 200);
    assert.equal(handled.count, 1);
    assert.deepEqual([reads, logger.lines], [[], []]);
  });

  it("on a system without /proc/net/tcp warns once and serves", async () => {
    const { handled, url, logger } = await startGuarded({ ownUid: 12345, available: false });
    assert.equal((await get(url)).status, 200);
    assert.equal((await get(url)).status, 200);
    assert.equal(handled.count, 2);
    assert.deepEqual(logger.lines, [
      'warning message="this system has no /proc/net/tcp: the proxy cannot check which OS user connects, so every local user can use it to act as you"',
    ]);
  });

  /** A raw client connection to the guarded server, and a promise of its close. */
  async function connectRaw(
    port: number,
    allowHalfOpen = false,
  ): Promise<{ socket: net.Socket; closed: Promise<void>; received: () => string }> {
    const socket = net.connect({ port, host: "127.0.0.1", allowHalfOpen });
    let text = "";
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => (text += chunk));
    const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    socket.on("error", () => undefined);
    await new Promise((resolve) => socket.once("connect", resolve));
    return { socket, closed, received: () => text };
  }

  /**
   * Whether `closed` settles within a second: far longer than destroying a socket takes, and
   * shorter than the 2 s a refused connection lingers on its own. Also collects the server's
   * accepted sockets so a failing run destroys them instead of hanging the test file.
   */
  async function closesSoon(closed: Promise<void>): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      closed.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), 1000))),
    ]);
    clearTimeout(timer);
    return outcome;
  }

  it("destroyHeld closes a connection still waiting for its owner, so closing the server does not wait for it", async () => {
    let readStarted!: () => void;
    const started = new Promise<void>((resolve) => (readStarted = resolve));
    const { guard, port } = await startGuarded({
      ownUid: 1000,
      available: true,
      // The owner is never found: the connection stays held until destroyHeld.
      read: async function* () {
        readStarted();
        await new Promise(() => undefined);
        yield "";
      },
    });
    const accepted: net.Socket[] = [];
    server?.on("connection", (socket: net.Socket) => accepted.push(socket));
    const client = await connectRaw(port);
    await started;
    try {
      guard.destroyHeld();
      assert.equal(await closesSoon(client.closed), true, "the held connection was not closed");
      assert.equal(client.received(), "");
    } finally {
      for (const socket of accepted) socket.destroy();
    }
  });

  it("destroyHeld closes a refused connection whose client has not hung up", async (t) => {
    if (!onLinux || ownUid === undefined) return t.skip(noProc);
    const { guard, port } = await startGuarded({ ownUid: ownUid + 1 });
    const accepted: net.Socket[] = [];
    server?.on("connection", (socket: net.Socket) => accepted.push(socket));
    // Half-open: the client does not hang up when the proxy ends its side, as a slow client would not.
    const client = await connectRaw(port, true);
    client.socket.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    try {
      while (!client.received().includes("OTHER_USER_REFUSED")) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      assert.equal(accepted.length, 1);
      assert.equal(
        accepted[0]?.destroyed,
        false,
        "the refused connection lingers for the client to read the 403",
      );
      guard.destroyHeld();
      assert.equal(accepted[0]?.destroyed, true, "the refused connection was not destroyed");
      assert.match(client.received(), /^HTTP\/1\.1 403 /);
    } finally {
      client.socket.destroy();
      for (const socket of accepted) socket.destroy();
    }
  });
});

describe("checkAllowOtherUsers", () => {
  it("is false when not given and the value itself when a boolean", () => {
    const problems: string[] = [];
    assert.deepEqual(
      [
        checkAllowOtherUsers(undefined, problems),
        checkAllowOtherUsers(true, problems),
        checkAllowOtherUsers(false, problems),
      ],
      [false, true, false],
    );
    assert.deepEqual(problems, []);
  });

  it("reports a value that is not a boolean, naming the option, and stays false (checked)", () => {
    const problems: string[] = [];
    assert.equal(checkAllowOtherUsers("yes", problems), false);
    assert.equal(checkAllowOtherUsers(1, problems), false);
    assert.deepEqual(problems, [
      'allowOtherUsers: must be true or false (got "yes")',
      "allowOtherUsers: must be true or false (got 1)",
    ]);
  });
});
