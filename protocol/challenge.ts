import { MalformedChallengeError, parseAuthenticateHeader, quoteParamValue } from "./auth-header-parser.js";
import { AUTH_PATH_PARAM, checkAuthPath } from "./auth-path.js";
import { ProtocolError } from "./errors.js";
import { IAM_AUTH_SCHEME } from "./headers.js";

/** An IAM challenge: the realm is the AWS account id the app accepts identities from. */
export interface IamChallenge {
  readonly realm: string;
  /**
   * The `auth-path` parameter, checked (checkAuthPath): where the app takes the proof. Absent
   * (undefined): `/auth`, as the original's proxies always use.
   */
  readonly authPath?: string | undefined;
  /** The other auth-params (names lower-cased), e.g. nonce, server-id, methods. */
  readonly params: ReadonlyMap<string, string>;
}

/** What a 401's WWW-Authenticate fields say about the IAM scheme. */
export type ChallengeLookup =
  | { readonly kind: "none" }
  | { readonly kind: "iam"; readonly challenge: IamChallenge }
  | { readonly kind: "invalid"; readonly error: ProtocolError };

const accountIdPattern = /^\d{12}$/;
const mentionsIamScheme = /(?:^|,)\s*IAM(?:[\s,]|$)/i;

/**
 * Finds the IAM challenge among a response's WWW-Authenticate fields.
 * Fields of other schemes are ignored; an IAM challenge without a usable realm, or with an
 * auth-path that is not a plain path on the app's own site (checkAuthPath), is "invalid".
 *
 * @example findIamChallenge(['IAM realm="123456789012"']) // { kind: "iam", challenge: { realm: "123456789012", … } }
 */
export function findIamChallenge(fieldValues: readonly string[]): ChallengeLookup {
  for (const value of fieldValues) {
    let challenges;
    try {
      challenges = parseAuthenticateHeader(value);
    } catch (error) {
      if (!(error instanceof MalformedChallengeError) || !mentionsIamScheme.test(value)) continue;
      return {
        kind: "invalid",
        error: new ProtocolError("CHALLENGE_MALFORMED", `The IAM challenge is malformed: ${error.message}`),
      };
    }
    const iam = challenges.find((c) => c.scheme.toUpperCase() === IAM_AUTH_SCHEME);
    if (iam === undefined) continue;
    const realm = iam.params.get("realm");
    if (realm === undefined) {
      return {
        kind: "invalid",
        error: new ProtocolError(
          "CHALLENGE_REALM_MISSING",
          "The IAM challenge has no realm (the AWS account id)",
        ),
      };
    }
    if (!accountIdPattern.test(realm)) {
      return {
        kind: "invalid",
        error: new ProtocolError(
          "CHALLENGE_REALM_INVALID",
          `The IAM challenge realm must be a 12-digit AWS account id (got: ${JSON.stringify(realm.slice(0, 40))})`,
        ),
      };
    }
    const params = new Map(iam.params);
    params.delete("realm");
    const authPath = params.get(AUTH_PATH_PARAM);
    if (authPath === undefined) return { kind: "iam", challenge: { realm, params } };
    params.delete(AUTH_PATH_PARAM);
    try {
      return { kind: "iam", challenge: { realm, authPath: checkAuthPath(authPath), params } };
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      return { kind: "invalid", error };
    }
  }
  return { kind: "none" };
}

/**
 * Formats the WWW-Authenticate value. The realm always comes first: the original Go client
 * finds it with the regex `IAM realm="([^"]+)"` and would miss it anywhere else. `authPath`,
 * when given, is checked (a TypeError: the app's own path is wrong) and sent last as `auth-path`.
 *
 * @example formatIamChallenge({ realm: "123456789012", authPath: "/admin/auth", params: new Map([["methods", "sts kms"]]) })
 * // 'IAM realm="123456789012", methods="sts kms", auth-path="/admin/auth"'
 */
export function formatIamChallenge(challenge: IamChallenge): string {
  const parts = [`${IAM_AUTH_SCHEME} realm=${quoteParamValue(challenge.realm)}`];
  for (const [name, value] of challenge.params) {
    if (name === "realm" || name === AUTH_PATH_PARAM) continue;
    parts.push(`${name}=${quoteParamValue(value)}`);
  }
  if (challenge.authPath !== undefined) {
    try {
      checkAuthPath(challenge.authPath);
    } catch (error) {
      if (error instanceof ProtocolError) throw new TypeError(`formatIamChallenge: ${error.message}`);
      throw error;
    }
    parts.push(`${AUTH_PATH_PARAM}=${quoteParamValue(challenge.authPath)}`);
  }
  return parts.join(", ");
}
