import { connect, type Socket } from "node:net";
import type { Writable } from "node:stream";
import { createSecureContext, rootCertificates } from "node:tls";
import { createSocksConnector, type SocksEndpoint, type TcpConnector } from "./socks-connector.js";
import { createAppConnector, type AppConnector } from "./app-connection.js";
import { ConnectionPool } from "./connection-pool.js";

/** How the proxy reaches apps: directly, or all through one SOCKS5 server. */
export interface UpstreamConnections {
  /** Kept-alive connections to apps for requests, plain HTTP and HTTPS (see createUpstreamSender). */
  readonly pool: ConnectionPool;
  /** Opens a new connection for requests: TCP (direct or SOCKS), TLS verified on top for https. */
  readonly connect: AppConnector;
  /** A raw TCP connection to an app (through the SOCKS server when there is one). */
  readonly openTunnel: TcpConnector;
  /** The app side of a blind CONNECT tunnel (see TunnelUpstream). */
  readonly openTunnelUpstream: TunnelUpstreamConnector;
  /** Closes pooled connections. */
  destroy(): void;
}

/** The app side of a blind CONNECT tunnel: connected, reading nothing until relayTo(). */
export interface TunnelUpstream {
  readonly socket: Socket;
  /**
   * Starts copying what the app sends into `client`, honouring its backpressure, and ends
   * `client` when the app ends. Call once, after the client got its `200 Connection Established`.
   */
  relayTo(client: Writable): void;
}

/** Opens the app side of a blind CONNECT tunnel; rejects like TcpConnector. */
export type TunnelUpstreamConnector = (
  hostname: string,
  port: number,
  signal?: AbortSignal,
) => Promise<TunnelUpstream>;

export interface UpstreamConnectionOptions {
  /** Reach every app through this SOCKS5 server (host names resolved at its side). Default: directly. */
  readonly socks?: SocksEndpoint | undefined;
  /**
   * PEM certificates HTTPS apps may chain to, in addition to Node's CA store (Mozilla's, plus
   * NODE_EXTRA_CA_CERTS). Default none: Node's store alone.
   */
  readonly extraCa?: readonly string[] | undefined;
}

/**
 * Creates the connections the proxy forwards on: a pool of kept-alive ones for requests and the
 * tunnel opener. With a SOCKS server, every connection to an app (requests, /auth, replays,
 * CONNECT tunnels, TLS to HTTPS apps) goes through it, host names unresolved.
 *
 * @example const upstream = createUpstreamConnections({ socks: parseSocksEndpoint("127.0.0.1:1080") })
 */
export function createUpstreamConnections(options: UpstreamConnectionOptions = {}): UpstreamConnections {
  const openTunnel =
    options.socks === undefined ? connectDirectly : createSocksConnector({ endpoint: options.socks });
  // Setting `ca` replaces Node's store, so the store is included; without extras Node's default (which
  // honours NODE_EXTRA_CA_CERTS) is left alone. One secure context for every connection: given as
  // `ca`, the ~150 certificates would be parsed again for each new connection and joined into the
  // agent's pool key on every request.
  const secureContext =
    options.extraCa === undefined || options.extraCa.length === 0
      ? undefined
      : createSecureContext({ ca: [...rootCertificates, ...options.extraCa] });
  const pool = new ConnectionPool();
  const openTunnelUpstream: TunnelUpstreamConnector =
    options.socks === undefined
      ? connectRelaying
      : async (hostname, port, signal) => {
          const socket = await openTunnel(hostname, port, signal);
          return { socket, relayTo: (client) => void socket.pipe(client) };
        };
  return Object.freeze({
    pool,
    connect: createAppConnector({
      openTcp: openTunnel,
      timeTcpConnect: options.socks === undefined,
      secureContext,
    }),
    openTunnel,
    openTunnelUpstream,
    destroy() {
      // Connections still open are closed; requests on them fail, which the forwarding code reports.
      pool.destroy();
    },
  });
}

/** A direct TCP connection, resolved once connected. */
function connectDirectly(hostname: string, port: number, signal?: AbortSignal): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port, ...(signal === undefined ? {} : { signal }) });
    socket.on("error", () => undefined);
    socket.once("error", reject);
    socket.once("connect", () => {
      socket.off("error", reject);
      resolve(socket);
    });
  });
}

// Reads from an app's tunnel socket go into a buffer of this size, grown to the larger one once
// a read fills it (a transfer is under way): an idle tunnel keeps only the small one.
const RELAY_BUFFER_BYTES = 16 * 1024;
const RELAY_BUFFER_BYTES_BUSY = 64 * 1024;

/**
 * A direct connection for a tunnel that reads into a buffer of its own, reused for every read
 * (net.connect's `onread`), and writes each read straight to the client. A socket read the usual
 * way gets a new buffer per read: hundreds of MB/s of short-lived off-heap memory during a bulk
 * transfer, which V8 counts against the old generation's allocation limit until a scavenge
 * frees it. With the little headroom the CLI's heap has after start-up, that started a full GC
 * every few MB (30 to 50 per 800 MB relayed, where a bare proxy script had none) and doubled the
 * CPU time per MB. The buffer is reused only once the client's socket has taken the previous
 * chunk; until then reading pauses, which is also the backpressure.
 */
function connectRelaying(hostname: string, port: number, signal?: AbortSignal): Promise<TunnelUpstream> {
  let client: Writable | undefined;
  let buffer = Buffer.allocUnsafe(RELAY_BUFFER_BYTES);
  let waiting = false;
  const onWritten = (error?: Error | null): void => {
    if (!waiting || error) return;
    waiting = false;
    socket.resume();
  };
  const socket = connect({
    host: hostname,
    port,
    // Interactive protocols (a TLS handshake) send small writes that must not wait for an ACK.
    noDelay: true,
    ...(signal === undefined ? {} : { signal }),
    onread: {
      // Called when the socket is set up and after every read: the buffer the next read goes into.
      buffer: () => buffer,
      callback: (bytes: number, filled: Uint8Array): boolean => {
        // Paused until relayTo(), so `client` is set by the time anything is read.
        const sink = client as Writable;
        sink.write(filled.subarray(0, bytes), onWritten);
        if (bytes === buffer.length && buffer.length < RELAY_BUFFER_BYTES_BUSY) {
          // The old buffer may still be in a pending write: it is simply left to it.
          buffer = Buffer.allocUnsafe(RELAY_BUFFER_BYTES_BUSY);
        }
        // Nothing left queued: the kernel copied the chunk synchronously, the buffer is free again.
        if (sink.writableLength === 0) return true;
        // The pending write still points into the buffer: stop reading until it is done.
        waiting = true;
        return false;
      },
    },
  });
  socket.pause();
  return new Promise((resolve, reject) => {
    socket.on("error", () => undefined);
    socket.once("error", reject);
    socket.once("connect", () => {
      socket.off("error", reject);
      resolve({
        socket,
        relayTo(sink) {
          client = sink;
          socket.once("end", () => sink.end());
          socket.resume();
        },
      });
    });
  });
}
