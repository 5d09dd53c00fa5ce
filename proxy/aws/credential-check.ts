import type { AwsSession } from "./aws-session.js";
import { ProxyError, toOneLine } from "../common/errors.js";
import type { CallerIdentity, CredentialCheckRecorder, CredentialCheckResult } from "./types.js";
import type { ProxyLogger } from "../common/log.js";

/**
 * Checks at start-up whose credentials the proxy will answer challenges with and logs it:
 * `credentials identity=<arn> account=<id>`, or a warning saying what is missing and what to do. The same finding goes
 * to `recorder` (e.g. the status page's history) as a CredentialCheckResult. The proxy keeps
 * serving either way; each challenge resolves credentials again. The identity stays cached in the
 * session (the STS method's login lines name it without an AWS call). Resolves with the identity, if any.
 *
 * @example void reportCredentialStatus(session, logger, history)
 */
export async function reportCredentialStatus(
  session: AwsSession,
  logger: ProxyLogger,
  recorder?: CredentialCheckRecorder,
): Promise<CallerIdentity | undefined> {
  const report = (result: CredentialCheckResult): void => recorder?.recordCredentialCheck(result);
  try {
    const identity = await session.callerIdentity(await session.credentials());
    logger.info("credentials", { identity: identity.arn, account: identity.account });
    report({ outcome: "found", identity });
    return identity;
  } catch (error) {
    if (!(error instanceof ProxyError)) throw error;
    if (error.code === "NO_CREDENTIALS") {
      // What is missing and what to do (see diagnoseCredentialFailure); challenges get the same words with their 503.
      logger.warn("credentials", {
        outcome: "missing",
        message: error.message,
        // The SDK's own words (e.g. "Could not load credentials from any providers"), never a secret.
        reason: error.cause instanceof Error ? toOneLine(error.cause.message, 300) : undefined,
      });
      report({ outcome: "missing", problem: error.message });
    } else {
      logger.warn("credentials", { outcome: "error", code: error.code, reason: error.message });
      report({ outcome: "error", code: error.code, problem: error.message });
    }
    return undefined;
  }
}
