import {
  AUTH_PATH,
  decodeEncryptionContext,
  findIamChallenge,
  type ChallengeLookup,
  KMS_ENCRYPTION_CONTEXT_HEADER,
  KMS_KEY_ID_HEADER,
  KMS_SERVER_ID_CONTEXT_KEY,
  ProtocolError,
  WWW_AUTHENTICATE_HEADER,
} from "../../protocol/index.js";
import type { AwsSession } from "../aws/aws-session.js";
import { ProxyError, type ProxyErrorCode } from "../common/errors.js";
import { loginWithKms, type KmsChallenge, type LoginResult } from "../aws/kms-login.js";
import { chooseLoginMethod } from "./login-method.js";
import type {
  CallerIdentity,
  CredentialSource,
  LoginMethod,
  LoginMethodPreference,
  LoginTarget,
} from "../aws/types.js";
import { loginWithSts, type StsChallenge } from "../aws/sts-login.js";

/** The head of the app's response, as http.IncomingMessage has it. */
export interface UpstreamResponseHead {
  readonly statusCode?: number | undefined;
  /** Header names lower-cased, every field value kept (IncomingMessage#headersDistinct). */
  readonly headersDistinct: Readonly<Record<string, readonly string[] | undefined>>;
}

/**
 * An app's IAM challenge, read once from its 401 (see readChallenge) and passed on as it is:
 * the WWW-Authenticate lookup (well-formed or not), where the proof goes, and the response's
 * fields (the KMS method reads its key id and encryption context from them).
 */
export interface AppChallenge {
  readonly lookup: Exclude<ChallengeLookup, { readonly kind: "none" }>;
  /**
   * The path the proof is handed over at, on the app's own origin: the challenge's `auth-path`
   * (checked by findIamChallenge; a bad one makes the lookup "invalid", which is refused with
   * CHALLENGE_INVALID), else `/auth`, as the original's proxies always use.
   */
  readonly authPath: string;
  readonly headers: UpstreamResponseHead["headersDistinct"];
}

/** How the proxy answers an app's challenge: a token for /auth, or why it cannot give one. */
export type ChallengeDecision =
  | {
      readonly action: "answer";
      readonly method: LoginMethod;
      /** The `token` for /auth. Secret: never log it or put it anywhere but the /auth request. */
      readonly token: string;
      readonly identity: CallerIdentity | undefined;
      /** Where the credentials that signed it come from, if known (named when the app's AWS refuses the key). */
      readonly source?: CredentialSource | undefined;
    }
  | {
      readonly action: "deny";
      readonly method: LoginMethod | undefined;
      readonly error: ProxyError;
      readonly identity: CallerIdentity | undefined;
    };

/** Makes the proof for one challenge from the app at `target`, or says why it cannot. */
export type ChallengeAnswerer = (challenge: AppChallenge, target: LoginTarget) => Promise<ChallengeDecision>;

export interface ChallengeAnswererOptions {
  /** The person's AWS side, with its caches. */
  readonly session: AwsSession;
  /** Which proof to give. Default "auto": STS when the app offers it, else KMS. */
  readonly method?: LoginMethodPreference;
  /**
   * Whether the app may receive a KMS proof (see AppPolicy.mayReceiveKmsProof); a KMS challenge
   * from any other app is refused with KMS_APP_NOT_NAMED before any credential or AWS call.
   */
  readonly mayReceiveKmsProof: (target: LoginTarget) => boolean;
}

const INVALID_CHALLENGE = "Invalid IAM challenge from the server";

/**
 * The app's IAM challenge when the response is a 401 whose WWW-Authenticate has the IAM scheme
 * (well-formed or not): the responses the proxy may answer instead of relaying. Undefined for
 * anything else (other schemes are the app's business). Read once per response.
 *
 * @example readChallenge(response)?.lookup.kind // "iam"
 */
export function readChallenge(response: UpstreamResponseHead): AppChallenge | undefined {
  if (response.statusCode !== 401) return undefined;
  const headers = response.headersDistinct;
  const lookup = findIamChallenge(headers[WWW_AUTHENTICATE_HEADER] ?? []);
  if (lookup.kind === "none") return undefined;
  const authPath = (lookup.kind === "iam" ? lookup.challenge.authPath : undefined) ?? AUTH_PATH;
  return { lookup, authPath, headers };
}

/**
 * readChallenge for a WHATWG fetch Response (the Node client, `token`, `doctor`): its headers
 * as headersDistinct has them (Set-Cookie kept apart, every other field as fetch joined it).
 *
 * @example readFetchChallenge(await fetch(url, { redirect: "manual" }))?.authPath // "/auth"
 */
export function readFetchChallenge(response: Response): AppChallenge | undefined {
  const headersDistinct: Record<string, string[]> = {};
  response.headers.forEach((value, name) => {
    headersDistinct[name] = name === "set-cookie" ? response.headers.getSetCookie() : [value];
  });
  return readChallenge({ statusCode: response.status, headersDistinct });
}

/**
 * Creates the answerer: an IAM challenge gets a token for /auth (STS or KMS method, see
 * chooseLoginMethod), or a denial saying why.
 *
 * @example await createChallengeAnswerer({ session })(readChallenge(response)!, { host: "app:3000" })
 * // { action: "answer", method: "sts", token: "sts1.…", identity: undefined }
 */
export function createChallengeAnswerer(options: ChallengeAnswererOptions): ChallengeAnswerer {
  const { session } = options;
  const preference = options.method ?? "auto";
  return async (challenge, target) => {
    const { lookup } = challenge;
    let plan: LoginPlan;
    try {
      if (lookup.kind === "invalid") {
        throw new ProxyError("CHALLENGE_INVALID", `${INVALID_CHALLENGE}: ${lookup.error.message}`);
      }
      plan = planLogin(
        preference,
        lookup.challenge.realm,
        lookup.challenge.params,
        challenge.headers,
        target,
      );
      if (plan.method === "kms" && !options.mayReceiveKmsProof(target)) throw kmsAppNotNamed(target);
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
      ? {
          action: "answer",
          method: plan.method,
          token: result.token,
          identity: result.identity,
          ...(result.source === undefined ? {} : { source: result.source }),
        }
      : { action: "deny", method: plan.method, error: result.error, identity: result.identity };
  };
}

type LoginPlan =
  | { readonly method: "sts"; readonly challenge: StsChallenge }
  | { readonly method: "kms"; readonly challenge: KmsChallenge };

/**
 * 403 KMS_APP_NOT_NAMED: the app asked for a KMS proof and the person did not name it. A KMS
 * token carries the person's AWS credentials; an app could replay it at another app that trusts
 * the same key (sign in there as the person), so only named apps get one.
 */
function kmsAppNotNamed(target: LoginTarget): ProxyError {
  return new ProxyError(
    "KMS_APP_NOT_NAMED",
    `Refusing to give ${target.host} a KMS proof: it would receive your temporary AWS credentials, ` +
      `with which it could sign in to other apps as you. If you trust it, name it with --kms-host ${target.host} ` +
      "(or --host); an app that offers the STS method needs neither",
  );
}

/** Everything checked before any credential or AWS call; throws ProxyError. */
function planLogin(
  preference: LoginMethodPreference,
  realm: string,
  params: ReadonlyMap<string, string>,
  headers: UpstreamResponseHead["headersDistinct"],
  target: LoginTarget,
): LoginPlan {
  const choice = chooseLoginMethod(preference, params, target.host, target.scheme ?? "http");
  if (choice.method === "sts") {
    return { method: "sts", challenge: { nonce: choice.nonce, serverId: choice.serverId } };
  }
  return { method: "kms", challenge: readKmsChallenge(realm, headers, choice.serverId) };
}

function readKmsChallenge(
  realm: string,
  headers: UpstreamResponseHead["headersDistinct"],
  serverId: string | undefined,
): KmsChallenge {
  const keyId = readSingleHeader(headers, KMS_KEY_ID_HEADER, "KMS_KEY_ID_MISSING");
  const contextHeader = readSingleHeader(
    headers,
    KMS_ENCRYPTION_CONTEXT_HEADER,
    "ENCRYPTION_CONTEXT_MISSING",
  );
  let encryptionContext;
  try {
    encryptionContext = decodeEncryptionContext(contextHeader);
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    throw new ProxyError(
      "ENCRYPTION_CONTEXT_INVALID",
      `${INVALID_CHALLENGE}: ${displayHeaderName(KMS_ENCRYPTION_CONTEXT_HEADER)}: ${error.message}`,
      { cause: error },
    );
  }
  // The reserved key is this protocol's binding: an app that sets it itself could name another
  // app's server-id in a challenge for its own key (or make the binding ambiguous).
  if (Object.hasOwn(encryptionContext, KMS_SERVER_ID_CONTEXT_KEY)) {
    throw new ProxyError(
      "CHALLENGE_INVALID",
      `${INVALID_CHALLENGE}: ${displayHeaderName(KMS_ENCRYPTION_CONTEXT_HEADER)}: it uses the reserved key "${KMS_SERVER_ID_CONTEXT_KEY}"`,
    );
  }
  return { realm, keyId, encryptionContext, serverId };
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
