import type { IncomingMessage } from "node:http";
import { connect, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { ProxyError } from "./errors.js";
import { writeRawPlainText } from "./http-messages.js";
import type { ProxyLogger } from "./log.js";
import { parseConnectTarget, type ConnectTarget } from "./request-target.js";

export interface ConnectTunnelOptions {
  readonly logger: ProxyLogger;
  /** Open tunnel sockets (both ends) are added here so the server can tear them down on close. */
  readonly openSockets: Set<Duplex>;
}

export type ConnectHandler = (req: IncomingMessage, client: Duplex, head: Buffer) => void;

/**
 * Handles CONNECT host:port with a blind TCP tunnel: connect, answer `200 Connection Established`,
 * then copy bytes both ways until either side closes; an error on either side tears down both.
 * An unreachable target gets 502, a malformed target 400.
 *
 * @example server.on("connect", createConnectHandler({ logger, openSockets: new Set() }))
 */
export function createConnectHandler(options: ConnectTunnelOptions): ConnectHandler {
  const { logger, openSockets } = options;
  return (req, clientStream, head) => {
    // The 'connect' event hands over the raw net.Socket.
    const client = clientStream as Socket;
    // Node has detached its own error handling from this socket: without a listener, an error would crash.
    client.on("error", () => client.destroy());
    let target: ConnectTarget;
    try {
      target = parseConnectTarget(req.url ?? "");
    } catch (error) {
      if (!(error instanceof ProxyError)) throw error;
      writeRawPlainText(client, error.status, error.message);
      return;
    }
    const upstream = connect({ host: target.hostname, port: target.port });
    let established = false;
    track(openSockets, client);
    track(openSockets, upstream);
    upstream.on("error", (error: NodeJS.ErrnoException) => {
      if (established) {
        client.destroy();
        return;
      }
      const code = error.code ?? error.name;
      logger.warn("tunnel", { host: target.host, outcome: "upstream-unreachable", code });
      const failure = new ProxyError("UPSTREAM_UNREACHABLE", `Cannot reach ${target.host}: ${code}`, {
        cause: error,
      });
      writeRawPlainText(client, failure.status, failure.message);
    });
    // When one side is gone, let the other flush what it already has, then close it.
    client.on("close", () => (established ? upstream.destroySoon() : upstream.destroy()));
    upstream.on("close", () => {
      if (established) client.destroySoon();
    });
    upstream.on("connect", () => {
      established = true;
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length > 0) upstream.write(head);
      // pipe() half-closes the other side on end (TLS close_notify etc. keep working); the close
      // handlers above finish the teardown.
      client.pipe(upstream);
      upstream.pipe(client);
    });
  };
}

function track(openSockets: Set<Duplex>, socket: Duplex): void {
  openSockets.add(socket);
  socket.once("close", () => openSockets.delete(socket));
}
