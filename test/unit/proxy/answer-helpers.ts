import assert from "node:assert/strict";
import {
  createAwsSession,
  createChallengeAnswerer,
  ProxyError,
  type ChallengeDecision,
  type LoginDependencies,
  type LoginMethodPreference,
  readChallenge,
  type AppChallenge,
  type UpstreamResponseHead,
} from "../../../proxy/index.js";

/** The app the challenges in these tests come from. */
export const target = { host: "app.internal:3000" };

/** What the proxy does with a response head: no challenge to answer ("pass-through"), or the answerer's decision. */
export type HeadDecision = ChallengeDecision | { readonly action: "pass-through" };

/** The challenge a response head carries (fails the test if it carries none). */
export function challengeOf(head: UpstreamResponseHead): AppChallenge {
  const challenge = readChallenge(head);
  assert.ok(challenge !== undefined, "the response carries no IAM challenge");
  return challenge;
}

/** Reads the challenge of one response head and answers it with a fresh session (no cache carried over). */
export async function answerChallenge(
  head: UpstreamResponseHead,
  host: { host: string },
  deps: LoginDependencies,
  method: LoginMethodPreference = "auto",
): Promise<HeadDecision> {
  const challenge = readChallenge(head);
  if (challenge === undefined) return { action: "pass-through" };
  return createChallengeAnswerer({ session: createAwsSession(deps), method, mayReceiveKmsProof: () => true })(
    challenge,
    host,
  );
}

/** The token of an "answer" decision (fails the test otherwise). */
export function tokenOf(decision: HeadDecision): string {
  assert.equal(decision.action, "answer");
  return decision.action === "answer" ? decision.token : "";
}

/** Asserts a denial with exactly this code, status and message. */
export function assertDenied(
  decision: HeadDecision,
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
