import { Agent, createServer, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { createAwsLoginDependencies } from "./aws-login.js";
import { parseBindAddress, type BindAddress } from "./bind-address.js";
import { answerChallenge } from "./challenge-answerer.js";
import { createConnectHandler } from "./connect-tunnel.js";
import { createHttpForwarder } from "./forward-http.js";
import { writeRawPlainText } from "./http-messages.js";
import type { KmsLoginDependencies } from "./kms-login.js";
import { closeServer, listenOnBindAddress } from "./listen.js";
import { createStreamLogger, type ProxyLogger } from "./log.js";

export interface ProxyServerOptions {
  /**
   * Where to listen, as for `--bind`: `:PORT` (loopback only: 127.0.0.1 and ::1), `HOST:PORT`,
   * `[IPV6]:PORT`. Default `":8080"`.
   */
  readonly bind?: string;
  /** Credentials, STS and KMS used to answer IAM challenges. Default: createAwsLoginDependencies(). */
  readonly login?: KmsLoginDependencies;
  /** Where log lines go. Default: createStreamLogger() (stdout, warnings on stderr). */
  readonly logger?: ProxyLogger;
}

export interface ProxyServer {
  /** The HTTP server handling proxy requests and CONNECT; listen() binds it to the first address. */
  readonly server: Server;
  /** Binds every address of `bind`; resolves with their URLs, 127.0.0.1 first. Call once. */
  listen(): Promise<readonly string[]>;
  /** Stops listening, closes client connections and tunnels and frees upstream connections. */
  close(): Promise<void>;
}

/**
 * Creates the person's local proxy: forwards plain HTTP (answering IAM challenges with their AWS
 * identity) and tunnels CONNECT. Nothing listens until listen().
 *
 * @example
 * const proxy = createProxyServer({ bind: "127.0.0.1:0" });
 * const [url] = await proxy.listen(); // "http://127.0.0.1:41234"
 * await proxy.close();
 */
export function createProxyServer(options: ProxyServerOptions = {}): ProxyServer {
  const config = checkOptions(options);
  const { logger, login } = config;
  const agent = new Agent({ keepAlive: true });
  const openSockets = new Set<Duplex>();
  const handleRequest = createHttpForwarder({
    agent,
    logger,
    answerChallenge: (response, target) => answerChallenge(response, target, login),
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
  readonly login: KmsLoginDependencies;
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
      typeof login.kms?.encrypt !== "function")
  ) {
    problems.push(
      "login: must have resolveCredentials(), sts.getCallerIdentity(), sts.getSessionToken() and kms.encrypt()",
    );
  }
  const logger = options.logger;
  if (logger !== undefined && (typeof logger.info !== "function" || typeof logger.warn !== "function")) {
    problems.push("logger: must have info() and warn()");
  }
  if (problems.length > 0) throw new TypeError(`Invalid proxy server options: ${problems.join("; ")}`);
  return Object.freeze({
    bind,
    login: login ?? createAwsLoginDependencies(),
    logger: logger ?? createStreamLogger(),
  });
}
