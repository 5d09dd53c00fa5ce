import { checkPresignedCallerIdentity, parseStsProof, ProtocolError } from "../../protocol/index.js";
import { claimOnce } from "./claim-once.js";
import { IamAuthError } from "../errors.js";
import type { IamIdentity } from "../identity.js";
import type { NonceIssuer } from "./nonce.js";
import type { NonceCookies } from "./nonce-cookie.js";
import type { ProofDelivery } from "./proof-check.js";
import type { ResolvedStsOptions } from "../options/options-sts.js";
import type { ReplayStore } from "../stores/replay-store.js";
import { fetchCallerIdentity } from "./sts-caller-identity.js";

/** What verifying an STS-method token depends on. */
export interface StsProofContext {
  readonly sts: ResolvedStsOptions;
  readonly nonces: NonceIssuer;
  readonly replayStore: ReplayStore;
  readonly nonceCookies: NonceCookies;
  /** How the proof came: a hand-over at the auth path must carry the challenge's nonce cookie. */
  readonly delivery: ProofDelivery;
  readonly now: Date;
}

/**
 * How far in the future X-Amz-Date may be: AWS itself tolerates 5 minutes of clock skew,
 * and a client clock that is a little fast should not fail here first.
 */
const MAX_FUTURE_SKEW_SECONDS = 300;

/**
 * Verifies an STS-method token (`sts1.<nonce>.<presigned URL>`) and returns who it proves the
 * caller is. Every local check comes before the one outbound request, so a proof that fails
 * any of them costs no AWS call:
 * 1. the token's shape (parseStsProof);
 * 2. the presigned URL (checkPresignedCallerIdentity: host allowlist, query, signed headers, dates);
 * 3. the nonce: this app's HMAC, not expired;
 * 3b. a proof handed over at the auth path carries the nonce cookie the challenge set
 *    (nonce-cookie.ts): the proof is signed in only in the browser that was challenged (login
 *    CSRF). A header proof needs none (see ProofDelivery);
 * 4. only then: GET the checked URL with this server's own server-id and the nonce;
 * 5. once STS has answered with an identity, the nonce is claimed in the replay store
 *    (atomically: of concurrent replays of one good proof exactly one gets past this).
 * The nonce is spent only by a proof STS accepted: a junk proof (a made-up key, a zero
 * signature) that merely names a real nonce must not use it up, or anyone could lock the
 * person who was challenged out, and junk must not take room in the store. What bounds the
 * STS calls junk can cause is the per-address failure limit (failure-limit.ts).
 * Throws IamAuthError.
 *
 * @example await verifyStsProof(query.token, { sts, nonces, replayStore, nonceCookies, delivery, now })
 */
export async function verifyStsProof(
  token: string,
  context: StsProofContext,
): Promise<{ readonly identity: IamIdentity; readonly nonce: string }> {
  const { sts, now } = context;
  let nonce: string;
  let url: URL;
  try {
    const proof = parseStsProof(token);
    nonce = proof.nonce;
    url = checkPresignedCallerIdentity(proof.presignedUrl, {
      now,
      maxAgeSeconds: sts.proofMaxAgeSeconds,
      maxFutureSkewSeconds: MAX_FUTURE_SKEW_SECONDS,
      extraStsHosts: sts.extraStsHosts,
      testOrigins: sts.testStsOrigin === undefined ? [] : [sts.testStsOrigin],
    }).url;
  } catch (error) {
    if (
      error instanceof ProtocolError &&
      (error.code === "STS_PROOF_MALFORMED" || error.code === "STS_PROOF_REJECTED")
    ) {
      throw new IamAuthError(error.code, error.message, { cause: error });
    }
    throw error;
  }
  const { expiresAt } = context.nonces.verify(nonce, now);
  if (context.delivery.via === "redirect") context.nonceCookies.check(context.delivery.cookieHeader, nonce);
  const identity = await fetchCallerIdentity({
    url,
    serverId: sts.serverId,
    nonce,
    fetch: sts.fetch,
    timeoutMs: sts.timeoutMs,
  });
  await claimOnce(
    context.replayStore,
    `sts-nonce:${nonce}`,
    expiresAt,
    "The STS proof has already been used",
  );
  return { identity, nonce };
}
