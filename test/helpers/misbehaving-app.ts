import net, { type AddressInfo, type Socket } from "node:net";
import tls from "node:tls";
import type { TestCertificate } from "./tls-fixtures.js";

/**
 * How an app breaks the exchange, once it has read a request head (a page or a websocket handshake):
 * - `reset-before-head`: writes part of a status line, then resets the connection (TCP RST);
 * - `reset-mid-body`: a complete head with `Content-Length: 100`, 10 bytes of body, then a reset;
 * - `obs-fold`: a response whose header line is folded (`X-A: 1\r\n  folded`), which RFC 9112
 *   §5.2 lets a proxy reject;
 * - `not-http`: `garbage\r\n\r\n`;
 * - `stalled-head`: `HTTP/1.1 200 OK\r\nX-A: 1\r\n` and then nothing, with the connection open;
 * - `ok`: a well-behaved `200 ok` (an app whose only fault is its certificate, or a healthy one).
 */
export const misbehaviours = [
  "reset-before-head",
  "reset-mid-body",
  "obs-fold",
  "not-http",
  "stalled-head",
  "ok",
] as const;
export type Misbehaviour = (typeof misbehaviours)[number];

/** A tiny app on 127.0.0.1, port 0, misbehaving in one way on every connection. */
export interface MisbehavingApp {
  readonly port: number;
  /** Switches how it answers the next requests (a fault starting or ending). */
  behave(next: Misbehaviour): void;
  close(): Promise<void>;
}

/** How long a resetting app waits after writing, so its bytes reach the proxy before the reset. */
const settleMs = 100;

/**
 * Starts an app that answers every request with `behaviour`, over plain TCP or, given
 * `certificate`, TLS. TLS is wrapped by hand around the accepted TCP socket so the app can reset
 * that socket itself (a TLS socket cannot send an RST).
 *
 * @example const app = await startMisbehavingApp("stalled-head"); // http://127.0.0.1:${app.port}/
 */
export async function startMisbehavingApp(
  behaviour: Misbehaviour,
  certificate?: TestCertificate,
): Promise<MisbehavingApp> {
  const context =
    certificate === undefined
      ? undefined
      : tls.createSecureContext({ cert: certificate.certPem, key: certificate.keyPem });
  const sockets = new Set<Socket>();
  let current = behaviour;
  const server = net.createServer((raw) => {
    raw.on("error", () => undefined);
    sockets.add(raw);
    raw.once("close", () => sockets.delete(raw));
    const socket =
      context === undefined ? raw : new tls.TLSSocket(raw, { isServer: true, secureContext: context });
    socket.on("error", () => undefined);
    let received = "";
    const onData = (chunk: Buffer): void => {
      received += chunk.toString("latin1");
      if (!received.includes("\r\n\r\n")) return;
      socket.off("data", onData);
      misbehave(current, socket, () => raw.resetAndDestroy());
    };
    socket.on("data", onData);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    behave: (next) => {
      current = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function misbehave(behaviour: Misbehaviour, socket: Socket, reset: () => void): void {
  const resetSoon = (): void => void setTimeout(reset, settleMs);
  switch (behaviour) {
    case "reset-before-head":
      socket.write("HTTP/1.1 20", resetSoon);
      return;
    case "reset-mid-body":
      socket.write(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n0123456789",
        resetSoon,
      );
      return;
    case "obs-fold":
      socket.end(
        "HTTP/1.1 200 OK\r\nX-A: 1\r\n  folded\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n",
      );
      return;
    case "not-http":
      socket.end("garbage\r\n\r\n");
      return;
    case "stalled-head":
      socket.write("HTTP/1.1 200 OK\r\nX-A: 1\r\n");
      return;
    case "ok":
      socket.end(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n",
      );
      return;
  }
}

/**
 * A port on 127.0.0.1 where nothing listens: taken from the system, then released.
 *
 * @example const port = await findClosedPort(); // connecting to it is refused
 */
export async function findClosedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
