import type { CallerIdentity, LoginMethod } from "../aws/types.js";
import type { ProxyLogger } from "../common/log.js";

/** One answered challenge, as the `login` log line reports it. */
export interface LoginLogEntry {
  readonly host: string;
  readonly identity: CallerIdentity | undefined;
  /** undefined when the challenge was refused before a method was chosen. */
  readonly method: LoginMethod | undefined;
  /** signed-in: the proxy completed /auth; redirected: the client was sent to /auth; denied: by the proxy or the app. */
  readonly outcome: "signed-in" | "redirected" | "denied";
  /** The ProxyError code of a denial by the proxy. */
  readonly code?: string | undefined;
  /** The app's status of a denial at /auth. */
  readonly status?: number | undefined;
  readonly reason?: string | undefined;
}

/**
 * Logs one `login host=… identity=… method=… outcome=…` line. Never pass a token, presigned URL
 * or credential in `reason`: ProxyError messages and the app's one-line refusals are safe.
 *
 * @example logLogin(logger, { host: "app:3000", identity, method: "sts", outcome: "signed-in" })
 * // login host=app:3000 identity=arn:aws:iam::111122223333:user/demo method=sts outcome=signed-in
 */
export function logLogin(logger: ProxyLogger, entry: LoginLogEntry): void {
  logger.info("login", {
    host: entry.host,
    identity: entry.identity?.arn ?? "unknown",
    method: entry.method,
    outcome: entry.outcome,
    code: entry.code,
    status: entry.status,
    reason: entry.reason,
  });
}

/**
 * Logs a challenge the proxy refused to answer: `login … outcome=denied code=<ProxyError code> reason=…`.
 *
 * @example logLoginDenied(logger, { host: "app:3000", identity, method: "kms" }, error)
 */
export function logLoginDenied(
  logger: ProxyLogger,
  entry: Pick<LoginLogEntry, "host" | "identity" | "method">,
  error: { readonly code: string; readonly message: string },
): void {
  logLogin(logger, { ...entry, outcome: "denied", code: error.code, reason: error.message });
}
