import type { KMSClient } from "@aws-sdk/client-kms";
import type { STSClient } from "@aws-sdk/client-sts";
import type { EncryptionContext, SessionCredentials } from "../protocol/index.js";
import { describeSecret, describeValue as describe, isRecord } from "./describe-value.js";
import { isExactPath, isPathPattern } from "./public-paths.js";

/**
 * Makes the STS client that calls GetCallerIdentity with the credentials from one token.
 * It is called once per sign-in and the middleware calls `destroy()` on the client when
 * done, so return a new client each time.
 */
export type StsClientFactory = (credentials: SessionCredentials) => STSClient;

/** The KMS method: the client encrypts its temporary credentials under this key and context. */
export interface KmsMethodOptions {
  /**
   * Required. The KMS key tokens must be encrypted under, sent to clients in the
   * Iam-Auth-Kms-Key-Id header. Prefer the key ARN (`arn:aws:kms:us-east-1:111122223333:key/…`):
   * clients in other regions can use it as is. An alias ARN, a key id or `alias/name` also work.
   * kms:Decrypt is called with this KeyId, so a token encrypted under any other key is refused.
   */
  readonly keyId: string;
  /**
   * Required, at least one entry. The KMS encryption context tokens must be bound to, e.g.
   * `{ salt: "my-app-7f3a" }`. It is sent to every client in the challenge, so it is not a
   * secret: it binds tokens to this app, so a token made for another app that shares the key is refused.
   */
  readonly encryptionContext: Readonly<Record<string, string>>;
}

/** Options of `iamAuth()`. */
export interface IamAuthOptions {
  /** Required. The 12-digit AWS account whose identities may sign in; sent as the challenge realm. */
  readonly accountId: string;
  /** Required (for now the only sign-in method). */
  readonly kms: KmsMethodOptions;
  /**
   * Required. Keys that sign the session cookie, each at least 32 characters. The first signs new
   * cookies; the others are still accepted, so prepend a new secret to rotate without signing everyone out.
   */
  readonly sessionSecrets: readonly string[];
  /** How long a session lasts after sign-in, enforced on the server as well as by the cookie. Default 3600; at most 604800 (7 days). */
  readonly sessionMaxAgeSeconds?: number;
  /**
   * Paths served without a session. Default `[]`. Each is an exact path (`"/health"`) or a
   * prefix written with a trailing `/*` (`"/static/*"` matches `/static/app.css`, not `/static`).
   * Matching is case-sensitive, so a path only Express's case-insensitive routing would match stays protected.
   */
  readonly publicPaths?: readonly string[];
  /** Where the proxy sends the token. Default `"/auth"`, what the original proxy uses; change it only for your own clients. */
  readonly authPath?: string;
  /** Name of the session cookie (a second one with `.sig` appended holds its signature). Default `"iam-auth-session"`. Use different names for apps sharing a host name: cookies ignore ports. */
  readonly cookieName?: string;
  /** AWS region of the default KMS and STS clients. Default: the region in `kms.keyId` when it is an ARN, else the SDK's default (AWS_REGION, config files). */
  readonly region?: string;
  /** KMS client used for kms:Decrypt. Default: `new KMSClient({ region })`, so the SDK's default credentials and AWS_ENDPOINT_URL apply. */
  readonly kmsClient?: KMSClient;
  /** Default: `new STSClient({ region, credentials })` per sign-in, so AWS_ENDPOINT_URL applies. */
  readonly createStsClient?: StsClientFactory;
  /** The current time, for session lifetimes and credential expiry. Default `() => new Date()`. */
  readonly clock?: () => Date;
  /** Receives one formatted line per event (sign-ins, refusals, rejected cookies). Default: writes to stdout. */
  readonly logger?: (line: string) => void;
}

/** The options after validation, with defaults filled in; frozen. */
export interface ResolvedIamAuthOptions {
  readonly accountId: string;
  readonly kms: Readonly<{ keyId: string; encryptionContext: EncryptionContext }>;
  readonly sessionSecrets: readonly string[];
  readonly sessionMaxAgeSeconds: number;
  readonly publicPaths: readonly string[];
  readonly authPath: string;
  readonly cookieName: string;
  /** `region`, else the region of an ARN `kms.keyId`, else undefined (the SDK decides). */
  readonly region: string | undefined;
  readonly kmsClient: KMSClient | undefined;
  readonly createStsClient: StsClientFactory | undefined;
  readonly clock: () => Date;
  readonly logger: (line: string) => void;
}

export const DEFAULT_SESSION_MAX_AGE_SECONDS = 3600;
export const MAX_SESSION_MAX_AGE_SECONDS = 86400 * 7;
export const DEFAULT_COOKIE_NAME = "iam-auth-session";
export const DEFAULT_AUTH_PATH = "/auth";
export const MIN_SESSION_SECRET_LENGTH = 32;

const knownOptions = [
  "accountId",
  "kms",
  "sessionSecrets",
  "sessionMaxAgeSeconds",
  "publicPaths",
  "authPath",
  "cookieName",
  "region",
  "kmsClient",
  "createStsClient",
  "clock",
  "logger",
];
const knownKmsOptions = ["keyId", "encryptionContext"];

const accountIdPattern = /^\d{12}$/;
const regionPattern = /^[a-z]{2}(?:-[a-z]+)+-\d+$/;
const kmsArnPattern =
  /^arn:aws(?:-[a-z]+)*:kms:([a-z]{2}(?:-[a-z]+)+-\d+):\d{12}:(?:key\/[\w-]+|alias\/[\w/-]+)$/;
const keyIdPattern = /^(?:mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;
const aliasNamePattern = /^alias\/[\w/-]{1,250}$/;
// RFC 6265 §4.1.1: a cookie name is an RFC 2616 token.
const cookieNamePattern = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,64}$/;

/**
 * Validates `iamAuth()` options once, at start-up, and returns a frozen copy with defaults.
 * Throws one TypeError listing every problem, each naming the option and the bad value
 * (secret values are never shown). The caller's object is not modified.
 *
 * @example resolveOptions({ accountId: "111122223333", kms, sessionSecrets: [secret] }).authPath // "/auth"
 */
export function resolveOptions(options: IamAuthOptions): ResolvedIamAuthOptions {
  if (!isRecord(options))
    throw new TypeError(`iamAuth: options must be an object (got ${describe(options)})`);
  const problems: string[] = [];
  const input = options as unknown as Record<string, unknown>;
  for (const name of Object.keys(input)) {
    if (!knownOptions.includes(name))
      problems.push(`${name}: unknown option (known: ${knownOptions.join(", ")})`);
  }

  const accountId = input.accountId;
  if (typeof accountId !== "string" || !accountIdPattern.test(accountId)) {
    problems.push(`accountId: must be a 12-digit AWS account id (got ${describe(accountId)})`);
  }
  const kms = readKms(input.kms, problems);
  const sessionSecrets = readSessionSecrets(input.sessionSecrets, problems);

  const maxAge = input.sessionMaxAgeSeconds ?? DEFAULT_SESSION_MAX_AGE_SECONDS;
  if (
    typeof maxAge !== "number" ||
    !Number.isInteger(maxAge) ||
    maxAge < 1 ||
    maxAge > MAX_SESSION_MAX_AGE_SECONDS
  ) {
    problems.push(
      `sessionMaxAgeSeconds: must be an integer from 1 to ${MAX_SESSION_MAX_AGE_SECONDS} (got ${describe(maxAge)})`,
    );
  }
  const publicPaths = readPublicPaths(input.publicPaths, problems);
  const authPath = input.authPath ?? DEFAULT_AUTH_PATH;
  if (typeof authPath !== "string" || !isExactPath(authPath)) {
    problems.push(`authPath: must be a path such as "/auth" (got ${describe(authPath)})`);
  }
  const cookieName = input.cookieName ?? DEFAULT_COOKIE_NAME;
  if (typeof cookieName !== "string" || !cookieNamePattern.test(cookieName)) {
    problems.push(
      `cookieName: must be 1 to 64 letters, digits or any of !#$%&'*+-.^_\`|~ (got ${describe(cookieName)})`,
    );
  }
  const region = readRegion(input.region, kms?.keyId, problems);

  const kmsClient = input.kmsClient;
  if (kmsClient !== undefined && !(isRecord(kmsClient) && typeof kmsClient.send === "function")) {
    problems.push(`kmsClient: must be a KMSClient (got ${describe(kmsClient)})`);
  }
  for (const name of ["createStsClient", "clock", "logger"] as const) {
    const value = input[name];
    if (value !== undefined && typeof value !== "function") {
      problems.push(`${name}: must be a function (got ${describe(value)})`);
    }
  }

  if (problems.length > 0) throw new TypeError(`iamAuth: invalid options:\n  - ${problems.join("\n  - ")}`);
  return Object.freeze({
    accountId: accountId as string,
    kms: kms as ResolvedIamAuthOptions["kms"],
    sessionSecrets: sessionSecrets as readonly string[],
    sessionMaxAgeSeconds: maxAge as number,
    publicPaths: publicPaths as readonly string[],
    authPath: authPath as string,
    cookieName: cookieName as string,
    region,
    kmsClient: kmsClient as KMSClient | undefined,
    createStsClient: input.createStsClient as StsClientFactory | undefined,
    clock: (input.clock as (() => Date) | undefined) ?? (() => new Date()),
    logger: (input.logger as ((line: string) => void) | undefined) ?? writeLineToStdout,
  });
}

function readKms(value: unknown, problems: string[]): ResolvedIamAuthOptions["kms"] | undefined {
  if (!isRecord(value)) {
    problems.push(`kms: must be an object with keyId and encryptionContext (got ${describe(value)})`);
    return undefined;
  }
  for (const name of Object.keys(value)) {
    if (!knownKmsOptions.includes(name)) {
      problems.push(`kms.${name}: unknown option (known: ${knownKmsOptions.join(", ")})`);
    }
  }
  const { keyId, encryptionContext } = value;
  const keyIdValid =
    typeof keyId === "string" &&
    (kmsArnPattern.test(keyId) || keyIdPattern.test(keyId) || aliasNamePattern.test(keyId));
  if (!keyIdValid) {
    problems.push(
      `kms.keyId: must be a KMS key ARN, alias ARN, key id or alias name such as "alias/my-app" (got ${describe(keyId)})`,
    );
  }
  const context = readEncryptionContext(encryptionContext, problems);
  if (!keyIdValid || context === undefined) return undefined;
  return Object.freeze({ keyId: keyId, encryptionContext: context });
}

function readEncryptionContext(value: unknown, problems: string[]): EncryptionContext | undefined {
  if (!isRecord(value)) {
    problems.push(
      `kms.encryptionContext: must be an object of strings such as { salt: "…" } (got ${describe(value)})`,
    );
    return undefined;
  }
  const entries = Object.entries(value);
  if (entries.length === 0) {
    // An empty context would accept any token made under the key, including one for another app.
    problems.push("kms.encryptionContext: must have at least one entry: it binds tokens to this app");
    return undefined;
  }
  let valid = true;
  for (const [key, entry] of entries) {
    if (key === "" || typeof entry !== "string" || entry === "") {
      problems.push(
        `kms.encryptionContext[${JSON.stringify(key)}]: must be a non-empty string (got ${describe(entry)})`,
      );
      valid = false;
    }
  }
  return valid ? Object.freeze(Object.fromEntries(entries) as Record<string, string>) : undefined;
}

function readSessionSecrets(value: unknown, problems: string[]): readonly string[] | undefined {
  if (!Array.isArray(value) || value.length === 0) {
    problems.push(
      `sessionSecrets: must be a non-empty array of secret strings (got ${describeSecret(value)})`,
    );
    return undefined;
  }
  const secrets = value as unknown[];
  let valid = true;
  secrets.forEach((secret, index) => {
    if (typeof secret !== "string" || secret.length < MIN_SESSION_SECRET_LENGTH) {
      problems.push(
        `sessionSecrets[${index}]: must be a string of at least ${MIN_SESSION_SECRET_LENGTH} characters (got ${describeSecret(secret)}, value not shown)`,
      );
      valid = false;
    }
  });
  return valid ? Object.freeze([...(secrets as string[])]) : undefined;
}

function readPublicPaths(value: unknown, problems: string[]): readonly string[] | undefined {
  if (value === undefined) return Object.freeze([]);
  if (!Array.isArray(value)) {
    problems.push(`publicPaths: must be an array of paths (got ${describe(value)})`);
    return undefined;
  }
  const paths = value as unknown[];
  let valid = true;
  paths.forEach((path, index) => {
    if (typeof path !== "string" || !isPathPattern(path)) {
      problems.push(
        `publicPaths[${index}]: must be an exact path such as "/health" or a prefix such as "/static/*" (got ${describe(path)})`,
      );
      valid = false;
    }
  });
  return valid ? Object.freeze([...(paths as string[])]) : undefined;
}

function readRegion(value: unknown, keyId: string | undefined, problems: string[]): string | undefined {
  const keyRegion = keyId === undefined ? undefined : kmsArnPattern.exec(keyId)?.[1];
  if (value === undefined) return keyRegion;
  if (typeof value !== "string" || !regionPattern.test(value)) {
    problems.push(`region: must be an AWS region such as "us-east-1" (got ${describe(value)})`);
    return undefined;
  }
  if (keyRegion !== undefined && keyRegion !== value) {
    // KMS keys are regional: a Decrypt sent to another region's endpoint cannot find the key.
    problems.push(
      `region: ${JSON.stringify(value)} differs from the region of kms.keyId (${JSON.stringify(keyRegion)}); remove region or use a key in ${value}`,
    );
  }
  return value;
}

function writeLineToStdout(line: string): void {
  process.stdout.write(`${line}\n`);
}
