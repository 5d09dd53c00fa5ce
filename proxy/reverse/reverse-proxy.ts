import { Agent as HttpAgent, createServer, type Server } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import type { Duplex } from "node:stream";
import { rootCertificates } from "node:tls";
import { createAwsSession } from "../aws/aws-session.js";
import { createChallengeAnswerer } from "../signin/challenge-answerer.js";
import { createClientErrorHandler } from "../http/client-error.js";
import { CookieJar } from "../signin/cookie-jar.js";
import { reportCredentialStatus } from "../aws/credential-check.js";
import { writeRawPlainText } from "../http/http-messages.js";
import { closeServer, listenOnBindAddress } from "../http/listen.js";
import type { ProxyLogger } from "../common/log.js";
import type { CallerIdentity } from "../aws/types.js";
import { createSelfLogin } from "../signin/self-login.js";
import { createSignInLog } from "../signin/login-log.js";
import type { AuthRedirectContext } from "../signin/auth-redirect.js";
import { createReverseRequestHandler } from "./reverse-http.js";
import { checkReverseOptions, type CheckedUpstream, type ReverseProxyOptions } from "./reverse-options.js";
import type { ReverseRoute } from "./reverse-route.js";
import { createReverseUpgradeHandler } from "./reverse-upgrade.js";
import { createReverseUpstreamSender } from "./upstream-sender.js";

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
  const answerChallenge = createChallengeAnswerer({ session, method: config.method });
  // One sign-in log for every upstream (no status page here, so nothing is recorded).
  const signInLog = createSignInLog({ logger });
  // Each route is redirectToAuth's context too: it carries the sign-in log.
  const redirectContext: AuthRedirectContext = { answerChallenge, logger, signInLog };
  // One jar for every upstream: it keys an https upstream as https://host[:port] and keeps its
  // Secure cookies (an app's session cookie nearly always is), sending them only over TLS.
  const jar = new CookieJar({ now: config.clock });
  const httpAgent = new HttpAgent({ keepAlive: true });
  // Passing `ca` replaces the default trust store, so the bundled roots go in with the extra CAs.
  const httpsAgent = new HttpsAgent({
    keepAlive: true,
    ...(config.extraCaPems.length > 0 ? { ca: [...rootCertificates, ...config.extraCaPems] } : {}),
  });
  const openSockets = new Set<Duplex>();
  const localPorts = new Map<string, number>();
  const boundHostNames = new Set(
    config.upstreams.flatMap((upstream) =>
      upstream.bind.kind === "address" ? [upstream.bind.host.toLowerCase()] : [],
    ),
  );

  const routes = config.upstreams.map((upstream): ReverseRoute => {
    const sender = createReverseUpstreamSender(
      isTls(upstream) ? "https:" : "http:",
      isTls(upstream) ? httpsAgent : httpAgent,
    );
    const { origin } = upstream;
    return {
      ...redirectContext,
      origin: origin.origin,
      scheme: isTls(upstream) ? "https" : "http",
      host: origin.host,
      hostname: origin.hostname.replace(/^\[|\]$/g, ""),
      port: origin.port === "" ? (isTls(upstream) ? 443 : 80) : Number(origin.port),
      sender,
      selfLogin: createSelfLogin({
        jar,
        answer: answerChallenge,
        send: sender.send,
        logger,
        signInLog,
        authTimeoutMs: config.authTimeoutMs,
      }),
      jar,
      loginFlow: config.loginFlow,
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
          () => createReverseServer(route, logger),
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
      for (const socket of openSockets) socket.destroy();
      httpAgent.destroy();
      httpsAgent.destroy();
      await Promise.all(closed);
    },
  });
}

function isTls(upstream: CheckedUpstream): boolean {
  return upstream.origin.protocol === "https:";
}

/** One local listener for one upstream: requests, websockets, and a clear answer to anything else. */
function createReverseServer(route: ReverseRoute, logger: ProxyLogger): Server {
  const server = createServer(createReverseRequestHandler(route));
  server.on("upgrade", createReverseUpgradeHandler(route));
  server.on("connect", (_req, clientStream: Duplex) => {
    const socket = clientStream as Socket;
    socket.on("error", () => socket.destroy());
    writeRawPlainText(
      socket,
      400,
      `This is a reverse proxy for ${route.origin}: open it directly in the browser, without proxy settings`,
    );
  });
  server.on("clientError", createClientErrorHandler(logger));
  return server;
}
