import { isIP, type Socket } from "node:net";
import { connect as connectTls, type SecureContext, type TLSSocket } from "node:tls";
import type { TcpConnector } from "./socks-connector.js";

/** Where requests go: an app's scheme, host and port. */
export interface AppOrigin {
  readonly scheme?: "http" | "https" | undefined;
  /** Without IPv6 brackets. */
  readonly hostname: string;
  readonly port: number;
}

/** Opens a new connection to an app, ready for a request (TLS verified for https); rejects with the socket or TLS error. */
export type AppConnector = (origin: AppOrigin) => Promise<Socket>;

export interface AppConnectorOptions {
  /** The TCP connection (direct, or through the SOCKS server). */
  readonly openTcp: TcpConnector;
  /**
   * Gives up on a TCP connection not made within 10 s (ETIMEDOUT). Off for a connector that
   * times itself and names the failure better (the SOCKS connector: SOCKS_UNREACHABLE).
   */
  readonly timeTcpConnect: boolean;
  /** Trust for HTTPS apps; default Node's CA store (with NODE_EXTRA_CA_CERTS). */
  readonly secureContext?: SecureContext | undefined;
}

// How long a TCP connection and then a TLS handshake may each take (undici's default connect timeout).
const CONNECT_TIMEOUT_MS = 10_000;
// TLS sessions kept for resumption: one per origin, the oldest dropped past this many origins.
const MAX_TLS_SESSIONS = 100;

/**
 * Creates the connector requests to apps ride on: a TCP connection with Nagle off (requests are
 * small writes that must not wait for an ACK) and, for https, TLS on top, verified against the
 * host name with SNI (none for IP literals, RFC 6066 §3), offering only HTTP/1.1 by ALPN, and
 * resuming the origin's last TLS session so a new connection skips the full handshake.
 *
 * @example const connect = createAppConnector({ openTcp: connectDirectly, timeTcpConnect: true }); const socket = await connect({ scheme: "https", hostname: "app.internal", port: 443 })
 */
export function createAppConnector(options: AppConnectorOptions): AppConnector {
  const sessions = new Map<string, Buffer>();
  return async (origin) => {
    const opening = options.openTcp(origin.hostname, origin.port);
    const tcp = await (options.timeTcpConnect ? withTimeout(opening, origin) : opening);
    tcp.setNoDelay(true);
    if (origin.scheme !== "https") return tcp;
    const key = `${origin.hostname}:${origin.port}`;
    const session = sessions.get(key);
    const servername = isIP(origin.hostname) === 0 ? origin.hostname : undefined;
    const secure = connectTls({
      socket: tcp,
      // The identity checked against the certificate (with or without SNI).
      host: origin.hostname,
      ALPNProtocols: ["http/1.1"],
      ...(servername === undefined ? {} : { servername }),
      ...(session === undefined ? {} : { session }),
      ...(options.secureContext === undefined ? {} : { secureContext: options.secureContext }),
    });
    // Listened to from the start: an error before the caller attaches its own must not crash the proxy.
    secure.on("error", () => undefined);
    secure.on("session", (ticket: Buffer) => {
      sessions.delete(key);
      sessions.set(key, ticket);
      if (sessions.size > MAX_TLS_SESSIONS) sessions.delete(sessions.keys().next().value as string);
    });
    try {
      await handshake(secure);
    } catch (error) {
      // A session the app no longer honours is not offered again.
      sessions.delete(key);
      throw error;
    }
    return secure;
  };
}

/** The TCP connection, or ETIMEDOUT after CONNECT_TIMEOUT_MS (the socket, if it comes later, is closed). */
function withTimeout(opening: Promise<Socket>, origin: AppOrigin): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(
        Object.assign(new Error(`connect ETIMEDOUT ${origin.hostname}:${origin.port}`), {
          code: "ETIMEDOUT",
        }),
      );
      opening.then(
        (late) => late.destroy(),
        () => undefined,
      );
    }, CONNECT_TIMEOUT_MS);
    opening.then(
      (socket) => {
        clearTimeout(timer);
        resolve(socket);
      },
      (error: Error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

function handshake(secure: TLSSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (error: Error): void => {
      clearTimeout(timer);
      secure.destroy();
      reject(error);
    };
    const timer = setTimeout(
      () => fail(Object.assign(new Error("TLS handshake ETIMEDOUT"), { code: "ETIMEDOUT" })),
      CONNECT_TIMEOUT_MS,
    );
    secure.once("error", fail);
    secure.once("secureConnect", () => {
      clearTimeout(timer);
      secure.off("error", fail);
      resolve();
    });
  });
}
