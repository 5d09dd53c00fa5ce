import {
  bindEncryptionContext,
  encodeBase64,
  formatKmsToken,
  serializeSessionCredentials,
  type EncryptionContext,
} from "../../protocol/index.js";
import type { AwsOperation } from "./aws-errors.js";
import { callAws, type AwsSession } from "./aws-session.js";
import { ProxyError } from "../common/errors.js";
import type { CallerIdentity, CredentialSource } from "./types.js";

/** The parts of an IAM challenge the KMS method uses. */
export interface KmsChallenge {
  /** The 12-digit account id the app accepts identities from. */
  readonly realm: string;
  readonly keyId: string;
  /** The app's own context (without the reserved key). */
  readonly encryptionContext: EncryptionContext;
  /**
   * The challenge's server-id, already checked against the app's authority: the token is bound
   * to it (added to the context under `iam-auth:server-id`, token `kms1.<base64>`). Undefined:
   * the app sent none (the original server) and the token is unbound, as the original proxy's.
   */
  readonly serverId: string | undefined;
}

/**
 * A token for /auth, or why there is none. `identity` is who signed, when known; `source`, where
 * the credentials that signed come from (to say what to check if the app's STS refuses the key).
 */
export type LoginResult =
  | {
      readonly outcome: "token";
      readonly token: string;
      readonly identity: CallerIdentity | undefined;
      readonly source?: CredentialSource | undefined;
    }
  | { readonly outcome: "denied"; readonly error: ProxyError; readonly identity: CallerIdentity | undefined };

const encryptCall: AwsOperation = { service: "KMS", operation: "Encrypt" };

/**
 * Answers an IAM challenge with the KMS method, as the original Go proxy does:
 * 1. the credentials must be long-term IAM user keys (AWS refuses GetSessionToken to role and SSO sessions);
 * 2. sts:GetCallerIdentity — the account must equal the realm (else REALM_MISMATCH);
 * 3. sts:GetSessionToken for 900 s (the shortest AWS allows), so the app gets short-lived credentials;
 * 4. kms:Encrypt of `{"AccessKeyId","SecretAccessKey","SessionToken","Expiration"}` with the app's key
 *    and encryption context (only the app can decrypt it), plus the app's server-id under the
 *    reserved key when the challenge named one; the token is its base64 (`kms1.`-prefixed when bound).
 * Steps 2 and 3 are cached by the session, so a steady-state login is one kms:Encrypt.
 * AWS and credential failures become a "denied" result; anything else is a bug and is thrown.
 *
 * @example await loginWithKms({ realm, keyId, encryptionContext }, session) // { outcome: "token", token: "AQICAH…", identity }
 */
export async function loginWithKms(challenge: KmsChallenge, session: AwsSession): Promise<LoginResult> {
  let identity: CallerIdentity | undefined;
  try {
    const credentials = await session.credentials();
    identity = session.knownIdentity(credentials);
    if (credentials.sessionToken !== undefined && credentials.sessionToken !== "") {
      throw new ProxyError(
        "KMS_NEEDS_USER_CREDENTIALS",
        "The KMS method needs long-term IAM user credentials: AWS refuses GetSessionToken with role or SSO credentials. " +
          "Ask the app's operator to enable the STS method, or use --method sts",
      );
    }
    identity = await session.callerIdentity(credentials);
    if (identity.account !== challenge.realm) {
      throw new ProxyError(
        "REALM_MISMATCH",
        `The IAM identity does not match the server realm (expected: ${challenge.realm})`,
      );
    }
    const sessionCredentials = await session.sessionCredentials(credentials);
    const plaintext = Buffer.from(serializeSessionCredentials(sessionCredentials), "utf8");
    const ciphertext = await callAws(
      encryptCall,
      () =>
        session.deps.kms.encrypt({
          keyId: challenge.keyId,
          plaintext,
          encryptionContext:
            challenge.serverId === undefined
              ? challenge.encryptionContext
              : bindEncryptionContext(challenge.encryptionContext, challenge.serverId),
        }),
      credentials.source,
    );
    const token = formatKmsToken(encodeBase64(ciphertext), challenge.serverId !== undefined);
    const { source } = credentials;
    return { outcome: "token", token, identity, ...(source === undefined ? {} : { source }) };
  } catch (error) {
    if (error instanceof ProxyError) return { outcome: "denied", error, identity };
    throw error;
  }
}
