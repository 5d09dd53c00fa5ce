#!/usr/bin/env node
/*
 * The example server: `node dist/example-server/main.js`, configured by environment variables
 * (see env.ts and docs/protocol.md):
 *   AWS_ACCOUNT_ID              the app's account (unset: looked up with sts:GetCallerIdentity)
 *   AWS_DEFAULT_REGION / AWS_REGION  needed for the KMS method or the account lookup
 *   SECRET_KEY                  signs the session cookies (at least 32 characters)
 *   KMS_KEY_ID, KMS_SALT        the KMS method's key and encryption context {"salt": KMS_SALT}
 *   IAM_AUTH_METHODS            "sts", "kms" or "sts kms" (default: "sts kms" when KMS_KEY_ID is set, else "sts";
 *                               "kms" alone when HOST is 0.0.0.0 or :: and IAM_AUTH_SERVER_ID is unset)
 *   IAM_AUTH_SERVER_ID          the host[:port] clients use to reach this server: STS proofs and KMS tokens
 *                               are bound to it (default: <HOST>:<port it listens on>; required when HOST is 0.0.0.0 or ::)
 *   IAM_AUTH_KMS_ACCEPT_UNBOUND "true": also accept unbound KMS tokens (the original Go proxy's, which name
 *                               no app, so another app with the same key and salt could replay them here)
 *   IAM_AUTH_TEST_STS_ENDPOINT  TEST ONLY: accept proofs for this http(s) origin (a local STS)
 *   ALLOWED_ACCOUNTS            comma-separated account ids (default: AWS_ACCOUNT_ID)
 *   ALLOWED_PRINCIPALS          comma-separated ARN patterns, `*` wildcards (default: anyone in those accounts)
 *   IAM_AUTH_PATH               where the proxy hands proofs over (default /auth; another path is advertised
 *                               in the challenge, which only this project's proxy follows)
 *   HELP_URL                    the challenge page's "how to sign in" link: an http(s) URL or a path on the app (default: none)
 *   PROXY_ADDRESS               the HOST:PORT the challenge page tells people to run the proxy on (default 127.0.0.1:8080)
 *   REDIS_URL                   redis:// or rediss:// Redis shared by several instances: used proofs and
 *                               signed-out sessions (default: this process's memory, one instance only)
 *   HOST (127.0.0.1), PORT (3000; 0 picks a free port)
 *   METRICS_BIND                host:port of a separate server for /metrics (Prometheus), /healthz and /readyz (default: none)
 *   LOG_FORMAT                  json (default: one JSON object per line, pino) or text
 *   SHUTDOWN_TIMEOUT            seconds SIGTERM waits for requests in flight (default 10)
 *   HEADERS_TIMEOUT (15), REQUEST_TIMEOUT (300; 0: none), KEEP_ALIVE_TIMEOUT (5)  seconds a client may take
 *                               to send a request's head, a whole request, or stay idle between requests
 *   MAX_CONNECTIONS             client connections open at once; more are closed unanswered (default 1000)
 *   TRUST_PROXY                 Express's trust proxy, e.g. loopback or 10.0.0.0/8: whose X-Forwarded-For
 *                               names the client (default: no one's)
 * AWS credentials and AWS_ENDPOINT_URL are the SDK's; STS only with AWS_ACCOUNT_ID needs none.
 *
 * Logs `listening url=http://<host>:<port>` once ready, then one audit event per sign-in,
 * refusal and sign-out (JSON lines on stdout, or text with LOG_FORMAT=text), and the AWS SDK's
 * warnings as one `<time> node-warning name=… message=…` line each on stderr. /healthz and
 * /readyz are answered on PORT before sign-in. Exits 2 when the environment is incomplete, 1
 * when the start-up AWS lookups fail; SIGTERM / SIGINT stop accepting, let requests in flight
 * finish (up to SHUTDOWN_TIMEOUT) and exit 0.
 */
import type { AddressInfo } from "node:net";
import { KMSClient } from "@aws-sdk/client-kms";
import { STSClient } from "@aws-sdk/client-sts";
import { Registry, collectDefaultMetrics } from "prom-client";
import {
  answerClientErrors,
  createHealth,
  createLimitedServer,
  createJsonLogger,
  logCommandEvent,
  startMetricsServer,
  watchConnections,
  type MetricsServer,
} from "../gateway/index.js";
import { createSdkWarningLogger, formatLogLine, reportProcessWarnings } from "../protocol/index.js";
import { createRedisStores } from "../server-middleware/index.js";
import { createExampleApp } from "./app.js";
import { ExampleStartError, resolveExampleConfig, type ExampleConfig } from "./config.js";
import { defaultServerId, ExampleConfigError, readExampleEnv, type ExampleEnv } from "./env.js";

function exit(code: number, message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  // The AWS SDK's warnings (its Node.js version notice, "Multiple credential sources") as one line each.
  reportProcessWarnings((fields) => process.stderr.write(`${formatLogLine("node-warning", fields)}\n`));
  let env: ExampleEnv;
  try {
    env = readExampleEnv(process.env);
  } catch (error) {
    if (error instanceof ExampleConfigError) exit(2, error.message);
    throw error;
  }

  // Only the clients this configuration calls: STS only with AWS_ACCOUNT_ID makes none.
  const logger = createSdkWarningLogger();
  const kms = env.kms === undefined ? undefined : new KMSClient({ region: env.region, logger });
  const sts = env.accountId === undefined ? new STSClient({ region: env.region, logger }) : undefined;
  let config: ExampleConfig;
  try {
    config = await resolveExampleConfig(env, { kms, sts });
  } catch (error) {
    if (error instanceof ExampleStartError) exit(1, formatLogLine("start-failed", { reason: error.message }));
    throw error;
  } finally {
    sts?.destroy();
  }

  const eventLogger = createJsonLogger(env.logFormat, 1);
  // Made once, before listening: a bad REDIS_URL was already reported by readExampleEnv.
  const redis =
    config.redisUrl === undefined
      ? undefined
      : createRedisStores({ url: config.redisUrl, logger: (line) => process.stderr.write(`${line}\n`) });
  const shared =
    redis === undefined ? {} : { replayStore: redis.replayStore, sessionRevocation: redis.sessionRevocation };
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const health = createHealth(shared);
  let metricsServer: MetricsServer | undefined;
  if (env.metricsBind !== undefined) {
    try {
      metricsServer = await startMetricsServer(env.metricsBind, registry, health);
    } catch (error) {
      exit(1, formatLogLine("start-failed", { reason: `METRICS_BIND: ${(error as Error).message}` }));
    }
  }
  const server = createLimitedServer(env.serverLimits);
  answerClientErrors(server, { log: (code) => logCommandEvent(eventLogger, "client-error", { code }) });
  const connections = watchConnections(server);
  server.on("error", (error) => exit(1, formatLogLine("start-failed", { reason: error.message })));
  server.listen(config.port, config.host, () => {
    const { port } = server.address() as AddressInfo;
    // The default server-id needs the port actually bound (PORT=0), so the app is made now.
    const serverId = defaultServerId(config.host, port);
    let listening: ExampleConfig =
      config.sts === undefined || config.sts.serverId !== undefined
        ? config
        : { ...config, sts: { ...config.sts, serverId } };
    if (listening.kms?.bound === true && listening.kms.serverId === undefined) {
      listening = { ...listening, kms: { ...listening.kms, serverId } };
    }
    try {
      server.on(
        "request",
        createExampleApp(listening, {
          ...shared,
          ...(kms === undefined ? {} : { kmsClient: kms }),
          logger: eventLogger,
          metrics: { registry },
          health,
        }),
      );
    } catch (error) {
      if (error instanceof TypeError) exit(2, `example-server: cannot start: ${error.message}`);
      throw error;
    }
    const url = `http://${defaultServerId(config.host, port)}`;
    logCommandEvent(eventLogger, "listening", { url, metrics: metricsServer?.url }, `listening url=${url}`);
  });

  const stop = (signal: string): void => {
    logCommandEvent(eventLogger, "shutdown", { signal, timeoutMs: env.shutdownTimeoutMs });
    health.setDraining();
    void connections.close(env.shutdownTimeoutMs).then(async (finished) => {
      await metricsServer?.close();
      kms?.destroy();
      await redis?.close();
      logCommandEvent(eventLogger, "stopped", { finished });
      process.exit(0);
    });
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

main().catch((error: unknown) => {
  exit(1, formatLogLine("start-failed", { reason: error instanceof Error ? error.message : String(error) }));
});
