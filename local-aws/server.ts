import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { adminPrefix, handleAdmin } from "./admin-api.js";
import type { LocalAwsConfig } from "./config.js";
import {
  BodyTooLargeError,
  readBody,
  sendApiResponse,
  sendJson,
  splitTarget,
  toSignedRequest,
} from "./http-io.js";
import { handleKms } from "./kms-api.js";
import { createLogger, stdoutSink, type Logger, type LogSink } from "./log.js";
import { createLocalAwsState, type LocalAwsState } from "./state.js";
import { handleSts } from "./sts-api.js";

export interface LocalAwsOptions {
  /** Accounts, users, roles and keys to serve (validated; see config.ts). */
  readonly config: LocalAwsConfig;
  /** The time source for signature checks and credential expiry. Default: `() => new Date()`. */
  readonly clock?: () => Date;
  /** Where log lines go. Default: stdout. */
  readonly log?: LogSink;
  /** Largest accepted request body; larger ones get 413. Default 1 MiB. */
  readonly maxBodyBytes?: number;
  /** Called whenever a new secret (session credentials, KMS plaintext) joins `state.secrets`. Default: nothing. */
  readonly onNewSecret?: () => void;
}

export interface LocalAws {
  /** Not yet listening: call `server.listen(0, "127.0.0.1")`. */
  readonly server: Server;
  readonly state: LocalAwsState;
}

/**
 * Creates the local STS + KMS HTTP server. Requests are routed by shape, as one AWS
 * endpoint URL serves both: `/__local-aws/…` admin hooks, `X-Amz-Target: TrentService.*`
 * to KMS, and any request carrying an STS `Action` parameter to STS.
 *
 * @example
 * const { server } = createLocalAws({ config: demoConfig });
 * server.listen(0, "127.0.0.1");
 */
export function createLocalAws(options: LocalAwsOptions): LocalAws {
  const clock = options.clock ?? (() => new Date());
  const state = createLocalAwsState(options.config, clock, options.onNewSecret);
  const logger = createLogger(options.log ?? stdoutSink, clock);
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  const server = createServer((req, res) => {
    req.on("error", () => undefined); // readBody reports body errors; this only keeps a reset from crashing us.
    res.on("error", () => undefined);
    handleRequest(state, logger, maxBodyBytes, req, res).catch((error: unknown) => {
      logger.log("internal-error", { method: req.method, error: errorName(error) });
      if (!res.headersSent) sendJson(res, 500, { error: "internal error in local-aws" }, true);
      else res.destroy();
    });
  });
  server.on("connection", (socket) => socket.on("error", () => undefined));
  server.on("clientError", (_error, socket) => {
    if (socket.writable)
      socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
    else socket.destroy();
  });
  return { server, state };
}

async function handleRequest(
  state: LocalAwsState,
  logger: Logger,
  maxBodyBytes: number,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const method = req.method ?? "GET";
  const { path, query } = splitTarget(req.url ?? "/");
  let body: Buffer;
  try {
    body = await readBody(req, maxBodyBytes);
  } catch (error) {
    if (!(error instanceof BodyTooLargeError)) return; // the client went away; nobody to answer
    logger.log("request-rejected", { method, path, status: 413, reason: "body-too-large" });
    sendJson(res, 413, { error: error.message }, true);
    return;
  }

  if (path.startsWith(adminPrefix)) {
    const response = handleAdmin(state, method, path, body);
    logger.log("admin-call", { method, path, status: response.status });
    sendJson(res, response.status, response.body);
    return;
  }

  const target = req.headers["x-amz-target"];
  const params = stsParams(req, query, body);
  if (path === "/" && method === "POST" && typeof target === "string") {
    const response = await handleKms(state, toSignedRequest(req, body), target);
    logger.log("aws-call", { ...response.log, status: response.status });
    sendApiResponse(res, response);
    return;
  }
  if (path === "/" && (method === "POST" || method === "GET") && params.has("Action")) {
    const response = await handleSts(state, toSignedRequest(req, body), params);
    logger.log("aws-call", { ...response.log, status: response.status });
    sendApiResponse(res, response);
    return;
  }
  logger.log("request-rejected", { method, path, status: 404, reason: "unknown-route" });
  sendJson(res, 404, {
    error:
      `unknown route ${method} ${path}: local-aws serves STS (POST / or GET / with Action=…), ` +
      `KMS (POST / with X-Amz-Target: TrentService.*) and ${adminPrefix}*`,
  });
}

/** STS parameters: the query string, overlaid with a form-encoded body. */
function stsParams(
  req: IncomingMessage,
  query: Record<string, string | string[]>,
  body: Buffer,
): URLSearchParams {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    for (const v of typeof value === "string" ? [value] : value) params.append(name, v);
  }
  const type = req.headers["content-type"] ?? "";
  if (req.method === "POST" && /^application\/x-www-form-urlencoded\b/i.test(type)) {
    for (const [name, value] of new URLSearchParams(body.toString("utf8"))) params.set(name, value);
  }
  return params;
}

function errorName(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : "non-error thrown";
}
