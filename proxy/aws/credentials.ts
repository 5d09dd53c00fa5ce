import type { AwsClientSettings, AwsCredentials, CredentialProvider, MfaSource } from "./types.js";

export type { AwsCredentials, CredentialProvider } from "./types.js";

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

/**
 * The person's credentials, found the way the AWS CLI finds them: the SDK's default chain
 * (environment, shared config and credentials files, SSO, credential_process, container and
 * instance metadata) for `profile`, then optionally AssumeRole. The SDK is imported on first use
 * so the proxy starts fast. Results are cached until 5 minutes before they expire; a failure is
 * not cached, so the next challenge tries again (e.g. after `aws sso login`).
 *
 * @example const credentials = createCredentialProvider({ profile: "work", region, clientSettings }); await credentials()
 */
export function createCredentialProvider(options: CredentialSourceOptions): CredentialProvider {
  let chain: CredentialProvider | undefined;
  return memoizeCredentials(async () => {
    if (chain === undefined) chain = await createChain(options);
    return chain();
  });
}

async function createChain(options: CredentialSourceOptions): Promise<CredentialProvider> {
  const { fromNodeProviderChain, fromTemporaryCredentials } = await import("@aws-sdk/credential-providers");
  const { requestHandler } = options.clientSettings;
  const found = fromNodeProviderChain({
    ...(options.profile === undefined ? {} : { profile: options.profile }),
    // The chain's own clients (SSO, web identity) connect as every other AWS call does.
    ...(requestHandler.httpAgent === undefined
      ? {}
      : { clientConfig: { requestHandler: { ...requestHandler } } }),
  });
  const role = options.assumeRole;
  if (role === undefined) return found;
  const mfa = role.mfa;
  return fromTemporaryCredentials({
    masterCredentials: found,
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
}

/**
 * Caches a provider's credentials until 5 minutes before their expiration (forever if they have
 * none), shares one resolution between concurrent callers, and never caches a failure.
 * AssumeRole with an MFA code must not be repeated per request: AWS refuses a reused code.
 */
export function memoizeCredentials(
  provider: CredentialProvider,
  now: () => number = Date.now,
): CredentialProvider {
  let cached: AwsCredentials | undefined;
  let pending: Promise<AwsCredentials> | undefined;
  const isFresh = (credentials: AwsCredentials): boolean =>
    credentials.expiration === undefined || credentials.expiration.getTime() - now() > REFRESH_MARGIN_MS;
  return () => {
    if (cached !== undefined && isFresh(cached)) return Promise.resolve(cached);
    pending ??= provider()
      .then((credentials) => {
        cached = credentials;
        return credentials;
      })
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };
}
