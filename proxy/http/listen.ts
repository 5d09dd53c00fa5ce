import type { AddressInfo, Server } from "node:net";
import { formatHostPort, isLoopbackAddress, type BindAddress } from "./bind-address.js";
import type { ProxyLogger } from "../common/log.js";

/** One listening socket of the proxy. */
export interface BoundListener {
  readonly server: Server;
  /** e.g. `http://127.0.0.1:8080` or `http://[::1]:8080`. */
  readonly url: string;
}

// Errors that mean "this machine has no usable IPv6 loopback", not "something is wrong".
const ipv6UnavailableCodes = new Set(["EADDRNOTAVAIL", "EAFNOSUPPORT", "EPROTONOSUPPORT"]);
const portZeroAttempts = 5;

/**
 * Binds fresh servers from `createServer` to `bind` and logs one `listening url=…` line per
 * address, the 127.0.0.1 one first. `:PORT` binds 127.0.0.1 and then ::1 on the same port (with
 * port 0 the port 127.0.0.1 got); if this machine has no IPv6 loopback it logs that and stays on
 * IPv4. Any non-loopback address gets a warning: whoever reaches it can act as you.
 * On failure every server bound so far is closed and the listen error is thrown.
 *
 * @example await listenOnBindAddress(parseBindAddress(":0"), () => http.createServer(handler), logger)
 */
export async function listenOnBindAddress(
  bind: BindAddress,
  createServer: () => Server,
  logger: ProxyLogger,
): Promise<BoundListener[]> {
  const listeners =
    bind.kind === "loopback"
      ? await listenOnLoopback(bind.port, createServer, logger)
      : [await listenOn(createServer(), bind.host, bind.port)];
  for (const listener of listeners) {
    // After listening, a server can still fail to accept (EMFILE, …): report it, never crash.
    listener.server.on("error", (error: NodeJS.ErrnoException) => {
      logger.warn("server-error", { url: listener.url, code: error.code, reason: error.message });
    });
  }
  for (const listener of listeners) {
    const { address } = listener.server.address() as AddressInfo;
    if (!isLoopbackAddress(address)) {
      logger.warn("warning", {
        url: listener.url,
        message:
          "the proxy is reachable from the network: anyone who can connect to it can use it to act as you " +
          "with your AWS identity; bind to 127.0.0.1 (--bind :PORT) unless you mean this",
      });
    }
  }
  for (const listener of listeners) logger.info("listening", { url: listener.url });
  return listeners;
}

async function listenOnLoopback(
  port: number,
  createServer: () => Server,
  logger: ProxyLogger,
): Promise<BoundListener[]> {
  for (let attempt = 1; ; attempt++) {
    const ipv4 = await listenOn(createServer(), "127.0.0.1", port);
    const chosenPort = (ipv4.server.address() as AddressInfo).port;
    try {
      return [ipv4, await listenOn(createServer(), "::1", chosenPort)];
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? "";
      if (ipv6UnavailableCodes.has(code)) {
        logger.warn("listen-skipped", {
          address: "::1",
          port: chosenPort,
          code,
          reason: "IPv6 loopback is not available on this machine; listening on 127.0.0.1 only",
        });
        return [ipv4];
      }
      await closeServer(ipv4.server);
      // With port 0 the kernel picked a port free on 127.0.0.1 only; if ::1 has it taken, pick again.
      if (code === "EADDRINUSE" && port === 0 && attempt < portZeroAttempts) continue;
      throw error;
    }
  }
}

function listenOn(server: Server, host: string, port: number): Promise<BoundListener> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host, port, exclusive: true }, () => {
      server.off("error", reject);
      const address = server.address() as AddressInfo;
      resolve({ server, url: `http://${formatHostPort(address.address, address.port)}` });
    });
  });
}

/** Stops accepting connections; resolves once the server is closed (or was not listening). */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
  });
}
