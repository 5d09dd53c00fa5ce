import { normalizeAuthority } from "../protocol/index.js";
import {
  LOG_FORMATS,
  parseBindAddress,
  type BindAddress,
  type LogFormat,
  type ServerLimits,
} from "../gateway/index.js";
import { readServerEnv } from "./env-server.js";
import {
  describeOptionProblem,
  describeRedisUrlProblem,
  type AuthMethod,
  type TextOptionName,
} from "../server-middleware/index.js";

/** The example server's settings as read from the environment, before any AWS call. */
export interface ExampleEnv {
  /** AWS_ACCOUNT_ID; undefined: looked up with sts:GetCallerIdentity at start. */
  readonly accountId: string | undefined;
  /** AWS_DEFAULT_REGION, or AWS_REGION; required only for the KMS method or the account lookup. */
  readonly region: string | undefined;
  /** SECRET_KEY: signs the session cookies. */
  readonly secretKey: string;
  /**
   * IAM_AUTH_METHODS; default ["sts", "kms"] when KMS_KEY_ID is set (["kms"] when HOST is
   * 0.0.0.0 or :: and IAM_AUTH_SERVER_ID is unset: there is no server-id to offer), else ["sts"].
   */
  readonly methods: readonly AuthMethod[];
  /** KMS_KEY_ID (a key id, ARN or alias; resolved to the key ARN at start) and KMS_SALT; set when KMS is on. */
  readonly kms:
    | {
        readonly keyId: string;
        readonly salt: string;
        /**
         * Whether tokens are bound to the server-id (IAM_AUTH_SERVER_ID, else `<HOST>:<port>`; the
         * STS method's when it is on). False only for KMS alone on 0.0.0.0 or :: without
         * IAM_AUTH_SERVER_ID, which then needs IAM_AUTH_KMS_ACCEPT_UNBOUND=true.
         */
        readonly bound: boolean;
        /** IAM_AUTH_KMS_ACCEPT_UNBOUND=true: also accept the original proxy's unbound tokens. Default false. */
        readonly acceptUnboundTokens: boolean;
      }
    | undefined;
  /** IAM_AUTH_SERVER_ID, for either method; undefined: `<HOST>:<port>` once listening. */
  readonly serverId: string | undefined;
  /** Set when STS is on. */
  readonly sts:
    | {
        /** IAM_AUTH_SERVER_ID; undefined: `<HOST>:<port>` once listening. */
        readonly serverId: string | undefined;
        /** IAM_AUTH_TEST_STS_ENDPOINT (test only). */
        readonly testStsEndpoint: string | undefined;
      }
    | undefined;
  /** ALLOWED_ACCOUNTS; undefined: only the app's account. */
  readonly allowedAccounts: readonly string[] | undefined;
  /** ALLOWED_PRINCIPALS; undefined: every identity of the allowed accounts. */
  readonly allowedPrincipals: readonly string[] | undefined;
  /** IAM_AUTH_PATH: where the proxy hands proofs over (the middleware's `authPath`); undefined: `/auth`. */
  readonly authPath: string | undefined;
  /** HELP_URL: the challenge page's link for people without the proxy (`helpUrl`); undefined: none. */
  readonly helpUrl: string | undefined;
  /** PROXY_ADDRESS: where the challenge page tells people to run the proxy (`proxyAddress`); undefined: 127.0.0.1:8080. */
  readonly proxyAddress: string | undefined;
  /** REDIS_URL: a redis:// or rediss:// Redis shared by several instances (used proofs, signed-out sessions); undefined: memory. */
  readonly redisUrl: string | undefined;
  /** HOST, default 127.0.0.1. */
  readonly host: string;
  /** PORT, default 3000; 0 picks a free port. */
  readonly port: number;
  /** METRICS_BIND: host:port of the /metrics, /healthz and /readyz server; undefined: none. */
  readonly metricsBind: BindAddress | undefined;
  /** LOG_FORMAT: json (default) or text. */
  readonly logFormat: LogFormat;
  /** SHUTDOWN_TIMEOUT (seconds, default 10), in ms: how long SIGTERM waits for requests in flight. */
  readonly shutdownTimeoutMs: number;
  /** HEADERS_TIMEOUT, REQUEST_TIMEOUT, KEEP_ALIVE_TIMEOUT (seconds) and MAX_CONNECTIONS: see env-server.ts. */
  readonly serverLimits: ServerLimits;
  /** TRUST_PROXY: Express's `trust proxy`; default false. */
  readonly trustProxy: boolean | string;
}

/** The environment is incomplete or invalid; `problems` has one line per variable, saying what to set. */
export class ExampleConfigError extends Error {
  override readonly name = "ExampleConfigError";
  readonly code = "EXAMPLE_CONFIG_INVALID";
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`example-server: cannot start; set these environment variables:\n  - ${problems.join("\n  - ")}`);
    this.problems = problems;
  }
}

const MIN_SECRET_KEY_LENGTH = 32;
const accountIdPattern = /^\d{12}$/;
const regionPattern = /^[a-z]{2}(?:-[a-z]+)+-\d+$/;
const portPattern = /^\d{1,5}$/;
// Addresses a server can listen on but no client can address it by.
const unspecifiedHosts = new Set(["0.0.0.0", "::", "[::]"]);

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads the example server's environment variables: example-server.py's (AWS_ACCOUNT_ID,
 * AWS_DEFAULT_REGION / AWS_REGION, SECRET_KEY, KMS_KEY_ID, KMS_SALT), HOST and PORT, and the
 * STS method's (IAM_AUTH_METHODS, IAM_AUTH_SERVER_ID, IAM_AUTH_TEST_STS_ENDPOINT, ALLOWED_ACCOUNTS,
 * ALLOWED_PRINCIPALS), IAM_AUTH_KMS_ACCEPT_UNBOUND, and IAM_AUTH_PATH, HELP_URL and PROXY_ADDRESS (checked as
 * the middleware checks authPath, helpUrl and proxyAddress), REDIS_URL, and the server's own
 * (HEADERS_TIMEOUT, REQUEST_TIMEOUT, KEEP_ALIVE_TIMEOUT, MAX_CONNECTIONS, TRUST_PROXY: env-server.ts).
 * Reports every missing or invalid variable at once; never shows SECRET_KEY.
 * An empty variable counts as unset.
 *
 * @example readExampleEnv({ AWS_ACCOUNT_ID: "111122223333", SECRET_KEY: "…" }) // STS only, no AWS credentials needed
 */
export function readExampleEnv(env: Env): ExampleEnv {
  const read = (name: string): string | undefined => (env[name] === "" ? undefined : env[name]);
  const problems: string[] = [];

  const accountId = read("AWS_ACCOUNT_ID");
  if (accountId !== undefined && !accountIdPattern.test(accountId)) {
    problems.push(
      `AWS_ACCOUNT_ID: must be a 12-digit AWS account id, or unset to look it up with sts:GetCallerIdentity (got ${quote(accountId)})`,
    );
  }
  const host = read("HOST") ?? "127.0.0.1";
  const methodsText = read("IAM_AUTH_METHODS");
  const methods = readMethods(methodsText, {
    hasKmsKey: read("KMS_KEY_ID") !== undefined,
    // An original configuration listening on 0.0.0.0 has no server-id to offer: it keeps KMS alone.
    hasServerId: read("IAM_AUTH_SERVER_ID") !== undefined || !unspecifiedHosts.has(host),
    problems,
  });
  const needsRegion = methods.includes("kms") || accountId === undefined;
  const region = readRegion(read("AWS_DEFAULT_REGION"), read("AWS_REGION"), needsRegion, methods, problems);

  const secretKey = read("SECRET_KEY");
  if (secretKey === undefined) {
    problems.push(
      `SECRET_KEY: required: a random string of at least ${MIN_SECRET_KEY_LENGTH} characters that signs the session cookies (e.g. from \`openssl rand -hex 32\`)`,
    );
  } else if (secretKey.length < MIN_SECRET_KEY_LENGTH) {
    problems.push(
      `SECRET_KEY: must be at least ${MIN_SECRET_KEY_LENGTH} characters (it has ${secretKey.length}; value not shown)`,
    );
  }

  const kms = readKms(read, methods, methodsText !== undefined, host, problems);
  const sts = readSts(read, methods, host, problems);
  const allowedAccounts = readList(read("ALLOWED_ACCOUNTS"), "ALLOWED_ACCOUNTS", problems, (entry) =>
    accountIdPattern.test(entry) ? undefined : "must be 12-digit AWS account ids",
  );
  const allowedPrincipals = readList(read("ALLOWED_PRINCIPALS"), "ALLOWED_PRINCIPALS", problems, (entry) =>
    entry.startsWith("arn:") && !/\s/.test(entry)
      ? undefined
      : 'must be ARN patterns such as "arn:aws:iam::111122223333:role/Dev*"',
  );

  const [authPath, helpUrl, proxyAddress] = (
    [
      ["IAM_AUTH_PATH", "authPath"],
      ["HELP_URL", "helpUrl"],
      ["PROXY_ADDRESS", "proxyAddress"],
    ] as const
  ).map(([variable, option]) => readOption(read(variable), variable, option, problems));

  const redisUrl = read("REDIS_URL");
  const redisProblem = redisUrl === undefined ? undefined : describeRedisUrlProblem("REDIS_URL", redisUrl);
  if (redisProblem !== undefined) problems.push(redisProblem);

  const portText = read("PORT") ?? "3000";
  const port = portPattern.test(portText) ? Number(portText) : NaN;
  if (!(port >= 0 && port <= 65535)) {
    problems.push(`PORT: must be an integer from 0 to 65535 (got ${quote(portText)})`);
  }

  const metricsBindText = read("METRICS_BIND");
  const metricsBind = metricsBindText === undefined ? undefined : parseBindAddress(metricsBindText);
  if (metricsBindText !== undefined && metricsBind === undefined) {
    problems.push(`METRICS_BIND: must be host:port, e.g. 127.0.0.1:9090 (got ${quote(metricsBindText)})`);
  }
  const logFormat = read("LOG_FORMAT") ?? "json";
  if (!(LOG_FORMATS as readonly string[]).includes(logFormat)) {
    problems.push(`LOG_FORMAT: must be json or text (got ${quote(logFormat)})`);
  }
  const shutdownText = read("SHUTDOWN_TIMEOUT") ?? "10";
  const shutdownSeconds = /^\d+(?:\.\d+)?$/.test(shutdownText) ? Number(shutdownText) : NaN;
  if (!(shutdownSeconds > 0 && shutdownSeconds <= 3600)) {
    problems.push(
      `SHUTDOWN_TIMEOUT: must be seconds, more than 0 and at most 3600 (got ${quote(shutdownText)})`,
    );
  }

  const server = readServerEnv(read, problems);

  if (problems.length > 0) throw new ExampleConfigError(problems);
  return Object.freeze({
    accountId,
    region,
    secretKey: secretKey as string,
    methods,
    kms,
    sts,
    serverId: read("IAM_AUTH_SERVER_ID"),
    allowedAccounts,
    allowedPrincipals,
    authPath,
    helpUrl,
    proxyAddress,
    redisUrl,
    host,
    port,
    metricsBind,
    logFormat: logFormat as LogFormat,
    shutdownTimeoutMs: Math.round(shutdownSeconds * 1000),
    serverLimits: server.serverLimits,
    trustProxy: server.trustProxy,
  });
}

/** A variable that sets one of the middleware's text options, checked by the middleware's own rule. */
function readOption(
  value: string | undefined,
  variable: string,
  option: TextOptionName,
  problems: string[],
): string | undefined {
  if (value === undefined) return undefined;
  const problem = describeOptionProblem(option, value);
  if (problem === undefined) return value;
  problems.push(`${variable}: ${problem}`);
  return undefined;
}

/**
 * IAM_AUTH_METHODS, or the default: both when KMS_KEY_ID is set (KMS alone when no server-id
 * can be had, so an original configuration starts exactly as before), else STS.
 */
function readMethods(
  value: string | undefined,
  context: { readonly hasKmsKey: boolean; readonly hasServerId: boolean; readonly problems: string[] },
): readonly AuthMethod[] {
  const { hasKmsKey, hasServerId, problems } = context;
  const fallback: readonly AuthMethod[] = !hasKmsKey ? ["sts"] : hasServerId ? ["sts", "kms"] : ["kms"];
  if (value === undefined) return Object.freeze(fallback);
  const words = value.trim().split(/[\s,]+/);
  const known = ["sts", "kms"] as const;
  if (
    words.some((word) => !(known as readonly string[]).includes(word)) ||
    new Set(words).size !== words.length
  ) {
    problems.push(`IAM_AUTH_METHODS: must be "sts", "kms" or "sts kms" (got ${quote(value)})`);
    return Object.freeze(fallback);
  }
  return Object.freeze(known.filter((method) => words.includes(method)));
}

function readRegion(
  defaultRegion: string | undefined,
  region: string | undefined,
  required: boolean,
  methods: readonly AuthMethod[],
  problems: string[],
): string | undefined {
  if (defaultRegion === undefined && region === undefined) {
    if (!required) return undefined;
    problems.push(
      methods.includes("kms")
        ? "AWS_DEFAULT_REGION (or AWS_REGION): required: the AWS region of the KMS key, e.g. us-east-1"
        : "AWS_DEFAULT_REGION (or AWS_REGION): required to look up the account with sts:GetCallerIdentity, e.g. us-east-1 (or set AWS_ACCOUNT_ID)",
    );
    return undefined;
  }
  if (defaultRegion !== undefined && region !== undefined && defaultRegion !== region) {
    problems.push(
      `AWS_DEFAULT_REGION and AWS_REGION disagree (${quote(defaultRegion)} and ${quote(region)}): set only one`,
    );
    return undefined;
  }
  const name = defaultRegion !== undefined ? "AWS_DEFAULT_REGION" : "AWS_REGION";
  const value = (defaultRegion ?? region) as string;
  if (!regionPattern.test(value)) {
    problems.push(`${name}: must be an AWS region such as us-east-1 (got ${quote(value)})`);
    return undefined;
  }
  return value;
}

function readKms(
  read: (name: string) => string | undefined,
  methods: readonly AuthMethod[],
  methodsExplicit: boolean,
  host: string,
  problems: string[],
): ExampleEnv["kms"] {
  const keyId = read("KMS_KEY_ID");
  const salt = read("KMS_SALT");
  const acceptUnboundText = read("IAM_AUTH_KMS_ACCEPT_UNBOUND");
  const enabled = methods.includes("kms");
  if (!enabled && acceptUnboundText !== undefined) {
    problems.push("IAM_AUTH_KMS_ACCEPT_UNBOUND: set, but the KMS method is off; unset it or set KMS_KEY_ID");
  }
  if (!enabled) {
    // Set but unused is a mistake someone will spend an afternoon on: say so.
    if (keyId !== undefined)
      problems.push("KMS_KEY_ID: set, but IAM_AUTH_METHODS does not include kms; unset it or add kms");
    if (salt !== undefined)
      problems.push(
        methodsExplicit
          ? "KMS_SALT: set, but IAM_AUTH_METHODS does not include kms; unset it or add kms"
          : "KMS_KEY_ID: required with KMS_SALT for the KMS method (or unset KMS_SALT to use only the STS method)",
      );
    return undefined;
  }
  if (keyId === undefined) {
    problems.push(
      "KMS_KEY_ID: required: the KMS key tokens are encrypted under (key id, key ARN or alias/name)",
    );
  } else if (!/^[\x21-\x7e]{1,2048}$/.test(keyId)) {
    problems.push(`KMS_KEY_ID: must be a key id, key ARN or alias/name (got ${quote(keyId)})`);
  }
  if (salt === undefined) {
    problems.push(
      'KMS_SALT: required: any string unique to this app; tokens are bound to the context {"salt": KMS_SALT}',
    );
  }
  let acceptUnboundTokens = false;
  if (acceptUnboundText !== undefined && acceptUnboundText !== "true" && acceptUnboundText !== "false") {
    problems.push(`IAM_AUTH_KMS_ACCEPT_UNBOUND: must be true or false (got ${quote(acceptUnboundText)})`);
  } else {
    acceptUnboundTokens = acceptUnboundText === "true";
  }
  // A server-id to bind tokens to: the STS method's, IAM_AUTH_SERVER_ID, or <HOST>:<port>.
  const bound =
    methods.includes("sts") || read("IAM_AUTH_SERVER_ID") !== undefined || !unspecifiedHosts.has(host);
  if (!bound && !acceptUnboundTokens) {
    problems.push(
      `IAM_AUTH_SERVER_ID: required when HOST is ${host} to bind KMS tokens to this app: the host[:port] clients use to reach it, e.g. app.example.com (or set IAM_AUTH_KMS_ACCEPT_UNBOUND=true to accept the original proxy's unbound tokens only)`,
    );
  }
  return keyId === undefined || salt === undefined
    ? undefined
    : Object.freeze({ keyId, salt, bound, acceptUnboundTokens });
}

function readSts(
  read: (name: string) => string | undefined,
  methods: readonly AuthMethod[],
  host: string,
  problems: string[],
): ExampleEnv["sts"] {
  const serverId = read("IAM_AUTH_SERVER_ID");
  const testStsEndpoint = read("IAM_AUTH_TEST_STS_ENDPOINT");
  if (!methods.includes("sts")) {
    // The KMS method binds its tokens to IAM_AUTH_SERVER_ID too.
    const unused = methods.includes("kms")
      ? [["IAM_AUTH_TEST_STS_ENDPOINT", testStsEndpoint] as const]
      : ([
          ["IAM_AUTH_SERVER_ID", serverId],
          ["IAM_AUTH_TEST_STS_ENDPOINT", testStsEndpoint],
        ] as const);
    for (const [name, value] of unused) {
      if (value !== undefined)
        problems.push(`${name}: set, but IAM_AUTH_METHODS does not include sts; unset it or add sts`);
    }
    if (
      methods.includes("kms") &&
      serverId !== undefined &&
      normalizeAuthority(serverId, "http:") === undefined
    ) {
      problems.push(
        `IAM_AUTH_SERVER_ID: must be the host[:port] clients use to reach this server, such as app.example.com or 127.0.0.1:3000 (got ${quote(serverId)})`,
      );
    }
    return undefined;
  }
  if (serverId === undefined && unspecifiedHosts.has(host)) {
    problems.push(
      `IAM_AUTH_SERVER_ID: required when HOST is ${host}: the host[:port] clients use to reach this server, e.g. app.example.com`,
    );
  } else if (serverId !== undefined && normalizeAuthority(serverId, "http:") === undefined) {
    problems.push(
      `IAM_AUTH_SERVER_ID: must be the host[:port] clients use to reach this server, such as app.example.com or 127.0.0.1:3000 (got ${quote(serverId)})`,
    );
  }
  if (testStsEndpoint !== undefined && !/^https?:\/\/[^/?#@\s]+\/?$/.test(testStsEndpoint)) {
    problems.push(
      `IAM_AUTH_TEST_STS_ENDPOINT: must be an origin such as http://127.0.0.1:4566 (test only) (got ${quote(testStsEndpoint)})`,
    );
  }
  return Object.freeze({ serverId, testStsEndpoint });
}

function readList(
  value: string | undefined,
  name: string,
  problems: string[],
  describeProblem: (entry: string) => string | undefined,
): readonly string[] | undefined {
  if (value === undefined) return undefined;
  const entries = value.split(",").map((entry) => entry.trim());
  const bad = entries.find((entry) => entry === "" || describeProblem(entry) !== undefined);
  if (bad !== undefined) {
    const why = bad === "" ? "has an empty entry" : (describeProblem(bad) as string);
    problems.push(`${name}: comma-separated; ${why} (got ${quote(bad === "" ? value : bad)})`);
    return undefined;
  }
  return Object.freeze(entries);
}

/**
 * The server-id clients address this server by when IAM_AUTH_SERVER_ID is unset:
 * `<HOST>:<port>` (the port it actually listens on, for PORT=0), IPv6 in brackets.
 *
 * @example defaultServerId("127.0.0.1", 3000) // "127.0.0.1:3000"
 */
export function defaultServerId(host: string, port: number): string {
  return `${host.includes(":") && !host.startsWith("[") ? `[${host}]` : host}:${port}`;
}

function quote(value: string): string {
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
}
