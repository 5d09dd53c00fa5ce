import { parseArn } from "../protocol/index.js";
import { createAwsClientSettings, createKmsApi, createRegionResolver, createStsApi } from "./aws-clients.js";
import { createCredentialProvider, type AssumeRoleOptions } from "./credentials.js";
import type { KmsLoginDependencies, MfaDevice } from "./kms-login.js";

/** How the proxy reaches AWS as the person. Every field is optional. */
export interface AwsLoginOptions {
  /** Shared config/credentials profile. Default: AWS_PROFILE, else "default" (the SDK's choice). */
  readonly profile?: string | undefined;
  /** Region for STS and KMS. Default: the SDK's resolution (AWS_REGION, the profile's region), else us-east-1. */
  readonly region?: string | undefined;
  /** Role to assume with the credentials found. Default: none. */
  readonly assumeRole?: Omit<AssumeRoleOptions, "mfa"> | undefined;
  /** MFA device and current code: sent with AssumeRole when a role is set, else with GetSessionToken. Default: none. */
  readonly mfa?: MfaDevice | undefined;
  /** Timeout of each AWS request attempt, in milliseconds. Default: 10000. */
  readonly timeoutMs?: number | undefined;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * True for an IAM role ARN such as `arn:aws:iam::111122223333:role/Developer`.
 *
 * @example isRoleArn("arn:aws:iam::111122223333:user/alice") // false
 */
export function isRoleArn(value: string): boolean {
  try {
    const arn = parseArn(value);
    return arn.service === "iam" && arn.resource.startsWith("role/") && arn.resource.length > "role/".length;
  } catch {
    return false;
  }
}

/**
 * The real STS and KMS, signed with the person's credentials found as the AWS CLI finds them.
 * Nothing is loaded or called until the first challenge (or credential check).
 *
 * @example createProxyServer({ login: createAwsLoginDependencies({ profile: "work", region: "eu-west-1" }) })
 */
export function createAwsLoginDependencies(options: AwsLoginOptions = {}): KmsLoginDependencies {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const problems: string[] = [];
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
    problems.push(`timeoutMs must be a positive integer of milliseconds (got ${String(timeoutMs)})`);
  }
  for (const name of ["profile", "region"] as const) {
    if (options[name] === "") problems.push(`${name} must not be empty`);
  }
  if (options.assumeRole !== undefined) {
    if (!isRoleArn(options.assumeRole.roleArn)) {
      problems.push(
        `assumeRole.roleArn must be an IAM role ARN (got ${JSON.stringify(options.assumeRole.roleArn)})`,
      );
    }
    if (options.assumeRole.sessionName === "") problems.push("assumeRole.sessionName must not be empty");
  }
  if (options.mfa !== undefined && (options.mfa.serialNumber === "" || options.mfa.tokenCode === "")) {
    problems.push("mfa needs both serialNumber and tokenCode");
  }
  if (problems.length > 0) throw new TypeError(`Invalid AWS login options: ${problems.join("; ")}`);
  const settings = createAwsClientSettings(timeoutMs);
  const region = createRegionResolver(options.region, options.profile);
  const mfa = options.mfa;
  const credentials = createCredentialProvider({
    profile: options.profile,
    assumeRole: options.assumeRole === undefined ? undefined : { ...options.assumeRole, mfa },
    region,
    clientSettings: settings,
  });
  const config = { credentials, region, profile: options.profile, settings };
  return Object.freeze({
    resolveCredentials: credentials,
    sts: createStsApi(config),
    kms: createKmsApi(config),
    // Without a role the MFA code goes to GetSessionToken, so the app gets MFA-authenticated credentials.
    ...(options.assumeRole === undefined && mfa !== undefined ? { sessionTokenMfa: mfa } : {}),
  });
}
