import { createServer, type Server } from "node:http";
import type { Duplex } from "node:stream";
import { describeClientError, formatPlainTextResponse } from "../protocol/index.js";

/*
 * Bounds on what clients may hold of an HTTP server — how long a request's head and whole request
 * may take to arrive, how long an idle kept-alive connection stays, how many connections may be
 * open at once — for the gateway and the example server. Without them Node's defaults apply: a
 * head trickled a byte at a time holds its connection for up to 60 s plus the 30 s between Node's
 * checks, and connections are not counted at all, so a crowd of idle or slow clients can take a
 * server's memory and descriptors. Also the answer to a request Node's parser rejects.
 */

/** Bounds on an HTTP server's clients, every time in ms. */
export interface ServerLimits {
  /** How long a client may take to send a request's head (request line and headers). Default 15,000 (Node's: 60,000). */
  readonly headersTimeoutMs: number;
  /**
   * How long a client may take to send a whole request, head and body; 0: no bound. Default
   * 300,000 (Node's own). Answers are not bounded by it: a long download, a stream or a websocket
   * is not cut; a slower upload is.
   */
  readonly requestTimeoutMs: number;
  /** How long a kept-alive connection may stay idle between requests. Default 5,000 (Node's). */
  readonly keepAliveTimeoutMs: number;
  /** Most client connections open at once (websockets included); one more is closed at once, unanswered. Default 1,000 (Node's: no bound). */
  readonly maxConnections: number;
}

/** The limits a server gets when none are given. */
export const DEFAULT_SERVER_LIMITS: ServerLimits = Object.freeze({
  headersTimeoutMs: 15_000,
  requestTimeoutMs: 300_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 1_000,
});

/**
 * How often Node looks for heads and requests past their time (its default, 30 s, would let a
 * trickled head live up to 30 s past headersTimeoutMs). Checking a list of connections once a
 * second costs next to nothing.
 */
const CONNECTIONS_CHECKING_INTERVAL_MS = 1_000;

interface Rule {
  readonly min: number;
  readonly max: number;
  readonly integer: boolean;
  /** A time, in ms (shown in the unit asked for), or a count. */
  readonly time: boolean;
}

const rules: Readonly<Record<keyof ServerLimits, Rule>> = {
  headersTimeoutMs: { min: 1_000, max: 600_000, integer: false, time: true },
  requestTimeoutMs: { min: 0, max: 86_400_000, integer: false, time: true },
  // 0 would mean "never close an idle connection" to Node, the opposite of a bound.
  keepAliveTimeoutMs: { min: 100, max: 600_000, integer: false, time: true },
  maxConnections: { min: 1, max: 1_000_000, integer: true, time: false },
};

/**
 * Checks server limits as a command or a library was given them, in `unit` ("s": seconds, as
 * flags and environment variables take them; "ms" as options do; counts are counts either way),
 * and applies the defaults. Each problem, named by `names`, goes to `problems`.
 *
 * @example checkServerLimits({ headersTimeoutMs: 10 }, { headersTimeoutMs: "--headers-timeout", … }, "s", problems).headersTimeoutMs // 10000
 */
export function checkServerLimits(
  given: Readonly<Partial<Record<keyof ServerLimits, unknown>>>,
  names: Readonly<Record<keyof ServerLimits, string>>,
  unit: "s" | "ms",
  problems: string[],
): ServerLimits {
  const scale = unit === "s" ? 1000 : 1;
  const limits: Record<keyof ServerLimits, number> = { ...DEFAULT_SERVER_LIMITS };
  for (const key of Object.keys(rules) as (keyof ServerLimits)[]) {
    const value = given[key];
    if (value === undefined) continue;
    const rule = rules[key];
    const factor = rule.time ? scale : 1;
    const inMs = typeof value === "number" ? value * factor : NaN;
    if (
      !Number.isFinite(inMs) ||
      (rule.integer && !Number.isInteger(inMs)) ||
      inMs < rule.min ||
      inMs > rule.max
    ) {
      const what = rule.time ? (unit === "s" ? "seconds" : "milliseconds") : "connections";
      problems.push(
        `${names[key]}: must be ${rule.integer ? "a whole number of " : ""}${what} from ${rule.min / factor} to ${rule.max / factor} (got ${JSON.stringify(value)})`,
      );
      continue;
    }
    limits[key] = Math.round(inMs);
  }
  if (limits.requestTimeoutMs > 0 && limits.headersTimeoutMs > limits.requestTimeoutMs) {
    problems.push(
      `${names.headersTimeoutMs}: must not be longer than ${names.requestTimeoutMs} (the head is part of the request); raise ${names.requestTimeoutMs} or set it to 0`,
    );
  }
  return Object.freeze(limits);
}

/**
 * A new HTTP server with `limits`, checked for overdue heads and requests once a second.
 *
 * @example const server = createLimitedServer(DEFAULT_SERVER_LIMITS); server.listen(0)
 */
export function createLimitedServer(limits: ServerLimits): Server {
  const server = createServer({
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: CONNECTIONS_CHECKING_INTERVAL_MS,
  });
  applyServerLimits(server, limits);
  return server;
}

/**
 * Sets `limits` on a server made elsewhere. How often Node checks the times can only be set when a
 * server is made (createLimitedServer); on others it stays Node's 30 s.
 */
export function applyServerLimits(server: Server, limits: ServerLimits): void {
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.maxConnections = limits.maxConnections;
}

/**
 * Answers every request Node's parser rejects on `server` (a bad request line or header, a head
 * too big or too slow) with one line of text/plain and `Connection: close` (protocol's
 * describeClientError: 400, 408 or 431), the code in `errorHeader` when given, instead of Node's
 * bare `400`; `log` gets the parser's error code, never the request's bytes. A connection
 * already answering, or reset by its client, is just closed.
 *
 * @example answerClientErrors(server, { errorHeader: "Iam-Auth-Gateway-Error", log: (code) => log("client-error", { code }) })
 */
export function answerClientErrors(
  server: Server,
  options: { readonly errorHeader?: string; readonly log: (code: string) => void },
): void {
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Duplex) => {
    const inFlight = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (error.code === "ECONNRESET" || !socket.writable || inFlight?.headersSent === true) {
      socket.destroy();
      return;
    }
    options.log(error.code ?? error.name);
    const answer = describeClientError(error.code);
    const fields: Record<string, string> =
      options.errorHeader === undefined ? {} : { [options.errorHeader]: answer.code };
    socket.end(formatPlainTextResponse(answer.status, answer.message, fields));
  });
}
