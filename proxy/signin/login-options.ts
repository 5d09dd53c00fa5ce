import { createAwsLoginDependencies } from "../aws/aws-login.js";
import { createStreamLogger, type ProxyLogger } from "../common/log.js";
import type { LoginDependencies, LoginFlow, LoginMethodPreference } from "../aws/types.js";
import { DEFAULT_MAX_REPLAY_BODY_BYTES } from "../http/request-body.js";

/** The options of both the forward and the reverse proxy for signing in, its time and its logs. */
export interface LoginOptions {
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
}

/** The login options as checked, with every default filled in. */
export interface CheckedLoginOptions {
  readonly login: LoginDependencies;
  readonly method: LoginMethodPreference;
  readonly loginFlow: LoginFlow;
  readonly maxReplayBodyBytes: number;
  readonly authTimeoutMs: number;
  readonly clock: () => number;
  readonly logger: ProxyLogger;
}

const methodPreferences: readonly LoginMethodPreference[] = ["auto", "sts", "kms"];
const loginFlows: readonly LoginFlow[] = ["proxy", "redirect"];
const DEFAULT_AUTH_TIMEOUT_MS = 30_000;

/**
 * Checks the login options, adding one line per problem (naming the option and the bad value)
 * to `problems`, for the caller to report with its other options' problems in one TypeError.
 *
 * @example checkLoginOptions({ method: "password" }, problems) // problems: ['method: must be "auto", …']
 */
export function checkLoginOptions(options: LoginOptions, problems: string[]): void {
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
  const authTimeoutMs = options.authTimeoutMs ?? DEFAULT_AUTH_TIMEOUT_MS;
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
}

/**
 * The login options with every default filled in; call it once checkLoginOptions found no
 * problem, so that the AWS clients and the logger are only made for options that are used.
 *
 * @example fillLoginDefaults({}).authTimeoutMs // 30000
 */
export function fillLoginDefaults(options: LoginOptions): CheckedLoginOptions {
  return {
    login: options.login ?? createAwsLoginDependencies(),
    method: options.method ?? "auto",
    loginFlow: options.loginFlow ?? "proxy",
    maxReplayBodyBytes: options.maxReplayBodyBytes ?? DEFAULT_MAX_REPLAY_BODY_BYTES,
    authTimeoutMs: options.authTimeoutMs ?? DEFAULT_AUTH_TIMEOUT_MS,
    clock: options.clock ?? Date.now,
    logger: options.logger ?? createStreamLogger(),
  };
}
