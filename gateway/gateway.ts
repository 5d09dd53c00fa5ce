import {
  Agent as HttpAgent,
  ServerResponse,
  type ClientRequest,
  type IncomingMessage,
  type Server,
} from "node:http";
import { Agent as HttpsAgent } from "node:https";
import type { Duplex } from "node:stream";
import type { Socket } from "node:net";
import express, { type Express, type Request, type Response } from "express";
import httpProxy from "http-proxy";
import { Registry } from "prom-client";
import {
  createEventLogger,
  createRedisStores,
  DEFAULT_AUTH_PATH,
  DEFAULT_COOKIE_NAME,
  iamAuth,
  REQUEST_ID_HEADER,
  requestIdOf,
} from "../server-middleware/index.js";
import { createAssertionSigner } from "./assertion.js";
import { watchConnections } from "./graceful-close.js";
import { createHealth, type Health } from "./health.js";
import {
  createIdentityHeaderStripper,
  identityHeaderValues,
  setIdentityHeaders,
} from "./identity-headers.js";
import { createGatewayMetrics, statusClassOf, upstreamErrorLabel } from "./metrics.js";
import { resolveGatewayOptions, type GatewayOptions } from "./options.js";
import { answerClientErrors, applyServerLimits, createLimitedServer } from "./server-limits.js";
import { skipsAuth } from "./skip-auth.js";

/** The field naming the code of every answer the gateway makes itself (never on the app's). */
const GATEWAY_ERROR_HEADER = "Iam-Auth-Gateway-Error";

/** Where the gateway serves the assertion's public keys. */
export const JWKS_PATH = "/.well-known/iam-auth/jwks.json";

/** A gateway ready to be given connections: `server.listen(…)`. */
export interface Gateway {
  /** The HTTP server (requests and websocket upgrades); not yet listening. */
  readonly server: Server;
  /** The Express app behind `server`, for tests and for mounting extra routes before use. */
  readonly app: Express;
  /** The gateway's and its sign-in's metrics (Prometheus): serve with startMetricsServer. */
  readonly registry: Registry;
  /** /healthz and /readyz (answered on `server` too, before sign-in). */
  readonly health: Health;
  /** Stops listening, closes client connections and websockets, frees upstream connections. */
  close(): Promise<void>;
  /**
   * SIGTERM's close: /readyz turns 503, no new connections, requests in flight finish (at most
   * `timeoutMs`, then what is left is cut), then the replay store is closed (`close()`, when it
   * has one). Resolves true when everything finished in time.
   */
  shutdown(timeoutMs: number): Promise<boolean>;
}

interface PendingUpgrade {
  readonly socket: Duplex;
  readonly head: Buffer;
}

const forwardedHeaders = [
  "forwarded",
  "x-forwarded-for",
  "x-forwarded-host",
  "x-forwarded-proto",
  "x-forwarded-port",
];

/**
 * The IAM gateway: signs people in with `iamAuth()` and passes their requests (and websocket
 * upgrades) to the app at `upstream` with the identity headers and a signed assertion. Every
 * client-supplied copy of those headers is removed first; requests matching `skipAuth` go
 * through without a session and without identity headers.
 *
 * `server`: an HTTP server to serve on (it may already listen: the command line learns its
 * port, and so the server-id, before the sign-in options exist); default a new one. Either way it
 * gets `serverLimits` and answers requests Node's parser rejects with a one-line 400 (408, 431).
 *
 * @example
 * const gateway = await createGateway({ upstream: "http://127.0.0.1:8000", iamAuth: { accountId, sessionSecrets, sts: { serverId } } });
 * gateway.server.listen(4180, "127.0.0.1");
 */
export async function createGateway(options: GatewayOptions, given?: Server): Promise<Gateway> {
  const resolved = resolveGatewayOptions(options);
  const log = createEventLogger(resolved.logger, () => new Date());
  const server = given ?? createLimitedServer(resolved.serverLimits);
  applyServerLimits(server, resolved.serverLimits);
  answerClientErrors(server, {
    errorHeader: GATEWAY_ERROR_HEADER,
    log: (code) => log("client-error", { code }),
  });
  const registry = resolved.metrics?.registry ?? new Registry();
  const metrics = createGatewayMetrics(registry);
  const connections = watchConnections(server);
  const signer = await createAssertionSigner({ ...resolved.assertion, clock: () => new Date() });
  const stripIdentityHeaders = createIdentityHeaderStripper(resolved.identityHeaders);
  const sessionCookie = resolved.iamAuth.cookieName ?? DEFAULT_COOKIE_NAME;
  const upgrades = new WeakMap<IncomingMessage, PendingUpgrade>();
  const checkPath = `${resolved.iamAuth.authPath ?? DEFAULT_AUTH_PATH}/check`;
  // Shared by every gateway given the same URL; without one, iamAuth keeps them in memory.
  const redis =
    resolved.redisUrl === undefined
      ? undefined
      : createRedisStores({
          url: resolved.redisUrl,
          ...(resolved.redisKeyPrefix === undefined ? {} : { keyPrefix: resolved.redisKeyPrefix }),
          logger: resolved.logger,
        });
  const stores = {
    replayStore: redis?.replayStore ?? resolved.iamAuth.replayStore,
    sessionRevocation: redis?.sessionRevocation ?? resolved.iamAuth.sessionRevocation,
  };
  const health = createHealth(stores);

  // Connections to the app are kept and reused: http-proxy's default opens one per request,
  // which cost more CPU than everything else the gateway does (bench/README.md, figure 7).
  const upstreamAgent =
    resolved.upstream.protocol === "https:"
      ? new HttpsAgent({ keepAlive: true, maxSockets: 256 })
      : new HttpAgent({ keepAlive: true, maxSockets: 256 });
  const proxy = httpProxy.createProxyServer({
    target: resolved.upstream.origin,
    agent: upstreamAgent,
    xfwd: true,
    proxyTimeout: resolved.upstreamTimeoutMs,
    // The app sees the Host the client used, as behind any reverse proxy.
    changeOrigin: false,
  });
  // http-proxy answers its own proxyTimeout by aborting the request, which then fails as
  // ECONNRESET: remember which requests it timed out, so they get 504, not "could not be reached".
  const timedOut = new WeakSet<IncomingMessage>();
  // The request to the app of each client request, to tell a reused kept-alive connection.
  const sentOn = new WeakMap<IncomingMessage, ClientRequest>();
  const retried = new WeakSet<IncomingMessage>();
  proxy.on("proxyReq", (proxyReq, req) => {
    sentOn.set(req, proxyReq);
    proxyReq.once("timeout", () => timedOut.add(req));
  });
  proxy.on("proxyRes", (proxyRes) =>
    metrics.proxied.inc({ status_class: statusClassOf(proxyRes.statusCode ?? 0) }),
  );
  proxy.on("error", (error: NodeJS.ErrnoException, req, target) => {
    // The app closed an idle kept-alive connection just as this request went out on it (the
    // race every keep-alive client has): a request that can be sent again safely is, once, on a
    // new connection. One with a body, or not idempotent, could have reached the app: it is not.
    if (
      target instanceof ServerResponse &&
      !target.headersSent &&
      error.code === "ECONNRESET" &&
      sentOn.get(req)?.reusedSocket === true &&
      !timedOut.has(req) &&
      !retried.has(req) &&
      canSendAgain(req)
    ) {
      retried.add(req);
      log("upstream", {
        outcome: "retried",
        code: error.code,
        path: req.url?.split("?")[0],
        requestId: req.headers[REQUEST_ID_HEADER] as string | undefined,
      });
      proxy.web(req, target);
      return;
    }
    metrics.upstreamErrors.inc({ code: upstreamErrorLabel(error.code) });
    log("upstream", {
      outcome: "failed",
      code: error.code ?? "ERROR",
      path: req.url?.split("?")[0],
      requestId: req.headers[REQUEST_ID_HEADER] as string | undefined,
    });
    const message = `The app at ${resolved.upstream.origin} could not be reached (${error.code ?? error.message}).`;
    if (target instanceof ServerResponse) {
      if (target.headersSent) target.destroy();
      else if (timedOut.has(req)) {
        const seconds = resolved.upstreamTimeoutMs / 1000;
        const late = `The app at ${resolved.upstream.origin} did not answer within ${seconds} s.`;
        sendGatewayError(target, 504, "UPSTREAM_TIMEOUT", late);
      } else sendGatewayError(target, 502, "UPSTREAM_UNREACHABLE", message);
    } else {
      writeRawError(target, 502, "UPSTREAM_UNREACHABLE", message);
    }
  });

  const forward = (req: Request, res: Response): void => {
    const upgrade = upgrades.get(req);
    if (upgrade !== undefined) proxy.ws(req, upgrade.socket, upgrade.head);
    else proxy.web(req, res);
  };

  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", resolved.trustProxy);
  // Before sign-in and never passed to the app: load balancers and orchestrators ask these.
  app.use((req, res, next) => {
    if (!health.answer(req, res)) next();
  });
  // One id per request, for the logs here and in the app: the app receives it in X-Request-Id,
  // the client in the answer. An incoming one is kept only from a trusted proxy (requestIdOf).
  app.use((req, res, next) => {
    const id = requestIdOf(req);
    req.headers[REQUEST_ID_HEADER] = id;
    res.setHeader("X-Request-Id", id);
    next();
  });
  app.get(JWKS_PATH, (_req, res) => {
    res.set("Cache-Control", "public, max-age=300").json(signer.jwks);
  });
  // Before anything reads them: the identity headers are the gateway's alone to set.
  app.use((req, res, next) => {
    if (!req.url.startsWith("/")) {
      sendGatewayError(
        res,
        400,
        "REQUEST_INVALID",
        "The request target must be a path (origin form), e.g. GET /index.html.",
      );
      return;
    }
    const removed = stripIdentityHeaders(req.headers);
    if (removed.length > 0)
      log("request", { outcome: "stripped", headers: removed.join(","), path: req.path });
    if (resolved.trustProxy === false) for (const name of forwardedHeaders) delete req.headers[name];
    next();
  });
  app.use((req, res, next) => {
    if (skipsAuth(resolved.skipAuth, req.method, req.path)) forward(req, res);
    else next();
  });
  // The check path is public to iamAuth (it sets the identity when there is a session and lets
  // the request through either way) so the gateway decides how a refusal looks, below.
  const signIn = iamAuth({
    logger: resolved.logger,
    metrics: { registry },
    ...resolved.iamAuth,
    ...(redis === undefined
      ? {}
      : { replayStore: redis.replayStore, sessionRevocation: redis.sessionRevocation }),
    publicPaths: [...(resolved.iamAuth.publicPaths ?? []), checkPath, `${checkPath}/*`],
  });
  app.use(signIn);
  app.use((req, res, next) => {
    const identity = req.iamIdentity;
    // Envoy's ext_authz appends the request's path to its path_prefix: /auth/check/reports.
    const isCheck = req.path === checkPath || req.path.startsWith(`${checkPath}/`);
    if (identity === undefined && isCheck) {
      if (req.query.challenge === "none") {
        // nginx's auth_request copies a 401's WWW-Authenticate into the answer that its
        // error_page then fetches from the gateway: a second challenge whose nonce cookie the
        // client never gets. nginx asks for a bare 401 and takes the challenge from error_page.
        sendGatewayError(res, 401, "SESSION_REQUIRED", "No valid session.");
        return;
      }
      // Traefik and Envoy hand the check's own 401 to the client: it must be the challenge.
      req.url = `${checkPath}-challenge`;
      signIn(req, res, next);
      return;
    }
    // iamAuth answers every request without a valid session itself; this is a second lock.
    if (identity === undefined) {
      sendGatewayError(res, 401, "SESSION_REQUIRED", "Sign in first.");
      return;
    }
    signer.sign(identity).then(
      (assertion) => {
        if (isCheck) {
          // Forward-auth (nginx auth_request, Traefik forwardAuth, Envoy ext_authz): the
          // identity goes back in the answer's headers for the front proxy to pass on.
          res.set(Object.fromEntries(identityHeaderValues(resolved.identityHeaders, identity, assertion)));
          res.set({ "Cache-Control": "no-store" }).status(200).end();
          return;
        }
        setIdentityHeaders(req.headers, resolved.identityHeaders, identity, assertion);
        removeCookies(req, [sessionCookie, `${sessionCookie}.sig`]);
        forward(req, res);
      },
      (error: unknown) => next(error),
    );
  });

  server.on("request", app);
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Upgrades go through the same Express pipeline (header stripping, skip rules, sign-in
    // check) with a response bound to the raw socket, so a refusal is an ordinary HTTP answer.
    upgrades.set(req, { socket, head });
    socket.on("error", () => socket.destroy());
    const res = new ServerResponse(req);
    res.assignSocket(socket as Socket);
    res.shouldKeepAlive = false;
    res.on("finish", () => socket.end());
    app(req, res);
  });

  return {
    server,
    app,
    registry,
    health,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        connections.closeNow();
        proxy.close();
        upstreamAgent.destroy();
      }).then(() => redis?.close()),
    shutdown: async (timeoutMs) => {
      health.setDraining();
      const finished = await connections.close(timeoutMs);
      proxy.close();
      upstreamAgent.destroy();
      await (redis === undefined ? resolved.iamAuth.replayStore?.close?.() : redis.close());
      return finished;
    },
  };
}

/** Whether a request to the app may be sent twice: an idempotent method (RFC 9110 §9.2.2) without a body. */
function canSendAgain(req: IncomingMessage): boolean {
  const method = req.method ?? "";
  if (method !== "GET" && method !== "HEAD" && method !== "OPTIONS") return false;
  const length = req.headers["content-length"];
  return req.headers["transfer-encoding"] === undefined && (length === undefined || length === "0");
}

/** Removes the named cookies from the request's Cookie header: the app has no use for the gateway's session. */
function removeCookies(req: IncomingMessage, names: readonly string[]): void {
  const header = req.headers.cookie;
  if (header === undefined) return;
  const kept = header
    .split(";")
    .map((pair) => pair.trim())
    .filter((pair) => pair !== "" && !names.includes(pair.slice(0, Math.max(0, pair.indexOf("=")))));
  if (kept.length === 0) delete req.headers.cookie;
  else req.headers.cookie = kept.join("; ");
}

function sendGatewayError(res: ServerResponse, status: number, code: string, message: string): void {
  const body = `${message}\n`;
  res.writeHead(status, {
    "Content-Type": "text/plain; charset=utf-8",
    "Content-Length": Buffer.byteLength(body),
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    [GATEWAY_ERROR_HEADER]: code,
  });
  res.end(res.req?.method === "HEAD" ? undefined : body);
}

function writeRawError(socket: Duplex, status: number, code: string, message: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = `${message}\n`;
  const reason = status === 502 ? "Bad Gateway" : "Error";
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `Cache-Control: no-store\r\n${GATEWAY_ERROR_HEADER}: ${code}\r\nConnection: close\r\n\r\n${body}`,
  );
}
