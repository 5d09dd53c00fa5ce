import assert from "node:assert/strict";
import net, { type AddressInfo } from "node:net";
import { afterEach, describe, it } from "node:test";
import { listenOnBindAddress, type BoundListener } from "../../../../proxy/http/listen.js";
import { createMemoryLogger } from "../fakes.js";

/** A server whose listen on ::1 fails with `code` the first `times` times (as on a machine without IPv6). */
function createFailingIpv6Server(code: string, failures: { remaining: number }): () => net.Server {
  return () => {
    const server = net.createServer();
    const listen = server.listen.bind(server) as (
      options: net.ListenOptions,
      callback: () => void,
    ) => net.Server;
    Object.assign(server, {
      listen: (options: net.ListenOptions, callback: () => void) => {
        if (options.host === "::1" && failures.remaining > 0) {
          failures.remaining--;
          setImmediate(() => server.emit("error", Object.assign(new Error(`listen ${code}`), { code })));
          return server;
        }
        return listen(options, callback);
      },
    });
    return server;
  };
}

/** Reports 0.0.0.0 as its address while really listening on loopback, so no test is reachable from the network. */
class PretendAllInterfacesServer extends net.Server {
  override address(): AddressInfo | string | null {
    const address = super.address();
    return address !== null && typeof address === "object" ? { ...address, address: "0.0.0.0" } : address;
  }
}

describe("listenOnBindAddress", () => {
  let bound: BoundListener[] = [];
  afterEach(async () => {
    await Promise.all(bound.map((each) => new Promise((resolve) => each.server.close(resolve))));
    bound = [];
  });

  it("binds a bare port on 127.0.0.1 first, then ::1 on the same port", async (t) => {
    const probe = net.createServer();
    const ipv6 = await new Promise<boolean>((resolve) => {
      probe.once("error", () => resolve(false)).listen(0, "::1", () => probe.close(() => resolve(true)));
    });
    if (!ipv6) {
      t.skip("this machine has no IPv6 loopback");
      return;
    }
    const logger = createMemoryLogger();
    bound = await listenOnBindAddress({ kind: "loopback", port: 0 }, () => net.createServer(), logger);
    const port = (bound[0]?.server.address() as AddressInfo).port;
    assert.deepEqual(
      bound.map((each) => each.url),
      [`http://127.0.0.1:${port}`, `http://[::1]:${port}`],
    );
    assert.deepEqual(logger.lines, [
      `listening url=http://127.0.0.1:${port}`,
      `listening url=http://[::1]:${port}`,
    ]);
  });

  it("stays on IPv4 and says so when ::1 is not available", async () => {
    const logger = createMemoryLogger();
    const createServer = createFailingIpv6Server("EADDRNOTAVAIL", { remaining: 1 });
    bound = await listenOnBindAddress({ kind: "loopback", port: 0 }, createServer, logger);
    const port = (bound[0]?.server.address() as AddressInfo).port;
    assert.deepEqual(
      bound.map((each) => each.url),
      [`http://127.0.0.1:${port}`],
    );
    assert.deepEqual(logger.lines, [
      `listen-skipped address=::1 port=${port} code=EADDRNOTAVAIL reason="IPv6 loopback is not available on this machine; listening on 127.0.0.1 only"`,
      `listening url=http://127.0.0.1:${port}`,
    ]);
  });

  it("with port 0, picks another port when ::1 already has the one 127.0.0.1 got", async () => {
    const failures = { remaining: 1 };
    bound = await listenOnBindAddress(
      { kind: "loopback", port: 0 },
      createFailingIpv6Server("EADDRINUSE", failures),
      createMemoryLogger(),
    );
    assert.equal(failures.remaining, 0);
    assert.equal(bound[0]?.server.listening, true);
  });

  it("with a fixed port, fails when ::1 has it taken, closing what it bound", async () => {
    const created: net.Server[] = [];
    const createServer = createFailingIpv6Server("EADDRINUSE", { remaining: 1 });
    const port = await freePort();
    await assert.rejects(
      listenOnBindAddress(
        { kind: "loopback", port },
        () => {
          const server = createServer();
          created.push(server);
          return server;
        },
        createMemoryLogger(),
      ),
      { code: "EADDRINUSE" },
    );
    assert.ok(created.every((server) => !server.listening));
  });

  it("binds exactly HOST:PORT without a warning when it is loopback", async () => {
    const logger = createMemoryLogger();
    bound = await listenOnBindAddress(
      { kind: "address", host: "127.0.0.1", port: 0 },
      () => net.createServer(),
      logger,
    );
    assert.equal(bound.length, 1);
    assert.deepEqual(logger.lines, [`listening url=${bound[0]?.url ?? ""}`]);
  });

  it("warns that anyone on the network can act as you when the address is not loopback", async () => {
    const logger = createMemoryLogger();
    bound = await listenOnBindAddress(
      { kind: "address", host: "127.0.0.1", port: 0 },
      () => new PretendAllInterfacesServer(),
      logger,
    );
    const url = bound[0]?.url ?? "";
    assert.match(url, /^http:\/\/0\.0\.0\.0:\d+$/);
    assert.deepEqual(logger.lines, [
      `warning url=${url} message="the proxy is reachable from the network: anyone who can connect to it can use it ` +
        'to act as you with your AWS identity; bind to 127.0.0.1 (--bind :PORT) unless you mean this"',
      `listening url=${url}`,
    ]);
  });
});

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
