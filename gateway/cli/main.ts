#!/usr/bin/env node
import { readFileSync, realpathSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import yargs from "yargs";
import { parseBindAddress, formatHostPort } from "../bind-address.js";
import {
  describeKeyPrefixProblem,
  describeRedisUrlProblem,
  redactRedisUrl,
  type IamAuthOptions,
} from "../../server-middleware/index.js";
import { createGateway } from "../gateway.js";
import { reportProcessWarnings } from "../../protocol/index.js";
import { createJsonLogger, LOG_FORMATS, logCommandEvent, type LogFormat } from "../json-logger.js";
import { startMetricsServer, type MetricsServer } from "../metrics.js";
import type { GatewayOptions } from "../options.js";
import { checkServerLimits, createLimitedServer, DEFAULT_SERVER_LIMITS } from "../server-limits.js";

const PROGRAM = "iam-auth-gateway";
/** Shortest session secret accepted: 32 bytes, the size of the HMAC-SHA256 key cookie-session signs with. */
const MIN_SECRET_BYTES = 32;

interface Output {
  readonly out: NodeJS.WritableStream;
  readonly err: NodeJS.WritableStream;
}

/** The command line, parsed by yargs: flags, then `IAM_AUTH_GATEWAY_*` variables, then `--config`. */
function buildParser() {
  return (
    yargs()
      .scriptName(PROGRAM)
      .usage(
        `${PROGRAM} --upstream URL --account ID --session-secret-file FILE [options]\n\nSigns people in with their AWS IAM identity and passes their requests to the app at --upstream with the identity in headers and a signed assertion.`,
      )
      .env("IAM_AUTH_GATEWAY")
      .config(
        "config",
        "a JSON or YAML file with any of these options (flags and variables win)",
        (path: string) => parseYaml(readFileSync(path, "utf8")) as Record<string, unknown>,
      )
      .options({
        upstream: {
          type: "string",
          demandOption: true,
          describe: "the app: its http(s) origin, e.g. http://127.0.0.1:8000",
        },
        bind: { type: "string", default: "127.0.0.1:4180", describe: "address and port to listen on" },
        account: {
          type: "string",
          demandOption: true,
          describe: "the AWS account id people sign in from (the realm)",
        },
        "allowed-account": {
          type: "array",
          string: true,
          describe: "further accounts allowed to sign in (repeatable)",
        },
        "allowed-principal": {
          type: "array",
          string: true,
          describe:
            "ARN patterns allowed, e.g. arn:aws:iam::111122223333:role/Dev* (repeatable); default everyone in the accounts",
        },
        "server-id": {
          type: "string",
          describe: "the host[:port] people reach the gateway by; default the --bind address",
        },
        "session-secret-file": {
          type: "string",
          demandOption: true,
          describe: `a file holding the session secret (≥ ${MIN_SECRET_BYTES} bytes)`,
        },
        "skip-auth": {
          type: "array",
          string: true,
          describe:
            'requests passed without a session, e.g. "GET /status" or "/static/*" (repeatable; path only)',
        },
        "trust-proxy": {
          type: "string",
          describe:
            "Express trust proxy: which load balancer's X-Forwarded-* to believe (e.g. loopback); default none",
        },
        "assertion-issuer": {
          type: "string",
          describe: "iss of the identity assertion; default iam-auth-gateway",
        },
        "assertion-audience": {
          type: "string",
          describe: "aud of the identity assertion; default the upstream origin",
        },
        "assertion-key-file": {
          type: "string",
          describe:
            "EC P-256 private key (PKCS #8 PEM) to sign assertions with; default a new key at each start",
        },
        "redis-url": {
          type: "string",
          describe:
            "redis:// or rediss:// (TLS) URL of a Redis shared by every instance: used proofs and signed-out sessions (default: this process's memory, one instance only)",
        },
        "redis-key-prefix": {
          type: "string",
          describe: "prefix of the keys in that Redis; default iam-auth:",
        },
        "header-proof": {
          type: "boolean",
          default: true,
          describe:
            "accept a proof in a request header (Authorization: IAM <token>) from scripts and services, and serve GET /auth/nonce; --no-header-proof turns both off",
        },
        "proof-header": {
          type: "string",
          describe:
            "the request header proofs come in, for apps whose Authorization is their own; default Authorization",
        },
        "header-proof-session": {
          type: "boolean",
          default: false,
          describe: "a header proof also starts a cookie session (the client's next requests need no proof)",
        },
        "user-header": { type: "string", describe: "header with the ARN; default X-Forwarded-User" },
        "arn-header": { type: "string", describe: "default X-Iam-Auth-Arn" },
        "account-header": { type: "string", describe: "default X-Iam-Auth-Account" },
        "user-id-header": { type: "string", describe: "default X-Iam-Auth-User-Id" },
        "assertion-header": { type: "string", describe: "default X-Iam-Auth-Assertion" },
        "metrics-bind": {
          type: "string",
          describe:
            "address and port of a separate server for /metrics (Prometheus), /healthz and /readyz, e.g. 127.0.0.1:9090; default off",
        },
        "log-format": {
          type: "string",
          choices: LOG_FORMATS,
          default: "json",
          describe: "json: one JSON object per line (pino); text: <time> <event> key=value lines",
        },
        "shutdown-timeout": {
          type: "number",
          default: 10,
          describe: "seconds SIGTERM waits for requests in flight before cutting them",
        },
        "headers-timeout": {
          type: "number",
          describe: `seconds a client may take to send a request's head; default ${DEFAULT_SERVER_LIMITS.headersTimeoutMs / 1000}`,
        },
        "request-timeout": {
          type: "number",
          describe: `seconds a client may take to send a whole request, body included (0: no bound; answers are never cut); default ${DEFAULT_SERVER_LIMITS.requestTimeoutMs / 1000}`,
        },
        "keep-alive-timeout": {
          type: "number",
          describe: `seconds an idle kept-alive client connection stays open; default ${DEFAULT_SERVER_LIMITS.keepAliveTimeoutMs / 1000}`,
        },
        "max-connections": {
          type: "number",
          describe: `most client connections open at once (websockets included); more are closed unanswered; default ${DEFAULT_SERVER_LIMITS.maxConnections}`,
        },
        "test-sts-endpoint": {
          type: "string",
          hidden: true,
          describe: "test only: the local STS origin proofs are checked against",
        },
      })
      .strict()
      .version(readPackageVersion())
      .help()
      .wrap(Math.min(100, process.stdout.columns ?? 100))
      .exitProcess(false)
      // camelCase aliases stay on: yargs reads IAM_AUTH_GATEWAY_SESSION_SECRET_FILE as sessionSecretFile,
      // which only matches --session-secret-file through them.
      .parserConfiguration({ "camel-case-expansion": true })
      .fail(false)
  );
}

function readPackageVersion(): string {
  // dist/gateway/cli/main.js → the package's own package.json, in a clone and once installed.
  const packageJson = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as {
    version?: unknown;
  };
  return typeof packageJson.version === "string" ? packageJson.version : "unknown";
}

/** --header-proof, --proof-header and --header-proof-session as iamAuth's `headerProof`. */
function readHeaderProofFlags(
  args: Record<string, unknown>,
  problems: string[],
): IamAuthOptions["headerProof"] {
  const header = typeof args["proof-header"] === "string" ? args["proof-header"] : undefined;
  const startSession = args["header-proof-session"] === true;
  if (args["header-proof"] === false) {
    if (header !== undefined || startSession) {
      problems.push(
        "--proof-header, --header-proof-session: only used with header proofs, which --no-header-proof turns off",
      );
    }
    return false;
  }
  return { ...(header === undefined ? {} : { header }), startSession };
}

/** Parses `host:port`, `:port` or `[v6]:port` for `flag`. */
function parseBind(
  flag: string,
  text: string,
  problems: string[],
): { host: string; port: number } | undefined {
  const bind = parseBindAddress(text);
  if (bind === undefined)
    problems.push(`--${flag}: must be host:port, e.g. 127.0.0.1:4180 (got ${JSON.stringify(text)})`);
  return bind;
}

function readFileOption(flag: string, path: string | undefined, problems: string[]): string | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    problems.push(
      `--${flag}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    );
    return undefined;
  }
}

/**
 * Runs the gateway command (`IAM_AUTH_GATEWAY_*` variables are read from process.env). Resolves with the exit code: 0 after --help/--version or once a
 * signal stopped it, 1 when it cannot listen, 2 on a usage error (every problem, one line each).
 */
export async function main(
  argv: readonly string[],
  output: Output = { out: process.stdout, err: process.stderr },
): Promise<number> {
  let args: Record<string, unknown>;
  let helpShown = false;
  try {
    const parser = buildParser();
    let shown = "";
    args = await parser.parseAsync([...argv], {}, (_error, _argv, text) => void (shown = text));
    if (args.help === true || args.version === true) {
      helpShown = true;
      output.out.write(`${shown}\n`);
    }
  } catch (error) {
    output.err.write(
      `${PROGRAM}: ${(error as Error).message.split("\n").join(`\n${PROGRAM}: `)}\nRun ${PROGRAM} --help to see the options.\n`,
    );
    return 2;
  }
  if (helpShown) return 0;

  const problems: string[] = [];
  const str = (name: string): string | undefined => (typeof args[name] === "string" ? args[name] : undefined);
  const list = (name: string): string[] => (Array.isArray(args[name]) ? (args[name] as string[]) : []);
  const bind = parseBind("bind", str("bind") ?? "127.0.0.1:4180", problems);
  const metricsBindText = str("metrics-bind");
  const metricsBind =
    metricsBindText === undefined ? undefined : parseBind("metrics-bind", metricsBindText, problems);
  const shutdownSeconds = args["shutdown-timeout"];
  if (typeof shutdownSeconds !== "number" || !(shutdownSeconds > 0) || shutdownSeconds > 3600) {
    problems.push(
      `--shutdown-timeout: must be a number of seconds from more than 0 to 3600 (got ${JSON.stringify(args["shutdown-timeout"])})`,
    );
  }
  const serverLimits = checkServerLimits(
    {
      headersTimeoutMs: args["headers-timeout"],
      requestTimeoutMs: args["request-timeout"],
      keepAliveTimeoutMs: args["keep-alive-timeout"],
      maxConnections: args["max-connections"],
    },
    {
      headersTimeoutMs: "--headers-timeout",
      requestTimeoutMs: "--request-timeout",
      keepAliveTimeoutMs: "--keep-alive-timeout",
      maxConnections: "--max-connections",
    },
    "s",
    problems,
  );
  const logger = createJsonLogger((str("log-format") ?? "json") as LogFormat, 2);
  // Node's own warnings (e.g. Node 24's DEP0060 for http-proxy's util._extend) as one event each
  // in the log's own format, not Node's free-form lines among the JSON ones.
  reportProcessWarnings((fields) => logCommandEvent(logger, "node-warning", fields));
  const secret = readFileOption("session-secret-file", str("session-secret-file"), problems)?.trim();
  if (secret !== undefined && Buffer.byteLength(secret) < MIN_SECRET_BYTES) {
    problems.push(
      `--session-secret-file: the secret must be at least ${MIN_SECRET_BYTES} bytes (got ${Buffer.byteLength(secret)}); make one with: openssl rand -hex 32 > FILE`,
    );
  }
  const assertionKey = readFileOption("assertion-key-file", str("assertion-key-file"), problems);
  const account = str("account") ?? "";
  // Empty: the address really bound, filled in once listening.
  const serverId = str("server-id") ?? "";
  const testSts = str("test-sts-endpoint");
  const headerFlags = {
    user: str("user-header"),
    arn: str("arn-header"),
    account: str("account-header"),
    userId: str("user-id-header"),
    assertion: str("assertion-header"),
  };
  const redisUrl = str("redis-url");
  const redisKeyPrefix = str("redis-key-prefix");
  if (redisUrl !== undefined) {
    const problem = describeRedisUrlProblem("--redis-url", redisUrl);
    if (problem !== undefined) problems.push(problem);
  }
  if (redisKeyPrefix !== undefined) {
    const problem = describeKeyPrefixProblem("--redis-key-prefix", redisKeyPrefix);
    if (problem !== undefined) problems.push(problem);
    else if (redisUrl === undefined) problems.push("--redis-key-prefix: only used with --redis-url");
  }
  const identityHeaders = Object.fromEntries(Object.entries(headerFlags).filter(([, v]) => v !== undefined));
  const options: GatewayOptions = {
    upstream: str("upstream") ?? "",
    logger,
    iamAuth: {
      accountId: account,
      sessionSecrets: secret === undefined ? [] : [secret],
      sts: { serverId, ...(testSts === undefined ? {} : { testStsEndpoint: testSts }) },
      ...(list("allowed-account").length > 0
        ? { allowedAccounts: [account, ...list("allowed-account")] }
        : {}),
      ...(list("allowed-principal").length > 0 ? { allowedPrincipals: list("allowed-principal") } : {}),
      headerProof: readHeaderProofFlags(args, problems),
    },
    identityHeaders,
    assertion: {
      ...(str("assertion-issuer") === undefined ? {} : { issuer: str("assertion-issuer") }),
      ...(str("assertion-audience") === undefined ? {} : { audience: str("assertion-audience") }),
      ...(assertionKey === undefined ? {} : { privateKeyPem: assertionKey }),
    },
    skipAuth: list("skip-auth"),
    serverLimits,
    ...(redisUrl === undefined ? {} : { redisUrl }),
    ...(redisKeyPrefix === undefined ? {} : { redisKeyPrefix }),
    ...(str("trust-proxy") === undefined
      ? {}
      : { trustProxy: str("trust-proxy") === "true" ? true : str("trust-proxy") }),
  };
  if (problems.length > 0 || bind === undefined) {
    output.err.write(
      `${problems.map((p) => `${PROGRAM}: ${p}\n`).join("")}Run ${PROGRAM} --help to see the options.\n`,
    );
    return 2;
  }

  // Listen first: the server-id defaults to the address really bound (port 0 picks one).
  // Requests that arrive before the gateway is ready wait in a queue.
  const server = createLimitedServer(serverLimits);
  const early: [IncomingMessage, ServerResponse][] = [];
  const queue = (req: IncomingMessage, res: ServerResponse): void => void early.push([req, res]);
  server.on("request", queue);
  const listening = await new Promise<string | Error>((resolve) => {
    server.once("error", (error) => resolve(error));
    server.listen(bind.port, bind.host, () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : bind.port;
      resolve(`${bind.host.includes(":") ? `[${bind.host}]` : bind.host}:${port}`);
    });
  });
  if (listening instanceof Error) {
    output.err.write(
      `${PROGRAM}: cannot listen on ${bind.host}:${bind.port} (${(listening as NodeJS.ErrnoException).code ?? listening.message})\n`,
    );
    return 1;
  }
  const sts = options.iamAuth.sts;
  const withServerId: GatewayOptions =
    sts !== undefined && sts.serverId === ""
      ? { ...options, iamAuth: { ...options.iamAuth, sts: { ...sts, serverId: listening } } }
      : options;
  let started;
  try {
    started = await createGateway(withServerId, server);
  } catch (error) {
    server.close();
    if (!(error instanceof TypeError)) throw error;
    const lines = error.message
      .split("\n")
      .slice(1)
      .map((line) => `${PROGRAM}: ${line.replace(/^- /, "")}\n`);
    output.err.write(`${lines.join("")}Run ${PROGRAM} --help to see the options.\n`);
    return 2;
  }
  let metricsUrl: string | undefined;
  let metricsServer: MetricsServer | undefined;
  if (metricsBind !== undefined) {
    try {
      metricsServer = await startMetricsServer(metricsBind, started.registry, started.health);
      metricsUrl = metricsServer.url;
    } catch (error) {
      await started.close();
      output.err.write(
        `${PROGRAM}: cannot listen on ${formatHostPort(metricsBind.host, metricsBind.port)} for --metrics-bind (${(error as NodeJS.ErrnoException).code ?? String(error)})\n`,
      );
      return 1;
    }
  }
  server.off("request", queue);
  for (const [req, res] of early.splice(0)) server.emit("request", req, res);
  const ready = {
    url: `http://${listening}`,
    upstream: options.upstream,
    metrics: metricsUrl,
    redis: redisUrl === undefined ? undefined : redactRedisUrl(new URL(redisUrl)),
  };
  logCommandEvent(logger, "listening", ready, `listening url=${ready.url}`);
  const timeoutMs = Math.round((shutdownSeconds as number) * 1000);
  return new Promise<number>((resolve) => {
    const stop = (signal: string): void => {
      logCommandEvent(logger, "shutdown", { signal, timeoutMs });
      void started.shutdown(timeoutMs).then(async (finished) => {
        await metricsServer?.close();
        logCommandEvent(logger, "stopped", { finished });
        resolve(0);
      });
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  process.exitCode = await main(process.argv.slice(2));
}
