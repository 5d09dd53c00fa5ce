import { createAwsLoginDependencies } from "./aws-login.js";
import { parseBindAddress, type BindAddress } from "./bind-address.js";
import { parseHostPattern, type HostPattern } from "./host-pattern.js";
import { createStreamLogger, type ProxyLogger } from "./log.js";
import type { LoginDependencies, LoginFlow, LoginMethodPreference } from "./login-types.js";
import type { LocalCa } from "./mitm/index.js";
import { DEFAULT_MAX_REPLAY_BODY_BYTES } from "./request-body.js";
import { parseSocksEndpoint, type SocksEndpoint } from "./socks-connector.js";

export interface ProxyServerOptions {
  /**
   * Where to listen, as for `--bind`: `:PORT` (loopback only: 127.0.0.1 and ::1), `HOST:PORT`,
   * `[IPV6]:PORT`. Default `":8080"`.
   */
  readonly bind?: string;
  /** Credentials, STS and KMS used to answer IAM challenges. Default: createAwsLoginDependencies(). */
  readonly login?: LoginDependencies;
  /** Which proof to give: `auto` (STS when the app offers it, else KMS), `sts` or `kms`. Default `"auto"`. */
  readonly method?: LoginMethodPreference;
  /**
   * `proxy`: sign in on the client's behalf and return the app's page with the session cookies;
   * `redirect`: send the client a 302 to /auth with the token, as the original proxy does. Default `"proxy"`.
   */
  readonly loginFlow?: LoginFlow;
  /** How long the app's /auth may take when the proxy signs in, in ms. Default 30000. */
  readonly authTimeoutMs?: number;
  /** Request bodies up to this many bytes are kept to replay after a sign-in; bigger ones get the redirect flow. Default 1 MiB. */
  readonly maxReplayBodyBytes?: number;
  /** The current time in ms, for credential and cookie lifetimes and signing. Default Date.now. */
  readonly clock?: () => number;
  /** Where log lines go. Default: createStreamLogger() (stdout, warnings on stderr). */
  readonly logger?: ProxyLogger;
  /**
   * The apps the proxy signs in to, as `--host` patterns (`app.example.com`, `*.corp.example.com`,
   * `10.0.0.5:8443`). CONNECTs to them are intercepted (needs `ca`); IAM challenges from other
   * apps reach the client untouched. Default none: sign in to any plain-HTTP app, intercept nothing.
   */
  readonly hosts?: readonly string[];
  /** The local CA (loadOrCreateCa) the intercepted apps' certificates are issued by. Required with `hosts`. */
  readonly ca?: LocalCa;
  /** PEM certificates HTTPS apps may chain to, besides Node's CA store. Default none. */
  readonly upstreamCa?: readonly string[];
  /**
   * A SOCKS5 server, `HOST:PORT` (e.g. `ssh -D 1080 bastion`), that every connection to an app
   * goes through, host names resolved at its side. Default: apps are reached directly.
   */
  readonly socksProxy?: string;
}

const methodPreferences: readonly LoginMethodPreference[] = ["auto", "sts", "kms"];
const loginFlows: readonly LoginFlow[] = ["proxy", "redirect"];

/** The options as checked, with every default filled in. */
export interface CheckedOptions {
  readonly bind: BindAddress;
  readonly login: LoginDependencies;
  readonly method: LoginMethodPreference;
  readonly loginFlow: LoginFlow;
  readonly maxReplayBodyBytes: number;
  readonly authTimeoutMs: number;
  readonly clock: () => number;
  readonly logger: ProxyLogger;
  readonly hosts: readonly HostPattern[];
  readonly ca: LocalCa | undefined;
  readonly upstreamCa: readonly string[];
  readonly socks: SocksEndpoint | undefined;
}

/**
 * Checks createProxyServer's options once: every problem in one TypeError, each naming the
 * option and the bad value; returns a frozen copy with the defaults filled in.
 */
export function checkProxyServerOptions(options: ProxyServerOptions): CheckedOptions {
  const problems: string[] = [];
  let bind: BindAddress = { kind: "loopback", port: 8080 };
  if (options.bind !== undefined) {
    try {
      bind = parseBindAddress(options.bind);
    } catch (error) {
      problems.push(`bind: ${(error as Error).message}`);
    }
  }
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
  if (options.clock !== undefined && typeof options.clock !== "function") {
    problems.push("clock: must be a function returning milliseconds since the epoch");
  }
  const logger = options.logger;
  if (logger !== undefined && (typeof logger.info !== "function" || typeof logger.warn !== "function")) {
    problems.push("logger: must have info() and warn()");
  }
  const hosts: HostPattern[] = [];
  for (const host of options.hosts ?? []) {
    try {
      hosts.push(parseHostPattern(host));
    } catch (error) {
      problems.push(`hosts: ${(error as Error).message}`);
    }
  }
  if (hosts.length > 0 && options.ca === undefined) {
    problems.push("ca: needed with hosts, to issue their certificates (see loadOrCreateCa)");
  }
  const upstreamCa = options.upstreamCa ?? [];
  if (upstreamCa.some((pem) => typeof pem !== "string" || !pem.includes("-----BEGIN CERTIFICATE-----"))) {
    problems.push("upstreamCa: every entry must be PEM certificates (-----BEGIN CERTIFICATE-----)");
  }
  let socks: SocksEndpoint | undefined;
  if (options.socksProxy !== undefined) {
    try {
      socks = parseSocksEndpoint(options.socksProxy);
    } catch (error) {
      problems.push(`socksProxy: ${(error as Error).message}`);
    }
  }
  if (problems.length > 0) throw new TypeError(`Invalid proxy server options: ${problems.join("; ")}`);
  return Object.freeze({
    bind,
    login: login ?? createAwsLoginDependencies(),
    method,
    loginFlow,
    maxReplayBodyBytes,
    authTimeoutMs,
    clock: options.clock ?? Date.now,
    logger: logger ?? createStreamLogger(),
    hosts: Object.freeze(hosts),
    ca: options.ca,
    upstreamCa: Object.freeze([...upstreamCa]),
    socks,
  });
}
