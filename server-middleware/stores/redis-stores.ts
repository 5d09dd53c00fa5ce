import { createClient } from "redis";
import { createEventLogger, isLoggerOption, type LoggerOption } from "../operations/log.js";
import { RedisReplayStore } from "./redis-replay-store.js";
import { RedisRevocationStore } from "./redis-revocation-store.js";
import { describeRedisUrlProblem, redactRedisUrl } from "./redis-url.js";
import { withReplyDeadline } from "./reply-deadline.js";
import { DEFAULT_KEY_PREFIX, describeKeyPrefixProblem } from "./store-key.js";

/** Options of `createRedisStores()`. */
export interface RedisStoresOptions {
  /**
   * Required. `redis://[[user]:password@]host[:port][/db]`, or `rediss://…` for TLS (checked
   * against the system's trusted CAs, as ElastiCache and Memorystore need). Never logged with its password.
   */
  readonly url: string;
  /** Put before every key; give each app its own when they share a Redis. Default `"iam-auth:"`. */
  readonly keyPrefix?: string;
  /** How long one command may take, to be sent and answered, before it fails (then: 503 for sign-ins). Default 1000 ms. */
  readonly commandTimeoutMs?: number;
  /** One line per connection event (lost, back). Default: stderr. */
  readonly logger?: LoggerOption;
}

/** The shared stores, on one Redis connection. */
export interface RedisStores {
  /** For `iamAuth({ replayStore })`. */
  readonly replayStore: RedisReplayStore;
  /** For `iamAuth({ sessionRevocation })`. */
  readonly sessionRevocation: RedisRevocationStore;
  /** Closes the connection (pending commands are answered or fail first). */
  close(): Promise<void>;
}

/** The longest wait between two reconnection attempts: Redis back means sign-ins back within about this. */
const MAX_RECONNECT_DELAY_MS = 1000;

/**
 * Connects to Redis and returns the replay store and the revocation store on that one
 * connection, for several instances of an app (or gateway) to share. Checks `url` first: a
 * TypeError names the option. Returns at once; the connection is made in the background and
 * remade whenever it drops (retrying every 50 ms to 1 s, without end), so Redis being down at
 * start or later needs no restart. While it is down every command fails at once (no offline
 * queue: a sign-in must not hang on a Redis that may never come back) and `check()` rejects.
 *
 * @example
 * const redis = createRedisStores({ url: process.env.REDIS_URL!, keyPrefix: "reports:" });
 * app.use(iamAuth({ …, replayStore: redis.replayStore, sessionRevocation: redis.sessionRevocation }));
 */
export function createRedisStores(options: RedisStoresOptions): RedisStores {
  const problems: string[] = [];
  const urlProblem = describeRedisUrlProblem("url", options.url);
  if (urlProblem !== undefined) problems.push(urlProblem);
  const keyPrefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
  const prefixProblem = describeKeyPrefixProblem("keyPrefix", keyPrefix);
  if (prefixProblem !== undefined) problems.push(prefixProblem);
  const commandTimeoutMs = options.commandTimeoutMs ?? 1000;
  if (!Number.isInteger(commandTimeoutMs) || commandTimeoutMs < 1 || commandTimeoutMs > 60_000) {
    problems.push(
      `commandTimeoutMs: must be an integer from 1 to 60000 (got ${JSON.stringify(commandTimeoutMs)})`,
    );
  }
  if (options.logger !== undefined && !isLoggerOption(options.logger)) {
    problems.push("logger: must be a function taking one line, or a pino-compatible logger");
  }
  if (problems.length > 0) {
    throw new TypeError(`createRedisStores: invalid options:\n  - ${problems.join("\n  - ")}`);
  }
  const log = createEventLogger(
    options.logger ?? ((line: string) => void process.stderr.write(`${line}\n`)),
    () => new Date(),
  );
  const url = new URL(options.url);
  // Logged by host and port only: the URL may carry a password.
  const server = `${url.hostname}:${url.port === "" ? "6379" : url.port}`;

  const client = createClient({
    url: options.url,
    // A command while disconnected fails at once instead of waiting for a reconnection.
    disableOfflineQueue: true,
    commandOptions: { timeout: commandTimeoutMs },
    socket: {
      connectTimeout: Math.max(commandTimeoutMs, 1000),
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, MAX_RECONNECT_DELAY_MS),
    },
  });
  // Report a change of state once, not every failed attempt (they come every second while down).
  let up: boolean | undefined;
  client.on("ready", () => {
    if (up !== true) log("redis", { outcome: "ready", server });
    up = true;
  });
  client.on("error", (error: unknown) => {
    if (up === false) return;
    up = false;
    const reason = error instanceof Error ? error.message : String(error);
    log("redis", {
      outcome: "unavailable",
      server,
      // node-redis messages name host and port, never the password; redact anyway.
      reason: reason.split(options.url).join(redactRedisUrl(url)),
    });
  });
  // The first attempt failing is an "error" event like any other; reconnection goes on.
  client.connect().catch(() => undefined);

  // node-redis times a command only until it is sent: this bounds the wait for its reply too.
  const commands = withReplyDeadline(client, commandTimeoutMs);
  return {
    replayStore: new RedisReplayStore({ client: commands, keyPrefix }),
    sessionRevocation: new RedisRevocationStore({ client: commands, keyPrefix }),
    close: async () => {
      if (client.isOpen) await client.close();
    },
  };
}
