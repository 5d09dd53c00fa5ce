import {
  buildAuthLocation,
  encodeBase64,
  serializeSessionCredentials,
  SESSION_TOKEN_DURATION_SECONDS,
  type EncryptionContext,
  type SessionCredentials,
} from "../protocol/index.js";
import { mapAwsError, type AwsOperation } from "./aws-errors.js";
import { ProxyError } from "./errors.js";

/** Who the person's credentials belong to, as sts:GetCallerIdentity reports it. */
export interface CallerIdentity {
  readonly account: string;
  readonly arn: string;
  readonly userId: string;
}

/** A virtual or hardware MFA device and its current code. */
export interface MfaDevice {
  /** e.g. `arn:aws:iam::111122223333:mfa/alice`. */
  readonly serialNumber: string;
  /** The six-digit code shown now. */
  readonly tokenCode: string;
}

export interface GetSessionTokenInput {
  readonly durationSeconds: number;
  readonly mfa?: MfaDevice;
}

export interface EncryptInput {
  readonly keyId: string;
  readonly plaintext: Uint8Array;
  readonly encryptionContext: EncryptionContext;
}

/** The STS calls the login makes, already bound to the person's credentials and region. */
export interface StsApi {
  getCallerIdentity(): Promise<CallerIdentity>;
  getSessionToken(input: GetSessionTokenInput): Promise<SessionCredentials>;
}

/** The KMS call the login makes; resolves with the CiphertextBlob. */
export interface KmsApi {
  encrypt(input: EncryptInput): Promise<Uint8Array>;
}

/** What a KMS login needs; inject fakes in tests, see createAwsLoginDependencies for the real ones. */
export interface KmsLoginDependencies {
  /**
   * Resolves the person's credentials (the same ones `sts` and `kms` sign with). Called first so
   * "no credentials" is reported as such (503) rather than as a failed STS call.
   */
  readonly resolveCredentials: () => Promise<unknown>;
  readonly sts: StsApi;
  readonly kms: KmsApi;
  /** MFA sent with GetSessionToken (when no role is assumed). Default: none. */
  readonly sessionTokenMfa?: MfaDevice;
}

/** The parts of an IAM challenge the KMS method uses. */
export interface KmsChallenge {
  /** The 12-digit account id the app accepts identities from. */
  readonly realm: string;
  readonly keyId: string;
  readonly encryptionContext: EncryptionContext;
}

/** Where to send the browser back to: the Host it addressed and the original path and query. */
export interface LoginTarget {
  readonly host: string;
  readonly returnUrl: string;
}

export type LoginResult =
  | { readonly outcome: "redirected"; readonly location: string; readonly identity: CallerIdentity }
  | { readonly outcome: "denied"; readonly error: ProxyError; readonly identity: CallerIdentity | undefined };

const getCallerIdentityCall: AwsOperation = { service: "STS", operation: "GetCallerIdentity" };
const getSessionTokenCall: AwsOperation = { service: "STS", operation: "GetSessionToken" };
const encryptCall: AwsOperation = { service: "KMS", operation: "Encrypt" };

/**
 * Answers an IAM challenge with the KMS method, as the original Go proxy does:
 * 1. sts:GetCallerIdentity — the account must equal the realm (else REALM_MISMATCH);
 * 2. sts:GetSessionToken for 900 s (the shortest AWS allows), so the app gets short-lived credentials;
 * 3. serialise them as `{"AccessKeyId","SecretAccessKey","SessionToken","Expiration"}`;
 * 4. kms:Encrypt that with the app's key and encryption context (only the app can decrypt it);
 * 5. redirect to `//<host>/auth?return_url=…&token=<base64 ciphertext>`.
 * AWS and credential failures become a "denied" result with a ProxyError; anything else is a bug and is thrown.
 *
 * @example await loginWithKms({ realm, keyId, encryptionContext }, { host: "app:3000", returnUrl: "/" }, deps)
 * // { outcome: "redirected", location: "//app:3000/auth?return_url=%2F&token=…", identity }
 */
export async function loginWithKms(
  challenge: KmsChallenge,
  target: LoginTarget,
  deps: KmsLoginDependencies,
): Promise<LoginResult> {
  let identity: CallerIdentity | undefined;
  try {
    await callAws(undefined, () => deps.resolveCredentials());
    identity = await callAws(getCallerIdentityCall, () => deps.sts.getCallerIdentity());
    if (identity.account !== challenge.realm) {
      throw new ProxyError(
        "REALM_MISMATCH",
        `The IAM identity does not match the server realm (expected: ${challenge.realm})`,
      );
    }
    const credentials = await callAws(getSessionTokenCall, () =>
      deps.sts.getSessionToken({
        durationSeconds: SESSION_TOKEN_DURATION_SECONDS,
        ...(deps.sessionTokenMfa === undefined ? {} : { mfa: deps.sessionTokenMfa }),
      }),
    );
    const plaintext = Buffer.from(serializeSessionCredentials(credentials), "utf8");
    const ciphertext = await callAws(encryptCall, () =>
      deps.kms.encrypt({ keyId: challenge.keyId, plaintext, encryptionContext: challenge.encryptionContext }),
    );
    const location = buildAuthLocation(target.host, target.returnUrl, encodeBase64(ciphertext));
    return { outcome: "redirected", location, identity };
  } catch (error) {
    if (error instanceof ProxyError) return { outcome: "denied", error, identity };
    throw error;
  }
}

/**
 * Looks up who the configured credentials belong to (resolving them first), mapping failures
 * like loginWithKms does. Used for the start-up check.
 */
export async function fetchCallerIdentity(deps: KmsLoginDependencies): Promise<CallerIdentity> {
  await callAws(undefined, () => deps.resolveCredentials());
  return callAws(getCallerIdentityCall, () => deps.sts.getCallerIdentity());
}

async function callAws<T>(call: AwsOperation | undefined, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof ProxyError) throw error;
    throw mapAwsError(error, call) ?? error;
  }
}
