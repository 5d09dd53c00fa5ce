import assert from "node:assert/strict";
import {
  createAwsSession,
  createChallengeAnswerer,
  ProxyError,
  type ChallengeDecision,
  type LoginDependencies,
  type LoginMethodPreference,
  type UpstreamResponseHead,
} from "../../../proxy/index.js";

/** The app the challenges in these tests come from. */
export const target = { host: "app.internal:3000" };

/** Answers one challenge with a fresh session (no cache carried over). */
export function answerChallenge(
  head: UpstreamResponseHead,
  host: { host: string },
  deps: LoginDependencies,
  method: LoginMethodPreference = "auto",
): Promise<ChallengeDecision> {
  return createChallengeAnswerer({ session: createAwsSession(deps), method })(head, host);
}

/** The token of an "answer" decision (fails the test otherwise). */
export function tokenOf(decision: ChallengeDecision): string {
  assert.equal(decision.action, "answer");
  return decision.action === "answer" ? decision.token : "";
}

/** Asserts a denial with exactly this code, status and message. */
export function assertDenied(
  decision: ChallengeDecision,
  code: string,
  status: number,
  message: string,
): ProxyError {
  assert.equal(decision.action, "deny");
  if (decision.action !== "deny") throw new Error("unreachable");
  assert.ok(decision.error instanceof ProxyError);
  assert.equal(decision.error.code, code);
  assert.equal(decision.error.status, status);
  assert.equal(decision.error.message, message);
  return decision.error;
}
