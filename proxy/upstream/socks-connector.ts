import { connect, type Socket } from "node:net";
import { formatHostPort } from "../http/bind-address.js";
import { ProxyError } from "../common/errors.js";

/** A SOCKS5 server, as `--socks-proxy HOST:PORT` names it (e.g. the local end of `ssh -D 1080 bastion`). */
export interface SocksEndpoint {
  /** Without IPv6 brackets. */
  readonly hostname: string;
  readonly port: number;
  /** `host:port` as shown in messages, IPv6 in brackets. */
  readonly host: string;
}

/** Opens a TCP connection to `hostname:port` (through the SOCKS server, or directly); rejects with a ProxyError or a socket error. */
/**
 * Checks a factory's `socks` option, a parsed SocksEndpoint (pushing a problem naming it); returns it.
 *
 * @example checkSocksOption(parseSocksEndpoint("127.0.0.1:1080"), problems) // { hostname: "127.0.0.1", port: 1080, host: "127.0.0.1:1080" }
 */
export function checkSocksOption(
  value: SocksEndpoint | undefined,
  problems: string[],
): SocksEndpoint | undefined {
  if (value === undefined) return undefined;
  const { hostname, port, host } = value as Partial<Record<keyof SocksEndpoint, unknown>>;
  const valid =
    typeof hostname === "string" &&
    hostname !== "" &&
    typeof host === "string" &&
    typeof port === "number" &&
    Number.isInteger(port) &&
    port >= 1 &&
    port <= 65535;
  if (!valid) {
    problems.push(
      `socks: must be a SocksEndpoint such as parseSocksEndpoint("127.0.0.1:1080") returns (got ${JSON.stringify(value)})`,
    );
  }
  return value;
}

export type TcpConnector = (hostname: string, port: number, signal?: AbortSignal) => Promise<Socket>;

export interface SocksConnectorOptions {
  readonly endpoint: SocksEndpoint;
  /** How long reaching the SOCKS server, and then its handshake, may each take, in ms. Default 10000. */
  readonly timeoutMs?: number;
}

const endpointPattern = /^(\[[^\]]+\]|[^:[\]]+):(\d{1,5})$/;

/**
 * Reads a SOCKS5 server address (`--socks-proxy`): `HOST:PORT` or `[IPV6]:PORT`. Throws a
 * TypeError that says what is wrong and shows the value, for the caller to put after what it
 * read the value from (`--socks-proxy must be …`).
 *
 * @example parseSocksEndpoint("127.0.0.1:1080") // { hostname: "127.0.0.1", port: 1080, host: "127.0.0.1:1080" }
 * @example parseSocksEndpoint("127.0.0.1") // throws TypeError "must be HOST:PORT with a port from 1 to 65535, … (got \"127.0.0.1\")"
 */
export function parseSocksEndpoint(text: string): SocksEndpoint {
  const shown = JSON.stringify(text);
  const match = endpointPattern.exec(text);
  const port = Number(match?.[2]);
  if (match === null || !(port >= 1 && port <= 65535)) {
    throw new TypeError(`must be HOST:PORT with a port from 1 to 65535, as in 127.0.0.1:1080 (got ${shown})`);
  }
  let hostname: string;
  try {
    hostname = new URL(`http://${match[1] ?? ""}/`).hostname.replace(/^\[|\]$/g, "");
  } catch {
    throw new TypeError(`has an invalid host (got ${shown})`);
  }
  return Object.freeze({ hostname, port, host: formatHostPort(hostname, port) });
}

// RFC 1928 §6 reply codes as the socks package names them, in the RFC's words.
const replyReasons: Readonly<Record<string, string>> = {
  Failure: "general SOCKS server failure (for a host name: it may not resolve there)",
  NotAllowed: "connection not allowed by its rules",
  NetworkUnreachable: "network unreachable",
  HostUnreachable: "host unreachable",
  ConnectionRefused: "connection refused",
  TTLExpired: "TTL expired (timed out)",
  CommandNotSupported: "command not supported",
  AddressNotSupported: "address type not supported",
};

/**
 * Creates a connector that reaches hosts through a SOCKS5 server. Host names are sent to the
 * server unresolved (ATYP 3, what `curl --socks5-hostname` and browsers' "remote DNS" do), so
 * names that only resolve inside the remote network (a VPC behind `ssh -D`) work. The two ways
 * to fail are kept apart, because they need different fixes:
 * - 502 SOCKS_UNREACHABLE "Cannot reach the SOCKS proxy 127.0.0.1:1080: ECONNREFUSED" (is the tunnel up?),
 *   also when it accepts the connection and never answers the handshake;
 * - 502 SOCKS_REFUSED "The SOCKS proxy refused the connection to app.internal:80: host unreachable".
 *
 * @example const socket = await createSocksConnector({ endpoint: parseSocksEndpoint("127.0.0.1:1080") })("app.internal", 80)
 */
export function createSocksConnector(options: SocksConnectorOptions): TcpConnector {
  const { endpoint } = options;
  const timeoutMs = options.timeoutMs ?? 10_000;
  return async (hostname, port, signal) => {
    // Loaded on the first connection, not at start-up: most proxies never use SOCKS.
    const { SocksClient, SocksClientError } = await import("socks");
    const socket = await reachSocksServer(endpoint, timeoutMs, signal);
    const destination = formatHostPort(hostname, port);
    try {
      const { socket: established } = await SocksClient.createConnection({
        proxy: { host: endpoint.hostname, port: endpoint.port, type: 5 },
        destination: { host: hostname, port },
        command: "connect",
        existing_socket: socket,
        timeout: timeoutMs,
      });
      return established;
    } catch (error) {
      socket.destroy();
      if (!(error instanceof SocksClientError)) throw error;
      // A server that accepts the connection and never answers the handshake (hung, or its tunnel
      // stalled) refused nothing: the fix is the same as for one that is down.
      if (error.message === "Proxy connection timed out") {
        throw new ProxyError(
          "SOCKS_UNREACHABLE",
          `Cannot reach the SOCKS proxy ${endpoint.host}: it accepted the connection but did not answer within ${timeoutMs / 1000} s`,
          { cause: error },
        );
      }
      // The package reports a refusal as "Socks5 proxy rejected connection - HostUnreachable".
      const reply = /rejected connection - (\w+)$/.exec(error.message)?.[1];
      const reason = (reply === undefined ? undefined : replyReasons[reply]) ?? error.message;
      throw new ProxyError(
        "SOCKS_REFUSED",
        `The SOCKS proxy refused the connection to ${destination}: ${reason}`,
        { cause: error },
      );
    }
  };
}

/** The TCP connection to the SOCKS server itself; its failures are SOCKS_UNREACHABLE. */
function reachSocksServer(endpoint: SocksEndpoint, timeoutMs: number, signal?: AbortSignal): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: endpoint.hostname, port: endpoint.port });
    const fail = (code: string, cause?: unknown): void => {
      cleanup();
      socket.destroy();
      reject(
        new ProxyError("SOCKS_UNREACHABLE", `Cannot reach the SOCKS proxy ${endpoint.host}: ${code}`, {
          cause,
        }),
      );
    };
    const onError = (error: NodeJS.ErrnoException): void => fail(error.code ?? error.name, error);
    const onAbort = (): void => fail("ABORTED");
    const timer = setTimeout(() => fail("ETIMEDOUT"), timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off("error", onError);
      signal?.removeEventListener("abort", onAbort);
    };
    // Never without an error listener: after the handshake the caller attaches its own.
    socket.on("error", () => undefined);
    socket.once("error", onError);
    signal?.addEventListener("abort", onAbort, { once: true });
    socket.once("connect", () => {
      cleanup();
      resolve(socket);
    });
  });
}
