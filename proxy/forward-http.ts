import type { Agent, IncomingMessage, ServerResponse } from "node:http";
import { pipeline } from "node:stream";
import httpProxy from "http-proxy";
import { formatHostPort } from "./bind-address.js";
import type { ChallengeDecision, UpstreamResponseHead } from "./challenge-answerer.js";
import { ProxyError } from "./errors.js";
import { prepareForwardedRequestHeaders, removeHopByHopHeaders, sendPlainText } from "./http-messages.js";
import type { LoginTarget } from "./kms-login.js";
import type { ProxyLogger } from "./log.js";
import { parseAbsoluteTarget, type ForwardTarget } from "./request-target.js";

export interface HttpForwarderOptions {
  /** Keep-alive agent for upstream connections. */
  readonly agent: Agent;
  /** Decides what to do with each upstream 401 (answer the IAM challenge or pass it through). */
  readonly answerChallenge: (
    response: UpstreamResponseHead,
    target: LoginTarget,
  ) => Promise<ChallengeDecision>;
  readonly logger: ProxyLogger;
}

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Handles plain-HTTP proxy requests (absolute-form, `GET http://app:3000/path`): forwards them with
 * http-proxy, answers an upstream IAM challenge (401) in place of the app's response, and relays
 * every other response with hop-by-hop fields removed and the body streamed.
 *
 * @example http.createServer(createHttpForwarder({ agent, answerChallenge, logger }))
 */
export function createHttpForwarder(options: HttpForwarderOptions): RequestHandler {
  const { logger } = options;
  const proxy = httpProxy.createProxyServer({ selfHandleResponse: true, agent: options.agent, xfwd: false });
  const targets = new WeakMap<IncomingMessage, ForwardTarget>();

  // Every error is routed to the per-request callback below; this one only guards against a crash.
  proxy.on("error", (error: Error) => logger.warn("forward-error", { reason: error.message }));
  proxy.on("proxyReq", (proxyReq, req) => {
    const target = targets.get(req);
    // http-proxy rebuilds the path with url.parse and collapses "//": send the path exactly as the client did.
    if (target !== undefined && !proxyReq.headersSent) proxyReq.path = target.path;
  });
  proxy.on("proxyRes", (proxyRes, req, res) => {
    proxyRes.on("error", () => res.destroy());
    const target = targets.get(req);
    if (target === undefined || proxyRes.statusCode !== 401) {
      relayResponse(proxyRes, res);
      return;
    }
    void answerOrRelay(proxyRes, res, target);
  });

  async function answerOrRelay(
    proxyRes: IncomingMessage,
    res: ServerResponse,
    target: ForwardTarget,
  ): Promise<void> {
    let decision: ChallengeDecision;
    try {
      decision = await options.answerChallenge(proxyRes, { host: target.host, returnUrl: target.path });
    } catch (error) {
      proxyRes.resume();
      logger.warn("login", {
        host: target.host,
        identity: "unknown",
        method: "kms",
        outcome: "error",
        reason: String(error),
      });
      sendPlainText(
        res,
        500,
        "The proxy failed to answer the IAM challenge (internal error; see the proxy log)",
      );
      return;
    }
    if (decision.action === "pass-through") {
      relayResponse(proxyRes, res);
      return;
    }
    // The app's 401 body is replaced by our answer; read it to the end so the connection can be reused.
    proxyRes.resume();
    const identity = decision.identity?.arn ?? "unknown";
    if (decision.action === "redirect") {
      logger.info("login", { host: target.host, identity, method: "kms", outcome: "redirected" });
      sendPlainText(res, 302, `Signing in to ${target.host} with your AWS identity`, {
        Location: decision.location,
      });
      return;
    }
    const { error } = decision;
    logger.info("login", {
      host: target.host,
      identity,
      method: "kms",
      outcome: "denied",
      code: error.code,
      reason: error.message,
    });
    sendPlainText(res, error.status, error.message);
  }

  function relayResponse(proxyRes: IncomingMessage, res: ServerResponse): void {
    try {
      res.writeHead(
        proxyRes.statusCode ?? 502,
        proxyRes.statusMessage,
        removeHopByHopHeaders(proxyRes.rawHeaders),
      );
    } catch (error) {
      proxyRes.destroy();
      sendPlainText(res, 502, `The upstream response could not be relayed: ${(error as Error).message}`);
      return;
    }
    // pipeline tears down both sides if either fails or the client goes away mid-body.
    pipeline(proxyRes, res, () => undefined);
  }

  return (req, res) => {
    req.on("error", () => req.destroy());
    res.on("error", () => res.destroy());
    const requestTarget = req.url ?? "";
    if (requestTarget.startsWith("/")) {
      const self = `http://${formatHostPort(req.socket.localAddress ?? "127.0.0.1", req.socket.localPort ?? 8080)}`;
      const error = new ProxyError(
        "NOT_A_PROXY_REQUEST",
        `This is an HTTP proxy: configure it as your proxy (e.g. curl -x ${self} …)`,
      );
      sendPlainText(res, error.status, error.message);
      return;
    }
    let target: ForwardTarget;
    try {
      target = parseAbsoluteTarget(requestTarget);
    } catch (error) {
      if (!(error instanceof ProxyError)) throw error;
      sendPlainText(res, error.status, error.message);
      return;
    }
    prepareForwardedRequestHeaders(req.headers, target.host);
    targets.set(req, target);
    const upstream = {
      protocol: "http:",
      host: target.hostname,
      hostname: target.hostname,
      port: String(target.port),
    };
    proxy.web(req, res, { target: upstream }, (error: NodeJS.ErrnoException) => {
      if (res.destroyed || res.writableEnded) return;
      const code = error.code ?? error.name;
      if (res.headersSent) {
        // The app failed mid-response: all the client can be told is that the body is cut short.
        logger.warn("forward", { host: target.host, outcome: "upstream-aborted", code });
        res.destroy();
        return;
      }
      logger.warn("forward", { host: target.host, outcome: "upstream-unreachable", code });
      const failure = new ProxyError("UPSTREAM_UNREACHABLE", `Cannot reach ${target.host}: ${code}`, {
        cause: error,
      });
      sendPlainText(res, failure.status, failure.message);
    });
  };
}
