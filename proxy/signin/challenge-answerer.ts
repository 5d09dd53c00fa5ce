import {
  decodeEncryptionContext,
  findIamChallenge,
  KMS_ENCRYPTION_CONTEXT_HEADER,
  KMS_KEY_ID_HEADER,
  ProtocolError,
  WWW_AUTHENTICATE_HEADER,
} from "../../protocol/index.js";
import type { AwsSession } from "../aws/aws-session.js";
import { ProxyError, type ProxyErrorCode } from "../common/errors.js";
import { loginWithKms, type KmsChallenge, type LoginResult } from "../aws/kms-login.js";
import { chooseLoginMethod } from "./login-method.js";
import type { CallerIdentity, LoginMethod, LoginMethodPreference, LoginTarget } from "../aws/types.js";
import { loginWithSts, type StsChallenge } from "../aws/sts-login.js";

/** The head of the app's response, as http.IncomingMessage has it. */
export interface UpstreamResponseHead {
  readonly statusCode?: number | undefined;
  /** Header names lower-cased, every field value kept (IncomingMessage#headersDistinct). */
  readonly headersDistinct: Readonly<Record<string, readonly string[] | undefined>>;
}

/** What to do with the app's response. */
export type ChallengeDecision =
  | { readonly action: "pass-through" }
  | {
      readonly action: "answer";
      readonly method: LoginMethod;
      /** The `token` for /auth. Secret: never log it or put it anywhere but the /auth request. */
      readonly token: string;
      readonly identity: CallerIdentity | undefined;
    }
  | {
      readonly action: "deny";
      readonly method: LoginMethod | undefined;
      readonly error: ProxyError;
      readonly identity: CallerIdentity | undefined;
    };

/** Decides what to do with one upstream response from the app at `target`. */
export type ChallengeAnswerer = (
  response: UpstreamResponseHead,
  target: LoginTarget,
) => Promise<ChallengeDecision>;

export interface ChallengeAnswererOptions {
  /** The person's AWS side, with its caches. */
  readonly session: AwsSession;
  /** Which proof to give. Default "auto": STS when the app offers it, else KMS. */
  readonly method?: LoginMethodPreference;
}

const PASS_THROUGH: ChallengeDecision = Object.freeze({ action: "pass-through" });
const INVALID_CHALLENGE = "Invalid IAM challenge from the server";

/**
 * True when the response is a 401 whose WWW-Authenticate has the IAM scheme (well-formed or not):
 * the responses the proxy answers instead of relaying.
 */
export function isIamChallenge(response: UpstreamResponseHead): boolean {
  if (response.statusCode !== 401) return false;
  return findIamChallenge(response.headersDistinct[WWW_AUTHENTICATE_HEADER] ?? []).kind !== "none";
}

/**
 * Creates the answerer. Anything but a 401 carrying an IAM challenge passes through untouched
 * (other schemes are the app's business). An IAM challenge gets a token for /auth (STS or KMS
 * method, see chooseLoginMethod), or a denial saying why.
 *
 * @example await createChallengeAnswerer({ session })(upstreamResponse, { host: "app:3000" })
 * // { action: "answer", method: "sts", token: "sts1.…", identity: undefined }
 */
export function createChallengeAnswerer(options: ChallengeAnswererOptions): ChallengeAnswerer {
  const { session } = options;
  const preference = options.method ?? "auto";
  return async (response, target) => {
    if (response.statusCode !== 401) return PASS_THROUGH;
    const lookup = findIamChallenge(response.headersDistinct[WWW_AUTHENTICATE_HEADER] ?? []);
    if (lookup.kind === "none") return PASS_THROUGH;

    let plan: LoginPlan;
    try {
      if (lookup.kind === "invalid") {
        throw new ProxyError("CHALLENGE_INVALID", `${INVALID_CHALLENGE}: ${lookup.error.message}`);
      }
      plan = planLogin(preference, lookup.challenge.realm, lookup.challenge.params, response, target);
    } catch (error) {
      if (error instanceof ProxyError)
        return { action: "deny", method: undefined, error, identity: undefined };
      throw error;
    }
    const result: LoginResult =
      plan.method === "sts"
        ? await loginWithSts(plan.challenge, session)
        : await loginWithKms(plan.challenge, session);
    return result.outcome === "token"
      ? { action: "answer", method: plan.method, token: result.token, identity: result.identity }
      : { action: "deny", method: plan.method, error: result.error, identity: result.identity };
  };
}

type LoginPlan =
  | { readonly method: "sts"; readonly challenge: StsChallenge }
  | { readonly method: "kms"; readonly challenge: KmsChallenge };

/** Everything checked before any credential or AWS call; throws ProxyError. */
function planLogin(
  preference: LoginMethodPreference,
  realm: string,
  params: ReadonlyMap<string, string>,
  response: UpstreamResponseHead,
  target: LoginTarget,
): LoginPlan {
  const choice = chooseLoginMethod(preference, params, target.host, target.scheme ?? "http");
  if (choice.method === "sts") {
    return { method: "sts", challenge: { nonce: choice.nonce, serverId: choice.serverId } };
  }
  return { method: "kms", challenge: readKmsChallenge(realm, response.headersDistinct) };
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

/** "iam-auth-kms-key-id" → "Iam-Auth-Kms-Key-Id", as the protocol spells it. */
function displayHeaderName(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_match, dash: string, letter: string) => dash + letter.toUpperCase());
}
