import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { ProxyError } from "../common/errors.js";
import { writeRawProxyError } from "../http/http-messages.js";
import type { ProxyLogger } from "../common/log.js";
import { parseConnectTarget, type ConnectTarget } from "../http/request-target.js";
import { track } from "../signin/client-answer.js";
import { describeUpstreamFailure, logUpstreamFailure } from "../upstream/failure.js";
import type { TunnelUpstream, TunnelUpstreamConnector } from "../upstream/upstream-connections.js";

export interface ConnectTunnelOptions {
  readonly logger: ProxyLogger;
  /** Open tunnel sockets (both ends) are added here so the server can tear them down on close. */
  readonly openSockets: Set<Duplex>;
  /** Opens the TCP connection to the target: directly, or through the SOCKS server. */
  readonly openTunnel: TunnelUpstreamConnector;
  /**
   * Takes over CONNECTs to the apps the proxy signs in to (HTTPS interception); every other
   * target gets a blind tunnel. Default: none, every CONNECT is a blind tunnel.
   */
  readonly intercept?: ConnectInterceptor | undefined;
}

/** Handles the CONNECTs it `matches` itself (see createHttpsInterceptor). */
export interface ConnectInterceptor {
  matches(target: ConnectTarget): boolean;
  handle(client: Socket, head: Buffer, target: ConnectTarget): void;
}

export type ConnectHandler = (req: IncomingMessage, client: Duplex, head: Buffer) => void;

/**
 * Handles CONNECT host:port. A target the interceptor matches is handed to it; any other gets a
 * blind TCP tunnel: connect (directly or through SOCKS), answer `200 Connection Established`,
 * then copy bytes both ways until either side closes; an error on either side tears down both.
 * An unreachable target gets 502 (naming the SOCKS problem when there is one), a malformed target 400.
 *
 * @example server.on("connect", createConnectHandler({ logger, openSockets: new Set(), openTunnel }))
 */
export function createConnectHandler(options: ConnectTunnelOptions): ConnectHandler {
  const { logger, openSockets, openTunnel, intercept } = options;
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
      writeRawProxyError(client, error);
      return;
    }
    track(openSockets, client);
    if (intercept?.matches(target) === true) {
      intercept.handle(client, head, target);
      return;
    }
    const aborted = new AbortController();
    client.once("close", () => aborted.abort());
    openTunnel(target.hostname, target.port, aborted.signal).then(
      (upstream) => join(client, upstream, head),
      (error: unknown) => {
        if (client.destroyed) return;
        const failure = describeUpstreamFailure(error, target);
        logUpstreamFailure(logger, "tunnel", target.host, failure);
        writeRawProxyError(client, failure);
      },
    );
  };

  function join(client: Socket, tunnel: TunnelUpstream, head: Buffer): void {
    const upstream = tunnel.socket;
    upstream.on("error", () => client.destroy());
    if (client.destroyed) {
      upstream.destroy();
      return;
    }
    track(openSockets, upstream);
    // When one side is gone, let the other flush what it already has, then close it.
    client.on("close", () => upstream.destroySoon());
    upstream.on("close", () => client.destroySoon());
    client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
    if (head.length > 0) upstream.write(head);
    // Each side half-closes the other on end (TLS close_notify etc. keep working); the close
    // handlers above finish the teardown.
    client.pipe(upstream);
    tunnel.relayTo(client);
  }
}
