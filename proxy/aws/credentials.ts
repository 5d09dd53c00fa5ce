import { createSdkWarningLogger } from "../../protocol/index.js";
import type {
  AwsClientSettings,
  AwsCredentials,
  CredentialOrigin,
  CredentialProvider,
  MfaSource,
} from "./types.js";
import { isCredentialProviderError } from "./aws-errors.js";
import { watchChildProcesses } from "./child-process-watch.js";
import { diagnoseCredentialFailure } from "./credential-diagnosis.js";

export type { AwsCredentials, CredentialOrigin, CredentialProvider, CredentialSource } from "./types.js";

/** A role to assume with the credentials found, as `aws sts assume-role` would. */
export interface AssumeRoleOptions {
  /** e.g. `arn:aws:iam::111122223333:role/app-users`. */
  readonly roleArn: string;
  /** RoleSessionName; shows up in the session ARN the app sees. */
  readonly sessionName: string;
  /** ExternalId the role's trust policy requires. Default: none. */
  readonly externalId?: string | undefined;
  /** MFA the role's trust policy requires; its code is read each time the role is assumed. Default: none. */
  readonly mfa?: MfaSource | undefined;
}

export interface CredentialSourceOptions {
  /** Shared config/credentials profile. Default: AWS_PROFILE, else "default" (the SDK's choice). */
  readonly profile?: string | undefined;
  /** Role to assume. Default: none — use the credentials as found. */
  readonly assumeRole?: AssumeRoleOptions | undefined;
  /** Region of the STS client that calls AssumeRole. */
  readonly region: () => Promise<string>;
  /** STS client settings (timeouts, attempts) for AssumeRole. */
  readonly clientSettings: AwsClientSettings;
}

// Refresh temporary credentials this long before they expire, as the SDK does.
const REFRESH_MARGIN_MS = 5 * 60_000;
// After a failed lookup, challenges in the next second get the same answer instead of another lookup.
const RETRY_AFTER_FAILURE_MS = 1000;

/**
 * The person's credentials, found the way the AWS CLI finds them: the SDK's default chain
 * (environment, shared config and credentials files, SSO, credential_process, container and
 * instance metadata) for `profile`, then optionally AssumeRole. The SDK is imported on first use
 * so the proxy starts fast. Results are cached until 5 minutes before they expire.
 *
 * A failure is kept for a second, then the next challenge looks again from scratch: a new chain
 * that reads the shared files again. The SDK caches each file's contents (and a missing file's
 * absence) for the life of the process, so without `ignoreCache` a `~/.aws/credentials` written
 * after start (`aws configure`) would never be seen; `aws sso login` and a fixed credential_process
 * are picked up the same way. A failure says why and what to do (see diagnoseCredentialFailure).
 * Each result says where it was found in `source` (see describeSdkCredentialOrigin), with the role assumed.
 *
 * @example const credentials = createCredentialProvider({ profile: "work", region, clientSettings }); (await credentials()).source // { kind: "profile", profile: "work" }
 */
export function createCredentialProvider(options: CredentialSourceOptions): CredentialProvider {
  let chain: CredentialProvider | undefined;
  return memoizeCredentials(async () => {
    const watch = watchChildProcesses();
    try {
      chain ??= await createChain(options);
      return await chain();
    } catch (error) {
      chain = undefined;
      if (!isCredentialProviderError(error)) throw error;
      throw await diagnoseCredentialFailure(error, {
        profile: options.profile,
        runs: watch.stop(),
        now: new Date(),
      });
    } finally {
      watch.stop();
    }
  });
}

async function createChain(options: CredentialSourceOptions): Promise<CredentialProvider> {
  const { fromNodeProviderChain, fromTemporaryCredentials } = await import("@aws-sdk/credential-providers");
  const { requestHandler } = options.clientSettings;
  const chain = fromNodeProviderChain({
    ...(options.profile === undefined ? {} : { profile: options.profile }),
    // Read the shared files on each lookup (a lookup runs only when nothing fresh is cached).
    ignoreCache: true,
    // The SDK's warnings (e.g. "Multiple credential sources") go to the log as one line each.
    logger: createSdkWarningLogger(),
    // The chain's own clients (SSO, web identity) connect as every other AWS call does.
    ...(requestHandler.httpAgent === undefined
      ? {}
      : { clientConfig: { requestHandler: { ...requestHandler } } }),
  });
  const found: CredentialProvider = async () => {
    const credentials = await chain();
    return { ...credentials, source: describeSdkCredentialOrigin(credentials, options.profile) };
  };
  const role = options.assumeRole;
  if (role === undefined) return found;
  const mfa = role.mfa;
  // The role's credentials say nothing of the ones that assumed it: note where those were found.
  let origin: CredentialOrigin = { kind: "unknown" };
  const assumed = fromTemporaryCredentials({
    masterCredentials: async () => {
      const master = await found();
      origin = master.source ?? origin;
      return master;
    },
    params: {
      RoleArn: role.roleArn,
      RoleSessionName: role.sessionName,
      ...(role.externalId === undefined ? {} : { ExternalId: role.externalId }),
      // The SDK asks mfaCodeProvider for the code whenever SerialNumber is set.
      ...(mfa === undefined ? {} : { SerialNumber: mfa.serialNumber }),
    },
    ...(mfa === undefined ? {} : { mfaCodeProvider: (serialNumber: string) => mfa.readCode(serialNumber) }),
    clientConfig: {
      requestHandler: { ...options.clientSettings.requestHandler },
      maxAttempts: options.clientSettings.maxAttempts,
      region: options.region,
      ...(options.profile === undefined ? {} : { profile: options.profile }),
    },
  });
  return async () => {
    const credentials = await assumed();
    return { ...credentials, source: { ...origin, assumedRole: role.roleArn } };
  };
}

// Feature names each provider of the SDK's chain records in `$source` (@aws-sdk/types AwsSdkCredentialsFeatures),
// most specific first: a profile's role keeps only CREDENTIALS_PROFILE_SOURCE_PROFILE of its source's.
const originsByFeature: readonly (readonly [readonly string[], (profile: string) => CredentialOrigin])[] = [
  [["CREDENTIALS_PROFILE_SOURCE_PROFILE"], (profile) => ({ kind: "profile-role", profile })],
  [
    [
      "CREDENTIALS_PROFILE_SSO",
      "CREDENTIALS_PROFILE_SSO_LEGACY",
      "CREDENTIALS_SSO",
      "CREDENTIALS_SSO_LEGACY",
    ],
    (profile) => ({ kind: "sso", profile }),
  ],
  [["CREDENTIALS_PROFILE_PROCESS", "CREDENTIALS_PROCESS"], (profile) => ({ kind: "process", profile })],
  [["CREDENTIALS_PROFILE_LOGIN", "CREDENTIALS_LOGIN"], (profile) => ({ kind: "console-login", profile })],
  [["CREDENTIALS_PROFILE_STS_WEB_ID_TOKEN"], (profile) => ({ kind: "web-identity", profile })],
  [["CREDENTIALS_ENV_VARS_STS_WEB_ID_TOKEN"], () => ({ kind: "web-identity", profile: undefined })],
  [["CREDENTIALS_PROFILE"], (profile) => ({ kind: "profile", profile })],
  [["CREDENTIALS_ENV_VARS"], () => ({ kind: "environment" })],
  [["CREDENTIALS_HTTP"], () => ({ kind: "container-role" })],
];

/**
 * Which provider of the SDK's default chain found `credentials`, from the `$source` record the
 * SDK (3.6xx and later) attaches to them. Every provider of the chain records itself there except
 * the last one, the metadata services: credentials with no record come from the container
 * endpoint when AWS_CONTAINER_CREDENTIALS_(RELATIVE|FULL)_URI is set (the SDK's own test, in its
 * remoteProvider), else from the instance metadata service. The profile is the one the SDK read:
 * `profile`, else AWS_PROFILE, else `default` (its getProfileName); the environment is read only
 * to name what the SDK chose, never to choose.
 *
 * @example describeSdkCredentialOrigin({ $source: { CREDENTIALS_PROFILE: "n" } }, "work") // { kind: "profile", profile: "work" }
 */
export function describeSdkCredentialOrigin(
  credentials: object,
  profile: string | undefined,
): CredentialOrigin {
  // `$source` is the SDK's record of the providers that produced the credentials (@aws-sdk/core's setCredentialFeature).
  const record = "$source" in credentials ? credentials.$source : undefined;
  const features = typeof record === "object" && record !== null ? Object.keys(record) : [];
  const profileName = (): string => profile || process.env.AWS_PROFILE || "default";
  for (const [names, origin] of originsByFeature) {
    if (names.some((name) => features.includes(name))) return origin(profileName());
  }
  if (features.some((name) => name.startsWith("CREDENTIALS_"))) return { kind: "unknown" };
  return process.env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI || process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI
    ? { kind: "container-role" }
    : { kind: "instance-role" };
}

/**
 * Caches a provider's credentials until 5 minutes before their expiration (forever if they have
 * none) and shares one resolution between concurrent callers. A failure is answered again for
 * `retryAfterFailureMs` (1 s), then the provider is asked again: a burst of challenges without
 * credentials makes one lookup a second, not one each. AssumeRole with an MFA code must not be
 * repeated per request: AWS refuses a reused code.
 *
 * @example const credentials = memoizeCredentials(lookUp); await credentials(); await credentials() // one lookUp
 */
export function memoizeCredentials(
  provider: CredentialProvider,
  now: () => number = Date.now,
  retryAfterFailureMs = RETRY_AFTER_FAILURE_MS,
): CredentialProvider {
  let cached: AwsCredentials | undefined;
  // The last lookup, while it runs, and after it failed (until retryAfterFailureMs has passed).
  let last: { readonly attempt: Promise<AwsCredentials>; failedAt?: number } | undefined;
  const isFresh = (credentials: AwsCredentials): boolean =>
    credentials.expiration === undefined || credentials.expiration.getTime() - now() > REFRESH_MARGIN_MS;
  return () => {
    if (cached !== undefined && isFresh(cached)) return Promise.resolve(cached);
    if (last !== undefined && (last.failedAt === undefined || now() - last.failedAt < retryAfterFailureMs)) {
      return last.attempt;
    }
    const attempt = provider().then(
      (credentials) => {
        cached = credentials;
        last = undefined;
        return credentials;
      },
      (error: unknown) => {
        if (last?.attempt === attempt) last.failedAt = now();
        throw error;
      },
    );
    last = { attempt };
    return attempt;
  };
}
