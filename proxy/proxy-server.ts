import { Agent, createServer, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { createAwsLoginDependencies } from "./aws-login.js";
import { createAwsSession } from "./aws-session.js";
import { parseBindAddress, type BindAddress } from "./bind-address.js";
import { createChallengeAnswerer } from "./challenge-answerer.js";
import { createConnectHandler } from "./connect-tunnel.js";
import { CookieJar } from "./cookie-jar.js";
import { reportCredentialStatus } from "./credential-check.js";
import { createHttpForwarder } from "./forward-http.js";
import { writeRawPlainText } from "./http-messages.js";
import { closeServer, listenOnBindAddress } from "./listen.js";
import { createStreamLogger, type ProxyLogger } from "./log.js";
import type { CallerIdentity, LoginDependencies, LoginFlow, LoginMethodPreference } from "./login-types.js";
import { DEFAULT_MAX_REPLAY_BODY_BYTES } from "./request-body.js";

export interface ProxyServerOptions {
  /**
   * Where to listen, as for `--bind`: `:PORT` (loopback only: 127.0.0.1 and ::1), `HOST:PORT`,
   * `[IPV6]:PORT`. Default `":8080"`.
   */
  readonly bind?: string;
  /** Credentials, STS and KMS used to answer IAM challenges. Default: createAwsLoginDependencies(). */
  readonly login?: LoginDependencies;
  /** Which proof to give: `auto` (STS when the app offers it, else KMS), `sts` or `kms`. Default `"auto"`. */
  readonly method?: LoginMethodPreference;
  /**
   * `proxy`: sign in on the client's behalf and return the app's page with the session cookies;
   * `redirect`: send the client a 302 to /auth with the token, as the original proxy does. Default `"proxy"`.
   */
  readonly loginFlow?: LoginFlow;
  /** How long the app's /auth may take when the proxy signs in, in ms. Default 30000. */
  readonly authTimeoutMs?: number;
  /** Request bodies up to this many bytes are kept to replay after a sign-in; bigger ones get the redirect flow. Default 1 MiB. */
  readonly maxReplayBodyBytes?: number;
  /** The current time in ms, for credential and cookie lifetimes and signing. Default Date.now. */
  readonly clock?: () => number;
  /** Where log lines go. Default: createStreamLogger() (stdout, warnings on stderr). */
  readonly logger?: ProxyLogger;
}

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

const methodPreferences: readonly LoginMethodPreference[] = ["auto", "sts", "kms"];
const loginFlows: readonly LoginFlow[] = ["proxy", "redirect"];

/**
 * Creates the person's local proxy: forwards plain HTTP (signing in to apps that send an IAM
 * challenge with the person's AWS identity) and tunnels CONNECT. Nothing listens until listen().
 *
 * @example
 * const proxy = createProxyServer({ bind: "127.0.0.1:0" });
 * const [url] = await proxy.listen(); // "http://127.0.0.1:41234"
 * await proxy.close();
 */
export function createProxyServer(options: ProxyServerOptions = {}): ProxyServer {
  const config = checkOptions(options);
  const { logger } = config;
  const session = createAwsSession(config.login, config.clock);
  const agent = new Agent({ keepAlive: true });
  const openSockets = new Set<Duplex>();
  const handleRequest = createHttpForwarder({
    agent,
    logger,
    jar: new CookieJar({ now: config.clock }),
    loginFlow: config.loginFlow,
    maxReplayBodyBytes: config.maxReplayBodyBytes,
    authTimeoutMs: config.authTimeoutMs,
    answerChallenge: createChallengeAnswerer({ session, method: config.method }),
  });
  const handleConnect = createConnectHandler({ logger, openSockets });

  const createProxyHttpServer = (): Server => {
    const server = createServer(handleRequest);
    server.on("connect", handleConnect);
    server.on("clientError", (error: NodeJS.ErrnoException, socket: Duplex) => {
      // A client that sends garbage (or hangs up) loses its own connection, nothing more.
      const inFlight = (socket as { _httpMessage?: ServerResponse })._httpMessage;
      if (error.code === "ECONNRESET" || !socket.writable || inFlight?.headersSent === true) {
        socket.destroy();
        return;
      }
      logger.info("client-error", { code: error.code ?? error.name });
      const status =
        error.code === "HPE_HEADER_OVERFLOW" ? 431 : error.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : 400;
      writeRawPlainText(socket as Socket, status, `Bad request: ${error.code ?? "malformed HTTP"}`);
    });
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
        return Object.freeze(bound.map((listener) => listener.url));
      })();
      return listening;
    },
    checkCredentials: () => reportCredentialStatus(session, logger),
    async close(): Promise<void> {
      const all = servers.length === 0 ? [server] : servers;
      const closed = all.map((each) => closeServer(each));
      for (const each of all) each.closeAllConnections();
      for (const socket of openSockets) socket.destroy();
      agent.destroy();
      await Promise.all(closed);
    },
  });
}

interface CheckedOptions {
  readonly bind: BindAddress;
  readonly login: LoginDependencies;
  readonly method: LoginMethodPreference;
  readonly loginFlow: LoginFlow;
  readonly maxReplayBodyBytes: number;
  readonly authTimeoutMs: number;
  readonly clock: () => number;
  readonly logger: ProxyLogger;
}

function checkOptions(options: ProxyServerOptions): CheckedOptions {
  const problems: string[] = [];
  let bind: BindAddress = { kind: "loopback", port: 8080 };
  if (options.bind !== undefined) {
    try {
      bind = parseBindAddress(options.bind);
    } catch (error) {
      problems.push(`bind: ${(error as Error).message}`);
    }
  }
  const login = options.login;
  if (
    login !== undefined &&
    (typeof login.resolveCredentials !== "function" ||
      typeof login.sts?.getCallerIdentity !== "function" ||
      typeof login.sts.getSessionToken !== "function" ||
      typeof login.kms?.encrypt !== "function" ||
      typeof login.stsProofTarget !== "function")
  ) {
    problems.push(
      "login: must have resolveCredentials(), sts.getCallerIdentity(), sts.getSessionToken(), kms.encrypt() and stsProofTarget()",
    );
  }
  const method = options.method ?? "auto";
  if (!methodPreferences.includes(method)) {
    problems.push(`method: must be "auto", "sts" or "kms" (got ${JSON.stringify(method)})`);
  }
  const loginFlow = options.loginFlow ?? "proxy";
  if (!loginFlows.includes(loginFlow)) {
    problems.push(`loginFlow: must be "proxy" or "redirect" (got ${JSON.stringify(loginFlow)})`);
  }
  const maxReplayBodyBytes = options.maxReplayBodyBytes ?? DEFAULT_MAX_REPLAY_BODY_BYTES;
  if (!Number.isSafeInteger(maxReplayBodyBytes) || maxReplayBodyBytes < 0) {
    problems.push(
      `maxReplayBodyBytes: must be a whole number of bytes, 0 or more (got ${String(maxReplayBodyBytes)})`,
    );
  }
  const authTimeoutMs = options.authTimeoutMs ?? 30_000;
  if (!Number.isSafeInteger(authTimeoutMs) || authTimeoutMs <= 0) {
    problems.push(
      `authTimeoutMs: must be a positive whole number of milliseconds (got ${String(authTimeoutMs)})`,
    );
  }
  if (options.clock !== undefined && typeof options.clock !== "function") {
    problems.push("clock: must be a function returning milliseconds since the epoch");
  }
  const logger = options.logger;
  if (logger !== undefined && (typeof logger.info !== "function" || typeof logger.warn !== "function")) {
    problems.push("logger: must have info() and warn()");
  }
  if (problems.length > 0) throw new TypeError(`Invalid proxy server options: ${problems.join("; ")}`);
  return Object.freeze({
    bind,
    login: login ?? createAwsLoginDependencies(),
    method,
    loginFlow,
    maxReplayBodyBytes,
    authTimeoutMs,
    clock: options.clock ?? Date.now,
    logger: logger ?? createStreamLogger(),
  });
}
