import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Duplex } from "node:stream";
import { createAwsSession } from "../aws/aws-session.js";
import { createClientErrorHandler } from "../http/client-error.js";
import { reportCredentialStatus } from "../aws/credential-check.js";
import { ProxyError } from "../common/errors.js";
import { writeRawProxyError } from "../http/http-messages.js";
import { closeServer, listenOnBindAddress } from "../http/listen.js";
import { createLocalUserGuard, type LocalUserGuard } from "../http/local-peer.js";
import type { ProxyLogger } from "../common/log.js";
import type { CallerIdentity } from "../aws/types.js";
import { createSignInLog } from "../signin/login-log.js";
import { createReverseRequestHandler } from "./reverse-http.js";
import { checkReverseOptions, type ReverseProxyOptions } from "./reverse-options.js";
import type { ReverseRoute } from "./reverse-route.js";
import { createReverseUpgradeHandler } from "./reverse-upgrade.js";
import { createAppExchange } from "../signin/exchange.js";
import { createAppPolicy } from "../signin/policy.js";
import { createUpstreamSender } from "../upstream/sender.js";
import { createUpstreamConnections } from "../upstream/upstream-connections.js";

/** Where one upstream is served. */
export interface ReverseListener {
  /** The upstream's origin, e.g. `https://app.internal.example.com`. */
  readonly upstream: string;
  /** Its local URLs, 127.0.0.1 first (e.g. `http://127.0.0.1:8080`, `http://[::1]:8080`). */
  readonly urls: readonly string[];
}

export interface ReverseProxy {
  /** Binds every upstream's local address; resolves with where each is served. Call once. */
  listen(): Promise<readonly ReverseListener[]>;
  /**
   * Looks up whose credentials challenges will be answered with and logs it (or what to do).
   * Never rejects on an AWS or credential failure.
   */
  checkCredentials(): Promise<CallerIdentity | undefined>;
  /** Stops listening, closes browser connections and websockets and frees upstream connections. */
  close(): Promise<void>;
}

/**
 * Creates reverse mode: each upstream app gets a local address the browser opens directly
 * (`http://localhost:8080/`, no proxy settings, no CA to trust), and the proxy forwards to the
 * app over verified TLS, signing in with the person's AWS identity as forward mode does (same
 * challenge answerer, same self-login, one cookie jar). Redirects and cookies are rewritten so
 * the app works on the local origin; websockets pass through. Nothing listens until listen().
 *
 * @example
 * const proxy = createReverseProxy({ upstreams: [{ origin: "https://app.internal.example.com", bind: ":8080" }] });
 * const [{ urls }] = await proxy.listen(); // [{ upstream: "https://app.internal.example.com", urls: ["http://127.0.0.1:8080", …] }]
 * await proxy.close();
 */
export function createReverseProxy(options: ReverseProxyOptions): ReverseProxy {
  const config = checkReverseOptions(options);
  const { logger } = config;
  const session = createAwsSession(config.login, config.clock);
  const connections = createUpstreamConnections({ socks: config.socks, extraCa: config.extraCaPems });
  const exchange = createAppExchange({
    session,
    method: config.method,
    send: createUpstreamSender(connections, { headTimeoutMs: config.upstreamTimeoutMs }),
    loginFlow: config.loginFlow,
    // Reverse mode serves only the apps the person named with --upstream: it signs in to each,
    // with either proof.
    apps: createAppPolicy({ signIn: "every app", kms: "every app" }),
    logger,
    // No status page here, so the sign-ins are logged and not recorded.
    signInLog: createSignInLog({ logger }),
    authTimeoutMs: config.authTimeoutMs,
    clock: config.clock,
  });
  const openSockets = new Set<Duplex>();
  const localUsers = createLocalUserGuard({ allowOtherUsers: config.allowOtherUsers, logger });
  const localPorts = new Map<string, number>();
  const boundHostNames = new Set(
    config.upstreams.flatMap((upstream) =>
      upstream.bind.kind === "address" ? [upstream.bind.host.toLowerCase()] : [],
    ),
  );

  const routes = config.upstreams.map((upstream): ReverseRoute => {
    const { origin } = upstream;
    const tls = origin.protocol === "https:";
    return {
      logger,
      origin: origin.origin,
      scheme: tls ? "https" : "http",
      host: origin.host,
      hostname: origin.hostname.replace(/^\[|\]$/g, ""),
      port: origin.port === "" ? (tls ? 443 : 80) : Number(origin.port),
      exchange,
      maxReplayBodyBytes: config.maxReplayBodyBytes,
      boundHostNames,
      localPorts,
      openSockets,
    };
  });

  const servers: Server[] = [];
  let listening: Promise<readonly ReverseListener[]> | undefined;

  async function listenAll(): Promise<readonly ReverseListener[]> {
    const listeners: ReverseListener[] = [];
    try {
      for (const [index, upstream] of config.upstreams.entries()) {
        const route = routes[index] as ReverseRoute;
        const bound = await listenOnBindAddress(
          upstream.bind,
          () => createReverseServer(route, logger, localUsers),
          logger,
        );
        for (const listener of bound) servers.push(listener.server as Server);
        const first = bound[0];
        if (first !== undefined) localPorts.set(route.origin, (first.server.address() as AddressInfo).port);
        const urls = Object.freeze(bound.map((listener) => listener.url));
        for (const url of urls) logger.info("reverse", { url, upstream: route.origin });
        listeners.push(Object.freeze({ upstream: route.origin, urls }));
      }
    } catch (error) {
      await Promise.all(servers.map((server) => closeServer(server)));
      throw error;
    }
    return Object.freeze(listeners);
  }

  return Object.freeze({
    listen(): Promise<readonly ReverseListener[]> {
      listening ??= listenAll();
      return listening;
    },
    checkCredentials: () => reportCredentialStatus(session, logger),
    async close(): Promise<void> {
      const closed = servers.map((server) => closeServer(server));
      for (const server of servers) server.closeAllConnections();
      localUsers.destroyHeld();
      for (const socket of openSockets) socket.destroy();
      connections.destroy();
      await Promise.all(closed);
    },
  });
}

/** One local listener for one upstream: requests, websockets, and a clear answer to anything else. */
function createReverseServer(route: ReverseRoute, logger: ProxyLogger, localUsers: LocalUserGuard): Server {
  const server = createServer(createReverseRequestHandler(route));
  server.on("upgrade", createReverseUpgradeHandler(route));
  server.on("connect", (_req, clientStream: Duplex) => {
    const socket = clientStream as Socket;
    socket.on("error", () => socket.destroy());
    writeRawProxyError(
      socket,
      new ProxyError(
        "REQUEST_TARGET_INVALID",
        `This is a reverse proxy for ${route.origin}: open it directly in the browser, without proxy settings`,
      ),
    );
  });
  server.on("clientError", createClientErrorHandler(logger));
  localUsers.protect(server);
  return server;
}
