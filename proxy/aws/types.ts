import type { EncryptionContext, SessionCredentials } from "../../protocol/index.js";
import type { Agent as HttpAgent } from "node:http";
import type { Agent as HttpsAgent } from "node:https";

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

/**
 * Asks the person for the code their MFA device shows now (see createTerminalMfaPrompt).
 * Rejects with ProxyError MFA_CODE_UNAVAILABLE when no code can be had.
 */
export type MfaCodeReader = (serialNumber: string) => Promise<string>;

/** An MFA device whose code is read when AWS needs one (a fixed code, or a prompt). */
export interface MfaSource {
  readonly serialNumber: string;
  readonly readCode: MfaCodeReader;
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

/** The STS calls the KMS method makes, already bound to the person's credentials and region. */
export interface StsApi {
  getCallerIdentity(): Promise<CallerIdentity>;
  getSessionToken(input: GetSessionTokenInput): Promise<SessionCredentials>;
}

/** The KMS call the KMS method makes; resolves with the CiphertextBlob. */
export interface KmsApi {
  encrypt(input: EncryptInput): Promise<Uint8Array>;
}

/** Where STS-method proofs point: the STS origin the app will send them to, and the signing region. */
export interface StsProofTarget {
  /** An origin such as `https://sts.eu-west-1.amazonaws.com` (or a local STS in tests). */
  readonly endpoint: string;
  readonly region: string;
}

/** What answering a challenge needs from AWS; inject fakes in tests, see createAwsLoginDependencies for the real ones. */
export interface LoginDependencies {
  /**
   * Resolves the person's credentials (the same ones `sts` and `kms` sign with). Called first so
   * "no credentials" is reported as such (503) rather than as a failed AWS call.
   */
  readonly resolveCredentials: () => Promise<AwsCredentials>;
  readonly sts: StsApi;
  readonly kms: KmsApi;
  /** Where STS-method proofs are presigned for. */
  readonly stsProofTarget: () => Promise<StsProofTarget>;
  /** MFA sent with GetSessionToken (KMS method, when no role is assumed). Default: none. */
  readonly sessionTokenMfa?: MfaSource | undefined;
}

/** A proof method: `sts` (presigned sts:GetCallerIdentity) or `kms` (KMS-encrypted session credentials). */
export type LoginMethod = "sts" | "kms";

/** `--method`: `auto` gives an STS proof when the app offers it, else a KMS one. */
export type LoginMethodPreference = "auto" | LoginMethod;

/**
 * `--login-flow`: `proxy` signs in on the client's behalf (the proxy calls /auth and replays the
 * request); `redirect` sends the client a 302 to /auth with the token, as the original proxy does.
 */
export type LoginFlow = "proxy" | "redirect";

/** The app a challenge came from: its authority as the client addressed it (`host[:port]`). */
export interface LoginTarget {
  readonly host: string;
  /** How the proxy reaches it; decides which port is the default one in `host`. Default `"http"`. */
  readonly scheme?: "http" | "https" | undefined;
}

/** AWS credentials as the SDK resolves them. Secret: never log or return them to a client. */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string | undefined;
  readonly expiration?: Date | undefined;
}

export type CredentialProvider = () => Promise<AwsCredentials>;

/** The agents AWS calls connect through instead of the SDK's own (e.g. the SOCKS tunnel, `--aws-via-socks`). */
export interface AwsAgents {
  readonly http: HttpAgent;
  readonly https: HttpsAgent;
}

/** Client settings every AWS call uses: a timeout per attempt, and few attempts, so a dead endpoint fails fast. */
export interface AwsClientSettings {
  readonly requestHandler: {
    readonly connectionTimeout: number;
    readonly requestTimeout: number;
    readonly throwOnRequestTimeout: true;
    readonly httpAgent?: HttpAgent;
    readonly httpsAgent?: HttpsAgent;
  };
  readonly maxAttempts: number;
}
