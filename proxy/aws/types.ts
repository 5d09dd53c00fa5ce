import type { EncryptionContext, SessionCredentials } from "../../protocol/index.js";
import type { Agent as HttpAgent } from "node:http";
import type { Agent as HttpsAgent } from "node:https";
import type { ProxyErrorCode } from "../common/errors.js";

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
  /** Where they were found (not secret; see CredentialSource). Default: not known. */
  readonly source?: CredentialSource | undefined;
}

/**
 * Which provider of the AWS SDK's default chain found the person's credentials, as the AWS CLI
 * would look for them. `profile` is the profile the SDK read (`--profile`, else AWS_PROFILE, else
 * `default`). Names only: never a key, token or the contents of a file.
 *
 * - `environment`: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN).
 * - `profile`: access keys in the shared credentials or config file.
 * - `profile-role`: a role the profile assumes (`role_arn` with `source_profile` or `credential_source`).
 * - `sso`: IAM Identity Center (`aws sso login`) through the profile.
 * - `process`: the profile's `credential_process` command.
 * - `web-identity`: a web identity token, from the profile or (profile undefined) AWS_WEB_IDENTITY_TOKEN_FILE.
 * - `console-login`: `aws login` through the profile.
 * - `container-role`: the ECS/EKS container credentials endpoint.
 * - `instance-role`: the EC2 instance metadata service.
 * - `unknown`: the SDK found them but did not say how (a provider this proxy does not know).
 *
 * @example { kind: "sso", profile: "work" }
 */
export type CredentialOrigin =
  | { readonly kind: "environment" }
  | { readonly kind: "profile"; readonly profile: string }
  | { readonly kind: "profile-role"; readonly profile: string }
  | { readonly kind: "sso"; readonly profile: string }
  | { readonly kind: "process"; readonly profile: string }
  | { readonly kind: "web-identity"; readonly profile: string | undefined }
  | { readonly kind: "console-login"; readonly profile: string }
  | { readonly kind: "container-role" }
  | { readonly kind: "instance-role" }
  | { readonly kind: "unknown" };

/**
 * Where the credentials the proxy signs in with come from: the provider that found them and, with
 * `--assume-role-arn`, the role then assumed with them.
 *
 * @example { kind: "profile", profile: "work", assumedRole: "arn:aws:iam::111122223333:role/Developer" }
 */
export type CredentialSource = CredentialOrigin & {
  /** The role assumed with the credentials found (`--assume-role-arn`). Default: none. */
  readonly assumedRole?: string | undefined;
};

/** What a credential check found: whose credentials they are, or why none could be used. Never a secret. */
export type CredentialCheckResult =
  | { readonly outcome: "found"; readonly identity: CallerIdentity }
  /** No credentials were found; `problem` says what to do. */
  | { readonly outcome: "missing"; readonly problem: string }
  /** Credentials were found but AWS could not say whose (refused, unreachable); `code` is the ProxyError's. */
  | { readonly outcome: "error"; readonly code: ProxyErrorCode; readonly problem: string };

/** Takes note of each credential check (see reportCredentialStatus), e.g. for the status page. */
export interface CredentialCheckRecorder {
  recordCredentialCheck(result: CredentialCheckResult): void;
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
