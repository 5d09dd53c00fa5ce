import { MalformedChallengeError, parseAuthenticateHeader, quoteParamValue } from "./auth-header-parser.js";
import { ProtocolError } from "./errors.js";
import { IAM_AUTH_SCHEME } from "./headers.js";

/** An IAM challenge: the realm is the AWS account id the app accepts identities from. */
export interface IamChallenge {
  readonly realm: string;
  /** Auth-params after the realm (names lower-cased), e.g. nonce, server-id, methods. */
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
 * Fields of other schemes are ignored; an IAM challenge without a usable realm is "invalid".
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
    return { kind: "iam", challenge: { realm, params } };
  }
  return { kind: "none" };
}

/**
 * Formats the WWW-Authenticate value. The realm always comes first: the original Go client
 * finds it with the regex `IAM realm="([^"]+)"` and would miss it anywhere else.
 *
 * @example formatIamChallenge({ realm: "123456789012", params: new Map([["methods", "sts kms"]]) })
 * // 'IAM realm="123456789012", methods="sts kms"'
 */
export function formatIamChallenge(challenge: IamChallenge): string {
  const parts = [`${IAM_AUTH_SCHEME} realm=${quoteParamValue(challenge.realm)}`];
  for (const [name, value] of challenge.params) {
    if (name === "realm") continue;
    parts.push(`${name}=${quoteParamValue(value)}`);
  }
  return parts.join(", ");
}
