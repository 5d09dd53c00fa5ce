import type { Registry } from "prom-client";
import {
  describeKeyPrefixProblem,
  describeRedisUrlProblem,
  isLoggerOption,
  type IamAuthOptions,
  type LoggerOption,
} from "../server-middleware/index.js";
import { MAX_ASSERTION_TTL_SECONDS } from "./assertion.js";
import {
  checkIdentityHeaderNames,
  DEFAULT_IDENTITY_HEADERS,
  type IdentityHeaderNames,
} from "./identity-headers.js";
import { checkServerLimits, type ServerLimits } from "./server-limits.js";
import { parseSkipAuthRule, type SkipAuthRule } from "./skip-auth.js";

/** createGateway's options. */
export interface GatewayOptions {
  /** The app behind the gateway: an `http:` or `https:` origin such as `http://127.0.0.1:8000`. Required. */
  readonly upstream: string;
  /** The sign-in itself (accounts, principals, session secrets, methods): passed to `iamAuth()`. Required. */
  readonly iamAuth: IamAuthOptions;
  /** Names of the identity headers the app receives. Default `DEFAULT_IDENTITY_HEADERS`. */
  readonly identityHeaders?: Partial<IdentityHeaderNames>;
  /** The signed identity assertion (`X-Iam-Auth-Assertion`). */
  readonly assertion?: {
    /** `iss`. Default `"iam-auth-gateway"`. */
    readonly issuer?: string;
    /** `aud`. Default the upstream origin. */
    readonly audience?: string;
    /** Lifetime, 1..60 s. Default 60. */
    readonly ttlSeconds?: number;
    /** EC P-256 private key, PKCS #8 PEM: the same for every instance so apps see one key. Default a new key at each start. */
    readonly privateKeyPem?: string;
  };
  /** Requests let through without a session, e.g. `"GET /status"`, `"/static/*"` (`/healthz` and `/readyz` are the gateway's own). Matched on method and path only. Default none. */
  readonly skipAuth?: readonly string[];
  /**
   * Express's `trust proxy`: which load balancer's `X-Forwarded-*` to believe. Default false:
   * the client's `X-Forwarded-*` and `Forwarded` headers are removed and the gateway's own sent.
   */
  readonly trustProxy?: boolean | string;
  /** How long the app may take to answer, ms. Default 60,000. */
  readonly upstreamTimeoutMs?: number;
  /**
   * Bounds on the gateway's clients: `headersTimeoutMs` (default 15,000), `requestTimeoutMs`
   * (300,000; 0 for none; answers, streams and websockets are never cut by it),
   * `keepAliveTimeoutMs` (5,000), `maxConnections` (1,000). See `DEFAULT_SERVER_LIMITS`.
   */
  readonly serverLimits?: Partial<ServerLimits>;
  /**
   * A `redis://` or `rediss://` URL: used proofs and signed-out sessions are kept there, shared by
   * every gateway instance given the same URL (see README "Several instances: Redis"). Default
   * none: kept in this process's memory, right for one instance only. Not with
   * `iamAuth.replayStore` or `iamAuth.sessionRevocation`.
   */
  readonly redisUrl?: string;
  /** Key prefix in that Redis. Default `"iam-auth:"`; give each app its own when they share a Redis. */
  readonly redisKeyPrefix?: string;
  /**
   * Where events go, the sign-in's too unless `iamAuth.logger` is set: a function gets one text
   * line per event, a pino-compatible logger one object per event. Default: text lines to stderr.
   */
  readonly logger?: LoggerOption;
  /** Prometheus metrics: the registry the gateway's and its sign-in's metrics go in. Default: one of this gateway's own (`gateway.registry`). */
  readonly metrics?: { readonly registry: Registry };
}

/** GatewayOptions with every default applied, checked. */
export interface ResolvedGatewayOptions {
  readonly upstream: URL;
  readonly iamAuth: IamAuthOptions;
  readonly identityHeaders: IdentityHeaderNames;
  readonly assertion: {
    readonly issuer: string;
    readonly audience: string;
    readonly ttlSeconds: number;
    readonly privateKeyPem: string | undefined;
  };
  readonly skipAuth: readonly SkipAuthRule[];
  readonly trustProxy: boolean | string;
  readonly upstreamTimeoutMs: number;
  readonly serverLimits: ServerLimits;
  readonly redisUrl: string | undefined;
  readonly redisKeyPrefix: string | undefined;
  readonly logger: LoggerOption;
  readonly metrics: { readonly registry: Registry } | undefined;
}

const knownOptions = new Set([
  "upstream",
  "iamAuth",
  "identityHeaders",
  "assertion",
  "skipAuth",
  "trustProxy",
  "upstreamTimeoutMs",
  "serverLimits",
  "redisUrl",
  "redisKeyPrefix",
  "logger",
  "metrics",
]);

/**
 * Checks `options` once and applies the defaults; throws a TypeError listing every problem,
 * each naming the option and the bad value. The `iamAuth` options are checked by `iamAuth()`.
 */
export function resolveGatewayOptions(options: GatewayOptions): ResolvedGatewayOptions {
  const problems: string[] = [];
  for (const key of Object.keys(options)) {
    if (!knownOptions.has(key)) problems.push(`${key}: not an option of createGateway`);
  }
  const upstream = parseUpstream(options.upstream, problems);
  if (typeof options.iamAuth !== "object" || options.iamAuth === null) {
    problems.push("iamAuth: required: the options of iamAuth() (accountId, sessionSecrets, sts or kms)");
  }
  const identityHeaders = { ...DEFAULT_IDENTITY_HEADERS, ...options.identityHeaders };
  checkIdentityHeaderNames(identityHeaders, "identityHeaders", problems);
  const ttlSeconds = options.assertion?.ttlSeconds ?? MAX_ASSERTION_TTL_SECONDS;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_ASSERTION_TTL_SECONDS) {
    problems.push(
      `assertion.ttlSeconds: must be an integer from 1 to ${MAX_ASSERTION_TTL_SECONDS} (got ${JSON.stringify(ttlSeconds)})`,
    );
  }
  const issuer = options.assertion?.issuer ?? "iam-auth-gateway";
  const audience = options.assertion?.audience ?? upstream?.origin ?? "";
  if (typeof issuer !== "string" || issuer.trim() === "")
    problems.push("assertion.issuer: must be a non-empty string");
  // Without a valid upstream the default audience is unknown: that problem is reported once, above.
  if (upstream !== undefined && (typeof audience !== "string" || audience.trim() === "")) {
    problems.push("assertion.audience: must be a non-empty string");
  }
  const privateKeyPem = options.assertion?.privateKeyPem;
  if (
    privateKeyPem !== undefined &&
    (typeof privateKeyPem !== "string" || !privateKeyPem.includes("-----BEGIN PRIVATE KEY-----"))
  ) {
    problems.push(
      "assertion.privateKeyPem: must be an EC P-256 private key in PKCS #8 PEM (-----BEGIN PRIVATE KEY-----)",
    );
  }
  const skipAuth: SkipAuthRule[] = [];
  const skipAuthTexts: unknown = options.skipAuth ?? [];
  if (!Array.isArray(skipAuthTexts)) {
    problems.push('skipAuth: must be a list of rules such as "GET /healthz"');
  } else {
    for (const text of skipAuthTexts as unknown[]) {
      const rule = parseSkipAuthRule(text, "skipAuth", problems);
      if (rule !== undefined) skipAuth.push(rule);
    }
  }
  const trustProxy = options.trustProxy ?? false;
  if (typeof trustProxy !== "boolean" && typeof trustProxy !== "string") {
    problems.push(
      `trustProxy: must be true, false or Express's trust proxy list such as "loopback" (got ${JSON.stringify(trustProxy)})`,
    );
  }
  const upstreamTimeoutMs = options.upstreamTimeoutMs ?? 60_000;
  if (!Number.isInteger(upstreamTimeoutMs) || upstreamTimeoutMs < 1) {
    problems.push(`upstreamTimeoutMs: must be a positive integer (got ${JSON.stringify(upstreamTimeoutMs)})`);
  }
  const serverLimits = checkServerLimits(
    options.serverLimits ?? {},
    {
      headersTimeoutMs: "serverLimits.headersTimeoutMs",
      requestTimeoutMs: "serverLimits.requestTimeoutMs",
      keepAliveTimeoutMs: "serverLimits.keepAliveTimeoutMs",
      maxConnections: "serverLimits.maxConnections",
    },
    "ms",
    problems,
  );
  const { redisUrl, redisKeyPrefix } = options;
  if (redisUrl !== undefined) {
    const problem = describeRedisUrlProblem("redisUrl", redisUrl);
    if (problem !== undefined) problems.push(problem);
    for (const name of ["replayStore", "sessionRevocation"] as const) {
      if (
        typeof options.iamAuth === "object" &&
        options.iamAuth !== null &&
        options.iamAuth[name] !== undefined
      )
        problems.push(`iamAuth.${name}: not with redisUrl, which provides it; give one or the other`);
    }
  }
  if (redisKeyPrefix !== undefined) {
    const problem = describeKeyPrefixProblem("redisKeyPrefix", redisKeyPrefix);
    if (problem !== undefined) problems.push(problem);
    else if (redisUrl === undefined)
      problems.push("redisKeyPrefix: only used with redisUrl; set redisUrl or remove it");
  }
  if (options.logger !== undefined && !isLoggerOption(options.logger))
    problems.push("logger: must be a function taking one line, or a pino-compatible logger");
  const registry = options.metrics?.registry as Partial<Registry> | undefined;
  if (options.metrics !== undefined && typeof registry?.registerMetric !== "function")
    problems.push("metrics: must be { registry } with a prom-client Registry");
  if (problems.length > 0 || upstream === undefined) {
    throw new TypeError(`createGateway: invalid options:\n- ${problems.join("\n- ")}`);
  }
  return Object.freeze({
    upstream,
    iamAuth: options.iamAuth,
    identityHeaders: Object.freeze(identityHeaders),
    assertion: Object.freeze({ issuer, audience, ttlSeconds, privateKeyPem }),
    skipAuth: Object.freeze(skipAuth),
    trustProxy,
    upstreamTimeoutMs,
    serverLimits,
    redisUrl,
    redisKeyPrefix,
    logger: options.logger ?? ((line: string) => void process.stderr.write(`${line}\n`)),
    metrics: options.metrics,
  });
}

function parseUpstream(value: unknown, problems: string[]): URL | undefined {
  const bad = (): undefined => {
    problems.push(
      `upstream: must be the app's http: or https: origin, such as http://127.0.0.1:8000 (got ${JSON.stringify(value)})`,
    );
    return undefined;
  };
  if (typeof value !== "string" || !URL.canParse(value)) return bad();
  const url = new URL(value);
  if ((url.protocol !== "http:" && url.protocol !== "https:") || url.username !== "" || url.password !== "")
    return bad();
  if (url.pathname !== "/" || url.search !== "" || url.hash !== "") return bad();
  return url;
}
