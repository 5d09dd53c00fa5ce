import { createServer, type Server } from "node:http";
import type { Duplex } from "node:stream";
import { createAwsSession } from "../aws/aws-session.js";
import { createClientErrorHandler } from "../http/client-error.js";
import { createConnectHandler } from "./connect-tunnel.js";
import { reportCredentialStatus } from "../aws/credential-check.js";
import { createDirectRequestHandler } from "../pages/direct-request.js";
import { createHttpForwarder, createProxyRequestHandler } from "./forward-http.js";
import { createHttpsInterceptor } from "./https-intercept.js";
import { closeServer, listenOnBindAddress } from "../http/listen.js";
import { createLocalUserGuard } from "../http/local-peer.js";
import { createLoginHistory } from "../signin/login-history.js";
import { createSignInLog } from "../signin/login-log.js";
import type { CallerIdentity } from "../aws/types.js";
import { createLeafIssuer } from "../mitm/leaf-issuer.js";
import { checkProxyServerOptions, type ProxyServerOptions } from "./proxy-options.js";
import { createUpstreamConnections } from "../upstream/upstream-connections.js";
import { createAppExchange } from "../signin/exchange.js";
import { createAppPolicy } from "../signin/policy.js";
import { createUpstreamSender } from "../upstream/sender.js";
import { createProxyUpgradeHandler, createUpgradeForwarder } from "./websocket-forward.js";

export type { ProxyServerOptions } from "./proxy-options.js";

export interface ProxyServer {
  /** The HTTP server handling proxy requests and CONNECT; listen() binds it to the first address. */
  readonly server: Server;
  /** Binds every address of `bind`; resolves with their URLs, 127.0.0.1 first. Call once. */
  listen(): Promise<readonly string[]>;
  /**
   * Looks up whose credentials challenges will be answered with and logs it (or what to do);
   * the identity is cached for the login log lines. Never rejects on an AWS or credential failure.
   */
  checkCredentials(): Promise<CallerIdentity | undefined>;
  /** Stops listening, closes client connections and tunnels and frees upstream connections. */
  close(): Promise<void>;
}

/**
 * Creates the person's local proxy: forwards plain HTTP (signing in to apps that send an IAM
 * challenge with the person's AWS identity), intercepts CONNECTs to the `hosts` apps to do the
 * same over HTTPS, tunnels every other CONNECT, forwards websockets, and serves a PAC file at
 * /proxy.pac. Nothing listens until listen().
 *
 * @example
 * const proxy = createProxyServer({ bind: "127.0.0.1:0" });
 * const [url] = await proxy.listen(); // "http://127.0.0.1:41234"
 * await proxy.close();
 */
export function createProxyServer(options: ProxyServerOptions = {}): ProxyServer {
  const config = checkProxyServerOptions(options);
  const { hosts } = config;
  // The status page (GET / on the proxy) shows the last logins and the credentials' state, as reported to it.
  const history = createLoginHistory({ clock: config.clock });
  const { logger } = config;
  const signInLog = createSignInLog({ logger, recorder: history });
  const session = createAwsSession(history.observeCredentials(config.login), config.clock);
  const connections = createUpstreamConnections({ socks: config.socks, extraCa: config.upstreamCa });
  const openSockets = new Set<Duplex>();
  const send = createUpstreamSender(connections, { headTimeoutMs: config.upstreamTimeoutMs });
  const exchange = createAppExchange({
    session,
    method: config.method,
    send,
    loginFlow: config.loginFlow,
    // Forward mode signs in to the `hosts` apps only, or to every app when none are named; a KMS
    // proof goes only to the apps named by `hosts` or `kmsHosts`.
    apps: createAppPolicy({
      signIn: hosts.length === 0 ? "every app" : hosts,
      kms: [...hosts, ...config.kmsHosts],
    }),
    logger,
    signInLog,
    authTimeoutMs: config.authTimeoutMs,
    clock: config.clock,
  });
  const forward = createHttpForwarder({ exchange, maxReplayBodyBytes: config.maxReplayBodyBytes, logger });
  const forwardUpgrade = createUpgradeForwarder({ exchange, logger, openSockets });
  const issuer =
    config.ca === undefined || hosts.length === 0
      ? undefined
      : createLeafIssuer(config.ca, { clock: () => new Date(config.clock()) });
  const intercept =
    issuer === undefined
      ? undefined
      : createHttpsInterceptor({
          hostPatterns: hosts,
          issuer,
          forward,
          forwardUpgrade,
          logger,
          openSockets,
        });
  const handleRequest = createProxyRequestHandler(
    forward,
    createDirectRequestHandler({
      hostPatterns: hosts,
      boundHostNames: config.bind.kind === "address" ? [config.bind.host] : [],
      ca: intercept === undefined ? undefined : config.ca,
      history,
      method: config.method,
      loginFlow: config.loginFlow,
      clock: config.clock,
    }),
  );
  const handleConnect = createConnectHandler({
    logger,
    openSockets,
    openTunnel: connections.openTunnelUpstream,
    intercept,
  });
  const handleUpgrade = createProxyUpgradeHandler(forwardUpgrade);
  const localUsers = createLocalUserGuard({ allowOtherUsers: config.allowOtherUsers, logger });

  const createProxyHttpServer = (): Server => {
    const server = createServer(handleRequest);
    server.on("connect", handleConnect);
    server.on("upgrade", handleUpgrade);
    server.on("clientError", createClientErrorHandler(logger));
    // Every listener, port-0 retries included, is made here: each serves only this OS user.
    localUsers.protect(server);
    return server;
  };

  const server = createProxyHttpServer();
  const servers: Server[] = [];
  let listening: Promise<readonly string[]> | undefined;

  return Object.freeze({
    server,
    listen(): Promise<readonly string[]> {
      listening ??= (async () => {
        // The first server created is `server`; it is reused if a port-0 attempt had to be retried.
        const next = (): Server =>
          servers.length === 0 && !server.listening ? server : createProxyHttpServer();
        const bound = await listenOnBindAddress(config.bind, next, logger);
        for (const listener of bound) servers.push(listener.server as Server);
        // What the first intercepted request would otherwise wait for (a few hundred ms), made
        // once the proxy is listening, after the caller has had its answer.
        setImmediate(() => issuer?.prepare());
        return Object.freeze(bound.map((listener) => listener.url));
      })();
      return listening;
    },
    checkCredentials: () => reportCredentialStatus(session, logger, history),
    async close(): Promise<void> {
      const all = servers.length === 0 ? [server] : servers;
      const closed = all.map((each) => closeServer(each));
      for (const each of all) each.closeAllConnections();
      localUsers.destroyHeld();
      for (const socket of openSockets) socket.destroy();
      connections.destroy();
      await Promise.all(closed);
    },
  });
}
