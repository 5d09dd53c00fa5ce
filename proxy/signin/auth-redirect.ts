import type { ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import { buildAuthLocation } from "../../protocol/index.js";
import type { ChallengeAnswerer, UpstreamResponseHead } from "./challenge-answerer.js";
import { sendPlainText } from "../http/http-messages.js";
import type { ProxyLogger } from "../common/log.js";
import { createSignInLog, type SignInLog } from "./login-log.js";
import type { ForwardTarget } from "../http/request-target.js";

/** What redirectToAuth needs besides the exchange. */
export interface AuthRedirectContext {
  readonly answerChallenge: ChallengeAnswerer;
  readonly logger: ProxyLogger;
  /** Where the outcome is reported. Default: createSignInLog({ logger }) (the log line only, nothing recorded). */
  readonly signInLog?: SignInLog | undefined;
}

/**
 * The original proxy's login flow: answers an app's IAM challenge with a 302 that sends the
 * client to /auth at `authHost` with the token (the app's own host in forward mode, the local
 * address the browser used in reverse mode), or with the refusal when no proof can be made.
 * `challenge` must be an IAM challenge (see isIamChallenge).
 *
 * @example await redirectToAuth(response, res, target, target.host, { answerChallenge, logger })
 */
export async function redirectToAuth(
  challenge: Readable & UpstreamResponseHead,
  res: ServerResponse,
  target: ForwardTarget,
  authHost: string,
  context: AuthRedirectContext,
): Promise<void> {
  const signInLog = context.signInLog ?? createSignInLog({ logger: context.logger });
  // The app's 401 body is replaced by our answer; read it to the end so the connection can be reused.
  challenge.resume();
  const decision = await context.answerChallenge(challenge, { host: target.host, scheme: target.scheme });
  if (decision.action === "pass-through")
    throw new Error("redirectToAuth was given a response that is not an IAM challenge");
  const { identity, method } = decision;
  if (decision.action === "deny") {
    const { error } = decision;
    signInLog.denied({ host: target.host, identity, method }, error);
    sendPlainText(res, error.status, error.message);
    return;
  }
  signInLog.login({ host: target.host, identity, method, outcome: "redirected" });
  sendPlainText(res, 302, `Signing in to ${target.host} with your AWS identity`, {
    Location: buildAuthLocation(authHost, target.path, decision.token),
  });
}
