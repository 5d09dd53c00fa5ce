import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { TLSSocket, type SecureContext } from "node:tls";
import type { ConnectInterceptor } from "./connect-tunnel.js";
import { ProxyError } from "../common/errors.js";
import type { ForwardHandler } from "./forward-http.js";
import { matchesAnyHost, type HostPattern } from "../http/host-pattern.js";
import { createClientErrorHandler } from "../http/client-error.js";
import { sendProxyError, writeRawProxyError } from "../http/http-messages.js";
import type { ProxyLogger } from "../common/log.js";
import { MitmError } from "../mitm/errors.js";
import type { LeafIssuer } from "../mitm/leaf-issuer.js";
import { createSniCallback, getSecureContext } from "../mitm/secure-context.js";
import { tunnelTarget, type ConnectTarget, type ForwardTarget } from "../http/request-target.js";
import { track } from "../signin/client-answer.js";
import { errorCode } from "../upstream/failure.js";
import type { UpgradeHandler } from "./websocket-forward.js";

export interface HttpsInterceptorOptions {
  /** The --host patterns: CONNECTs to these are intercepted. */
  readonly hostPatterns: readonly HostPattern[];
  /** Issues the certificates shown to the client (one issuer per process: it caches per host). */
  readonly issuer: LeafIssuer;
  /** Handles each request inside a tunnel, exactly as a plain-HTTP one. */
  readonly forward: ForwardHandler;
  /** Handles upgrades (websockets) inside a tunnel. */
  readonly forwardUpgrade: UpgradeHandler;
  readonly logger: ProxyLogger;
  /** Tunnel sockets are added here so the proxy can tear them down on close. */
  readonly openSockets: Set<Duplex>;
}

// A TLS record of type handshake (RFC 8446 §5.1) starts every ClientHello.
const TLS_HANDSHAKE_RECORD = 0x16;

/**
 * Intercepts CONNECTs to the apps named by --host, so the proxy can sign in to HTTPS apps: it
 * answers `200 Connection Established`, completes the TLS handshake itself with a certificate
 * for the CONNECT host issued by the local CA (the client must trust that CA: `iam-auth-proxy
 * ca`), and serves the requests inside as it serves plain HTTP — challenge answering, the
 * session cookie jar, replays, websockets — forwarding each to the app over a new, verified TLS
 * connection. The CONNECT target is where requests go, whatever Host field they carry. A client
 * that speaks plain HTTP inside the tunnel (browsers tunnel ws:// through a proxy this way) is
 * served the same way over plain http.
 *
 * @example createConnectHandler({ logger, openSockets, openTunnel, intercept: createHttpsInterceptor({ hostPatterns, issuer, forward, forwardUpgrade, logger, openSockets }) })
 */
export function createHttpsInterceptor(options: HttpsInterceptorOptions): ConnectInterceptor {
  const { hostPatterns, issuer, logger, openSockets } = options;
  const tunnels = new WeakMap<object, { scheme: "http" | "https"; tunnel: ConnectTarget }>();

  // Requests arrive in origin-form on a socket that stands for one CONNECT target.
  const targetOf = (req: IncomingMessage): ForwardTarget | ProxyError => {
    const tunnel = tunnels.get(req.socket);
    const path = req.url ?? "";
    if (tunnel === undefined) return new ProxyError("REQUEST_TARGET_INVALID", "Not an intercepted tunnel");
    if (!path.startsWith("/")) {
      return new ProxyError(
        "REQUEST_TARGET_INVALID",
        `Inside a tunnel the request target must be a path (got ${JSON.stringify(path.slice(0, 200))})`,
      );
    }
    return tunnelTarget(tunnel.scheme, tunnel.tunnel, path);
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const target = targetOf(req);
    if (target instanceof ProxyError) sendProxyError(res, target);
    else options.forward(req, res, target);
  });
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => socket.destroy());
    const target = targetOf(req);
    if (target instanceof ProxyError) writeRawProxyError(socket, target);
    else options.forwardUpgrade(req, socket, head, target);
  });
  server.on("clientError", createClientErrorHandler(logger));

  function serve(socket: Socket, scheme: "http" | "https", tunnel: ConnectTarget): void {
    tunnels.set(socket, { scheme, tunnel });
    server.emit("connection", socket);
  }

  function terminateTls(client: Socket, context: SecureContext, tunnel: ConnectTarget): void {
    const secure = new TLSSocket(client, {
      isServer: true,
      secureContext: context,
      // The CONNECT host's context is the default (clients send no SNI for IP literals, RFC 6066 §3);
      // a name sent by SNI gets its own certificate, but only for a host the proxy intercepts.
      SNICallback: createSniCallback(issuer, {
        accept: (name) => matchesAnyHost(hostPatterns, name, tunnel.port),
      }),
      ALPNProtocols: ["http/1.1"],
    });
    secure.on("error", (error: Error) => {
      const code = errorCode(error) ?? error.name;
      // The usual cause: the browser does not trust the local CA yet.
      const untrusted = /ALERT_(UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_UNKNOWN)/.test(code);
      logger.warn("intercept", {
        host: tunnel.host,
        outcome: "tls-failed",
        code,
        ...(untrusted ? { reason: "the client does not trust the proxy's CA; run iam-auth-proxy ca" } : {}),
      });
      secure.destroy();
    });
    track(openSockets, secure);
    secure.once("secure", () => serve(secure, "https", tunnel));
  }

  return {
    matches: (target) => matchesAnyHost(hostPatterns, target.hostname, target.port),
    handle(client, head, tunnel) {
      getSecureContext(issuer, tunnel.hostname).then(
        (context) => {
          if (client.destroyed) return;
          client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
          if (head.length > 0) client.unshift(head);
          // Peek at the first byte: TLS, or plain HTTP. unshift() puts it back for whoever reads next.
          client.once("data", (first: Buffer) => {
            client.pause();
            client.unshift(first);
            if (first[0] === TLS_HANDSHAKE_RECORD) {
              terminateTls(client, context, tunnel);
            } else {
              serve(client, "http", tunnel);
              // The HTTP parser reads the socket's handle directly; resuming replays what was unshifted.
              process.nextTick(() => client.resume());
            }
          });
        },
        (error: unknown) => {
          if (!(error instanceof MitmError)) {
            logger.warn("intercept", { host: tunnel.host, outcome: "internal-error", reason: String(error) });
            writeRawProxyError(
              client,
              new ProxyError(
                "INTERNAL_ERROR",
                "The proxy failed to intercept this tunnel (internal error; see the proxy log)",
              ),
            );
            return;
          }
          const failure = new ProxyError(
            "INTERCEPT_FAILED",
            `Cannot intercept ${tunnel.host}: ${error.message}`,
            {
              cause: error,
            },
          );
          logger.warn("intercept", {
            host: tunnel.host,
            outcome: "failed",
            code: error.code,
            reason: error.message,
          });
          writeRawProxyError(client, failure);
        },
      );
    },
  };
}
