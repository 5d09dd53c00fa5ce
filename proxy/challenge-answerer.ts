import {
  decodeEncryptionContext,
  findIamChallenge,
  KMS_ENCRYPTION_CONTEXT_HEADER,
  KMS_KEY_ID_HEADER,
  ProtocolError,
  WWW_AUTHENTICATE_HEADER,
} from "../protocol/index.js";
import { ProxyError, type ProxyErrorCode } from "./errors.js";
import {
  loginWithKms,
  type CallerIdentity,
  type KmsChallenge,
  type KmsLoginDependencies,
  type LoginTarget,
} from "./kms-login.js";

/** The head of the app's response, as http.IncomingMessage has it. */
export interface UpstreamResponseHead {
  readonly statusCode?: number | undefined;
  /** Header names lower-cased, every field value kept (IncomingMessage#headersDistinct). */
  readonly headersDistinct: Readonly<Record<string, readonly string[] | undefined>>;
}

/** What to send the client instead of (or as) the app's response. */
export type ChallengeDecision =
  | { readonly action: "pass-through" }
  | { readonly action: "redirect"; readonly location: string; readonly identity: CallerIdentity }
  | { readonly action: "deny"; readonly error: ProxyError; readonly identity: CallerIdentity | undefined };

const PASS_THROUGH: ChallengeDecision = Object.freeze({ action: "pass-through" });
const INVALID_CHALLENGE = "Invalid IAM challenge from the server";

/**
 * Decides what to do with an upstream response. Anything but a 401 carrying an IAM challenge
 * passes through untouched (other schemes are the app's business). An IAM challenge is answered
 * with the KMS method: a redirect to the app's /auth with a token, or a denial saying why.
 *
 * @example await answerChallenge(upstreamResponse, { host: "app:3000", returnUrl: "/docs" }, deps)
 * // { action: "redirect", location: "//app:3000/auth?return_url=%2Fdocs&token=…", identity }
 */
export async function answerChallenge(
  response: UpstreamResponseHead,
  target: LoginTarget,
  deps: KmsLoginDependencies,
): Promise<ChallengeDecision> {
  if (response.statusCode !== 401) return PASS_THROUGH;
  const lookup = findIamChallenge(response.headersDistinct[WWW_AUTHENTICATE_HEADER] ?? []);
  if (lookup.kind === "none") return PASS_THROUGH;
  if (lookup.kind === "invalid")
    return deny("CHALLENGE_INVALID", `${INVALID_CHALLENGE}: ${lookup.error.message}`);

  let challenge: KmsChallenge;
  try {
    challenge = readKmsChallenge(lookup.challenge.realm, response.headersDistinct);
  } catch (error) {
    if (error instanceof ProxyError) return { action: "deny", error, identity: undefined };
    throw error;
  }
  const result = await loginWithKms(challenge, target, deps);
  return result.outcome === "redirected"
    ? { action: "redirect", location: result.location, identity: result.identity }
    : { action: "deny", error: result.error, identity: result.identity };
}

function readKmsChallenge(realm: string, headers: UpstreamResponseHead["headersDistinct"]): KmsChallenge {
  const keyId = readSingleHeader(headers, KMS_KEY_ID_HEADER, "KMS_KEY_ID_MISSING");
  const contextHeader = readSingleHeader(
    headers,
    KMS_ENCRYPTION_CONTEXT_HEADER,
    "ENCRYPTION_CONTEXT_MISSING",
  );
  try {
    return { realm, keyId, encryptionContext: decodeEncryptionContext(contextHeader) };
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    throw new ProxyError(
      "ENCRYPTION_CONTEXT_INVALID",
      `${INVALID_CHALLENGE}: ${displayHeaderName(KMS_ENCRYPTION_CONTEXT_HEADER)}: ${error.message}`,
      { cause: error },
    );
  }
}

/** The header's one value; missing or empty → `missingCode`; differing repeats are ambiguous → CHALLENGE_INVALID. */
function readSingleHeader(
  headers: UpstreamResponseHead["headersDistinct"],
  name: string,
  missingCode: ProxyErrorCode,
): string {
  const values = new Set((headers[name] ?? []).map((value) => value.trim()).filter((value) => value !== ""));
  const [first] = values;
  if (first === undefined) {
    throw new ProxyError(
      missingCode,
      `${INVALID_CHALLENGE}: ${displayHeaderName(name)}: the header is missing`,
    );
  }
  if (values.size > 1) {
    throw new ProxyError(
      "CHALLENGE_INVALID",
      `${INVALID_CHALLENGE}: ${displayHeaderName(name)}: the header is repeated with different values`,
    );
  }
  return first;
}

function deny(code: ProxyErrorCode, message: string): ChallengeDecision {
  return { action: "deny", error: new ProxyError(code, message), identity: undefined };
}

/** "iam-auth-kms-key-id" → "Iam-Auth-Kms-Key-Id", as the protocol spells it. */
function displayHeaderName(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_match, dash: string, letter: string) => dash + letter.toUpperCase());
}
