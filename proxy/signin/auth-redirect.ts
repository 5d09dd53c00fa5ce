import { buildAuthLocation } from "../../protocol/index.js";
import type { SignInLog } from "./login-log.js";
import type { ForwardTarget } from "../http/request-target.js";
import type { SignInRefusal } from "./auth-refusal.js";
import type { AppChallenge, ChallengeAnswerer } from "./challenge-answerer.js";

/** What redirectToAuth needs besides the exchange. */
export interface AuthRedirectContext {
  readonly answerChallenge: ChallengeAnswerer;
  /** Where the outcome is reported: the `login` log line and the record of sign-ins. */
  readonly signInLog: SignInLog;
}

/** A 302 that sends the client to the app's /auth with the token. */
export interface AuthRedirect {
  readonly kind: "redirect";
  /** `//<authHost><auth path>?return_url=…&token=…`. Secret: it holds the token; never log it. */
  readonly location: string;
  /** The one line the 302's body says. */
  readonly message: string;
}

/**
 * The original proxy's login flow: answers an app's IAM challenge with a 302 that sends the
 * client to the challenge's auth path (`/auth` unless it names another) at `authHost` with the
 * token (the app's own host in forward mode, the local address the browser used in reverse
 * mode), or with the refusal when no proof can be made.
 *
 * @example const outcome = await redirectToAuth(challenge, target, target.host, { answerChallenge, signInLog })
 */
export async function redirectToAuth(
  challenge: AppChallenge,
  target: ForwardTarget,
  authHost: string,
  context: AuthRedirectContext,
): Promise<AuthRedirect | SignInRefusal> {
  const { signInLog } = context;
  const decision = await context.answerChallenge(challenge, { host: target.host, scheme: target.scheme });
  const { identity, method } = decision;
  if (decision.action === "deny") {
    const { error } = decision;
    signInLog.denied({ host: target.host, identity, method }, error);
    return { kind: "refused", status: error.status, message: error.message, code: error.code };
  }
  signInLog.login({ host: target.host, identity, method, outcome: "redirected" });
  return {
    kind: "redirect",
    location: buildAuthLocation(authHost, target.path, decision.token, challenge.authPath),
    message: `Signing in to ${target.host} with your AWS identity`,
  };
}
