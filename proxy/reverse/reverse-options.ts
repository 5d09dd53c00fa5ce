import { X509Certificate } from "node:crypto";
import { createAwsLoginDependencies } from "../aws-login.js";
import { parseBindAddress, type BindAddress } from "../bind-address.js";
import { createStreamLogger, type ProxyLogger } from "../log.js";
import type { LoginDependencies, LoginFlow, LoginMethodPreference } from "../login-types.js";
import { DEFAULT_MAX_REPLAY_BODY_BYTES } from "../request-body.js";
import { describeUpstreamOriginProblem } from "./upstream-option.js";

/** One app to serve and where the browser reaches it (see resolveUpstreams for the `--upstream` form). */
export interface ReverseUpstreamOptions {
  /** The app's origin, `https://app.internal.example.com` (or http://): no path, query or credentials. */
  readonly origin: URL | string;
  /** Its local address, as for `--bind`: `:PORT` (127.0.0.1 and ::1 only), `HOST:PORT`, `[IPV6]:PORT`. */
  readonly bind: string;
}

export interface ReverseProxyOptions {
  /** The apps, each on its own local address. Required: at least one; no app or local port twice. */
  readonly upstreams: readonly ReverseUpstreamOptions[];
  /** Credentials, STS and KMS used to answer IAM challenges. Default: createAwsLoginDependencies(). */
  readonly login?: LoginDependencies;
  /** Which proof to give: `auto` (STS when the app offers it, else KMS), `sts` or `kms`. Default `"auto"`. */
  readonly method?: LoginMethodPreference;
  /**
   * `proxy`: sign in on the browser's behalf and return the app's page with the session cookies;
   * `redirect`: send the browser a 302 to the local /auth with the token, as the original proxy does. Default `"proxy"`.
   */
  readonly loginFlow?: LoginFlow;
  /** How long the app's /auth may take when the proxy signs in, in ms. Default 30000. */
  readonly authTimeoutMs?: number;
  /** Request bodies up to this many bytes are kept to replay after a sign-in; bigger ones get the redirect flow. Default 1 MiB. */
  readonly maxReplayBodyBytes?: number;
  /**
   * CA certificates (PEM; a string may hold several) trusted for https upstreams besides Node's
   * bundled Mozilla roots, e.g. a company's private CA (`--upstream-ca`). When given, they and
   * `tls.rootCertificates` are the whole trust store (NODE_EXTRA_CA_CERTS is not added). Default: none.
   */
  readonly extraCaPems?: readonly string[];
  /** The current time in ms, for credential and cookie lifetimes and signing. Default Date.now. */
  readonly clock?: () => number;
  /** Where log lines go. Default: createStreamLogger() (stdout, warnings on stderr). */
  readonly logger?: ProxyLogger;
}

export interface CheckedUpstream {
  readonly origin: URL;
  readonly bind: BindAddress;
}

export interface CheckedReverseOptions {
  readonly upstreams: readonly CheckedUpstream[];
  readonly login: LoginDependencies;
  readonly method: LoginMethodPreference;
  readonly loginFlow: LoginFlow;
  readonly maxReplayBodyBytes: number;
  readonly authTimeoutMs: number;
  /** Each PEM certificate block on its own. */
  readonly extraCaPems: readonly string[];
  readonly clock: () => number;
  readonly logger: ProxyLogger;
}

const methodPreferences: readonly LoginMethodPreference[] = ["auto", "sts", "kms"];
const loginFlows: readonly LoginFlow[] = ["proxy", "redirect"];
const pemBlock = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;

/**
 * Checks createReverseProxy's options once, reporting every problem in one TypeError, each
 * naming the option and the bad value; returns a frozen copy with the defaults filled in.
 *
 * @example checkReverseOptions({ upstreams: [{ origin: "https://app.example.com", bind: ":8080" }] }).loginFlow // "proxy"
 */
export function checkReverseOptions(options: ReverseProxyOptions): CheckedReverseOptions {
  const problems: string[] = [];
  const upstreams = checkUpstreams(options.upstreams, problems);
  const login = options.login;
  if (
    login !== undefined &&
    (typeof login.resolveCredentials !== "function" ||
      typeof login.sts?.getCallerIdentity !== "function" ||
      typeof login.sts.getSessionToken !== "function" ||
      typeof login.kms?.encrypt !== "function" ||
      typeof login.stsProofTarget !== "function")
  ) {
    problems.push(
      "login: must have resolveCredentials(), sts.getCallerIdentity(), sts.getSessionToken(), kms.encrypt() and stsProofTarget()",
    );
  }
  const method = options.method ?? "auto";
  if (!methodPreferences.includes(method)) {
    problems.push(`method: must be "auto", "sts" or "kms" (got ${JSON.stringify(method)})`);
  }
  const loginFlow = options.loginFlow ?? "proxy";
  if (!loginFlows.includes(loginFlow)) {
    problems.push(`loginFlow: must be "proxy" or "redirect" (got ${JSON.stringify(loginFlow)})`);
  }
  const maxReplayBodyBytes = options.maxReplayBodyBytes ?? DEFAULT_MAX_REPLAY_BODY_BYTES;
  if (!Number.isSafeInteger(maxReplayBodyBytes) || maxReplayBodyBytes < 0) {
    problems.push(
      `maxReplayBodyBytes: must be a whole number of bytes, 0 or more (got ${String(maxReplayBodyBytes)})`,
    );
  }
  const authTimeoutMs = options.authTimeoutMs ?? 30_000;
  if (!Number.isSafeInteger(authTimeoutMs) || authTimeoutMs <= 0) {
    problems.push(
      `authTimeoutMs: must be a positive whole number of milliseconds (got ${String(authTimeoutMs)})`,
    );
  }
  const extraCaPems = checkCaPems(options.extraCaPems ?? [], problems);
  if (options.clock !== undefined && typeof options.clock !== "function") {
    problems.push("clock: must be a function returning milliseconds since the epoch");
  }
  const logger = options.logger;
  if (logger !== undefined && (typeof logger.info !== "function" || typeof logger.warn !== "function")) {
    problems.push("logger: must have info() and warn()");
  }
  if (problems.length > 0) throw new TypeError(`Invalid reverse proxy options: ${problems.join("; ")}`);
  return Object.freeze({
    upstreams,
    login: login ?? createAwsLoginDependencies(),
    method,
    loginFlow,
    maxReplayBodyBytes,
    authTimeoutMs,
    extraCaPems,
    clock: options.clock ?? Date.now,
    logger: logger ?? createStreamLogger(),
  });
}

function checkUpstreams(upstreams: unknown, problems: string[]): CheckedUpstream[] {
  if (!Array.isArray(upstreams) || upstreams.length === 0) {
    problems.push("upstreams: must list at least one { origin, bind }");
    return [];
  }
  const checked: CheckedUpstream[] = [];
  const hosts = new Set<string>();
  const ports = new Set<number>();
  (upstreams as readonly Partial<ReverseUpstreamOptions>[]).forEach((upstream, index) => {
    const name = `upstreams[${index}]`;
    let origin: URL | undefined;
    try {
      origin = new URL(upstream.origin ?? "");
    } catch {
      origin = undefined;
    }
    const problem = origin === undefined ? "it is not a URL" : describeUpstreamOriginProblem(origin);
    if (origin === undefined || problem !== undefined) {
      problems.push(
        `${name}.origin: must be an http(s) URL with no path: ${problem} (got ${JSON.stringify(String(upstream.origin))})`,
      );
    } else if (hosts.has(origin.host)) {
      problems.push(`${name}.origin: ${origin.host} is already an upstream`);
    }
    let bind: BindAddress | undefined;
    try {
      bind = parseBindAddress(String(upstream.bind));
    } catch (error) {
      problems.push(`${name}.bind: ${(error as Error).message}`);
    }
    if (bind !== undefined && bind.port !== 0 && ports.has(bind.port)) {
      problems.push(`${name}.bind: port ${bind.port} is already used by another upstream`);
    }
    if (origin !== undefined && problem === undefined && bind !== undefined) {
      hosts.add(origin.host);
      ports.add(bind.port);
      checked.push(Object.freeze({ origin: new URL(origin.origin), bind }));
    }
  });
  return checked;
}

function checkCaPems(pems: readonly string[], problems: string[]): readonly string[] {
  if (!Array.isArray(pems)) {
    problems.push("extraCaPems: must be an array of PEM strings");
    return [];
  }
  const blocks: string[] = [];
  pems.forEach((pem: unknown, index) => {
    const found = typeof pem === "string" ? (pem.match(pemBlock) ?? []) : [];
    if (found.length === 0) {
      problems.push(`extraCaPems[${index}]: holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
      return;
    }
    for (const block of found) {
      try {
        new X509Certificate(block);
        blocks.push(`${block}\n`);
      } catch (error) {
        problems.push(`extraCaPems[${index}]: a certificate cannot be read (${(error as Error).message})`);
      }
    }
  });
  return Object.freeze(blocks);
}
