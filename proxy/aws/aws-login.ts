import { parseArn } from "../../protocol/index.js";
import {
  createAwsClientSettings,
  createKmsApi,
  createRegionResolver,
  createStsApi,
  type AwsAgents,
} from "./aws-clients.js";
import { createCredentialProvider, type AssumeRoleOptions } from "./credentials.js";
import { ProxyError } from "../common/errors.js";
import type { LoginDependencies, MfaCodeReader, MfaSource } from "./types.js";

/** How the proxy reaches AWS as the person. Every field is optional. */
export interface AwsLoginOptions {
  /** Shared config/credentials profile. Default: AWS_PROFILE, else "default" (the SDK's choice). */
  readonly profile?: string | undefined;
  /** Region for STS and KMS. Default: the SDK's resolution (AWS_REGION, the profile's region), else us-east-1. */
  readonly region?: string | undefined;
  /** Role to assume with the credentials found. Default: none. */
  readonly assumeRole?: Omit<AssumeRoleOptions, "mfa"> | undefined;
  /**
   * MFA device, sent with AssumeRole when a role is set, else with GetSessionToken (KMS method).
   * Without `tokenCode` the code is asked for with `readMfaCode` each time AWS needs one. Default: none.
   */
  readonly mfa?: { readonly serialNumber: string; readonly tokenCode?: string | undefined } | undefined;
  /**
   * Asks the person for the current MFA code (see createTerminalMfaPrompt). Default: none, so an
   * MFA device without a code fails the challenge with 503 MFA_CODE_UNAVAILABLE.
   */
  readonly readMfaCode?: MfaCodeReader | undefined;
  /**
   * The STS origin STS-method proofs are presigned for, e.g. a VPC endpoint or, in tests, a local
   * STS (the CLI takes AWS_ENDPOINT_URL_STS, else AWS_ENDPOINT_URL). Default: https://sts.<region>.amazonaws.com.
   */
  readonly stsEndpoint?: string | undefined;
  /** Timeout of each AWS request attempt, in milliseconds. Default: 10000. */
  readonly timeoutMs?: number | undefined;
  /**
   * Agents every AWS call (STS, KMS, AssumeRole, the credential chain's own clients) connects
   * through, e.g. the SOCKS tunnel's (`--aws-via-socks`). Default: the SDK's, directly.
   */
  readonly agents?: AwsAgents | undefined;
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
 * True for an origin such as `https://sts.example.internal` or `http://127.0.0.1:4566` (no path,
 * query, fragment or credentials): proofs are presigned for its path "/".
 */
export function isStsEndpoint(value: string): boolean {
  try {
    const url = new URL(value);
    return (
      (url.protocol === "https:" || url.protocol === "http:") &&
      url.username === "" &&
      url.password === "" &&
      url.pathname === "/" &&
      url.search === "" &&
      url.hash === ""
    );
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
export function createAwsLoginDependencies(options: AwsLoginOptions = {}): LoginDependencies {
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
    problems.push("mfa needs a serialNumber, and a tokenCode that is not empty when given");
  }
  if (options.stsEndpoint !== undefined && !isStsEndpoint(options.stsEndpoint)) {
    problems.push(
      `stsEndpoint must be an http(s) origin such as https://sts.example.internal (got ${JSON.stringify(options.stsEndpoint)})`,
    );
  }
  if (problems.length > 0) throw new TypeError(`Invalid AWS login options: ${problems.join("; ")}`);
  const settings = createAwsClientSettings(timeoutMs, options.agents);
  const region = createRegionResolver(options.region, options.profile);
  const mfa = createMfaSource(options);
  const credentials = createCredentialProvider({
    profile: options.profile,
    assumeRole: options.assumeRole === undefined ? undefined : { ...options.assumeRole, mfa },
    region,
    clientSettings: settings,
  });
  const config = { credentials, region, profile: options.profile, settings };
  const stsEndpoint = options.stsEndpoint === undefined ? undefined : new URL(options.stsEndpoint).origin;
  return Object.freeze({
    resolveCredentials: credentials,
    sts: createStsApi(config),
    kms: createKmsApi(config),
    stsProofTarget: async () => {
      const signingRegion = await region();
      if (stsEndpoint !== undefined) return { endpoint: stsEndpoint, region: signingRegion };
      // Imported here, not up front: sts-presign loads the SDK's signer, and the command line
      // (which reads isRoleArn and isStsEndpoint from this file) must parse without it.
      const { defaultStsEndpoint } = await import("./sts-presign.js");
      return { endpoint: defaultStsEndpoint(signingRegion), region: signingRegion };
    },
    // Without a role the MFA code goes to GetSessionToken, so the app gets MFA-authenticated credentials.
    ...(options.assumeRole === undefined && mfa !== undefined ? { sessionTokenMfa: mfa } : {}),
  });
}

function createMfaSource(options: AwsLoginOptions): MfaSource | undefined {
  const mfa = options.mfa;
  if (mfa === undefined) return undefined;
  const { serialNumber, tokenCode } = mfa;
  if (tokenCode !== undefined) return { serialNumber, readCode: () => Promise.resolve(tokenCode) };
  const readMfaCode = options.readMfaCode;
  if (readMfaCode !== undefined) return { serialNumber, readCode: readMfaCode };
  return {
    serialNumber,
    readCode: () =>
      Promise.reject(
        new ProxyError(
          "MFA_CODE_UNAVAILABLE",
          `An MFA code for ${serialNumber} is needed, but the proxy has no terminal to ask for it: ` +
            "run it in a terminal, or pass --mfa-token-code",
        ),
      ),
  };
}
