import type { KMSClient } from "@aws-sdk/client-kms";
import type { STSClient } from "@aws-sdk/client-sts";
import type { SessionCredentials } from "../../protocol/index.js";
import { describeValue as describe, isRecord } from "./describe-value.js";
import { readAccessOptions } from "./options-access.js";
import { readPublicPaths, readSessionSecrets } from "./options-session.js";
import {
  readFailedSignInLimit,
  type FailedSignInLimitOptions,
  type ResolvedFailedSignInLimit,
} from "./options-failure-limit.js";
import {
  readHeaderProof,
  type HeaderProofOptions,
  type ResolvedHeaderProof,
} from "./options-header-proof.js";
import { bindKmsServerId, readKmsOptions, readRegion, type ResolvedKmsOptions } from "./options-kms.js";
import { DEFAULT_PROXY_ADDRESS, describeOptionProblem, readRoutePaths } from "./options-paths.js";
import { readStsOptions, type ResolvedStsOptions, type StsMethodOptions } from "./options-sts.js";
import { isLoggerOption, type LoggerOption } from "../operations/log.js";
import type { IamAuthMetricsOptions } from "../operations/metrics.js";
import type { ReplayStore } from "../stores/replay-store.js";
import type { RevocationStore } from "../stores/index.js";

/**
 * Makes the STS client that calls GetCallerIdentity with the credentials from one token.
 * It is called once per sign-in and the middleware calls `destroy()` on the client when
 * done, so return a new client each time.
 */
export type StsClientFactory = (credentials: SessionCredentials) => STSClient;

/** A sign-in method: `sts` (presigned GetCallerIdentity) or `kms` (encrypted temporary credentials). */
export type AuthMethod = "sts" | "kms";

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
   * The key `iam-auth:server-id` is reserved (the binding below).
   */
  readonly encryptionContext: Readonly<Record<string, string>>;
  /**
   * The server-id (`host[:port]` as clients address the app) that tokens are bound to: the
   * challenge advertises it, this project's proxy checks it is the app it is talking to and adds
   * it to the encryption context as `iam-auth:server-id`, and kms:Decrypt is called with it, so a
   * token made for another app under the same key and context fails. Default `sts.serverId`;
   * required without `sts` unless `acceptUnboundTokens`.
   */
  readonly serverId?: string;
  /**
   * Also accept unbound tokens: the original Go proxy's, whose context has no server-id, so one
   * made for another app with the same key and context signs in here too. Default `false`: they
   * are refused with 403 KMS_TOKEN_UNBOUND before any AWS call. Turn it on only while people still
   * use the original proxy.
   */
  readonly acceptUnboundTokens?: boolean;
}

export type { StsMethodOptions, StsFetch, StsFetchInit } from "./options-sts.js";
export type { FailedSignInLimitOptions } from "./options-failure-limit.js";
export type { HeaderProofOptions, ResolvedHeaderProof } from "./options-header-proof.js";

/** Options of `iamAuth()`. At least one of `sts` and `kms` is required. */
export interface IamAuthOptions {
  /** Required. The app's 12-digit AWS account, sent as the challenge realm. */
  readonly accountId: string;
  /**
   * The KMS method (the original iam-auth-proxy's). Default: not offered. Needs AWS credentials
   * allowed to kms:Decrypt with the key.
   */
  readonly kms?: KmsMethodOptions;
  /** The STS method (presigned sts:GetCallerIdentity). Default: not offered. Needs no AWS credentials. */
  readonly sts?: StsMethodOptions;
  /**
   * Required. Keys that sign the session cookie, each at least 32 characters. The first signs new
   * cookies; the others are still accepted, so prepend a new secret to rotate without signing everyone out.
   */
  readonly sessionSecrets: readonly string[];
  /** How long a session lasts after sign-in, enforced on the server as well as by the cookie. Default 3600; at most 604800 (7 days). */
  readonly sessionMaxAgeSeconds?: number;
  /** Accounts whose identities may sign in. Default `[accountId]`. */
  readonly allowedAccounts?: readonly string[];
  /**
   * Principals that may sign in, as ARN patterns where `*` matches any run of characters:
   * `"arn:aws:iam::111122223333:role/Dev*"`, `"arn:aws:iam::111122223333:user/alice"`.
   * A role session matches as its role. Default: every identity of `allowedAccounts`.
   */
  readonly allowedPrincipals?: readonly string[];
  /**
   * Paths served without a session. Default `[]`. Each is an exact path (`"/health"`) or a
   * prefix written with a trailing `/*` (`"/static/*"` matches `/static/app.css`, not `/static`).
   * Matching is case-sensitive, so a path only Express's case-insensitive routing would match stays protected.
   */
  readonly publicPaths?: readonly string[];
  /**
   * Where the proxy hands the proof over, relative to where the middleware is mounted. Default
   * `"/auth"`. Another path is advertised in the challenge (`auth-path`), which this project's proxy
   * follows; the original Go proxy always uses `/auth` (under a mount: the mount's `/auth` is not
   * reachable by it at all), so keep the default while people still use it.
   */
  readonly authPath?: string;
  /** POST here signs out (clears the session, 303 to the mount's `/`). Default `"/auth/sign-out"`. */
  readonly signOutPath?: string;
  /** GET here answers who is signed in, as JSON (the challenge when nobody is). Default `"/auth/whoami"`. */
  readonly whoamiPath?: string;
  /**
   * Where the challenge page sends people to read how to sign in: an `https:`/`http:` URL or a
   * path on this site (`"/docs/sign-in"`). Default: none; the page then names the iam-auth-proxy
   * package's README.md as text.
   */
  readonly helpUrl?: string;
  /**
   * The address (`HOST:PORT`) the challenge page tells people to run the proxy on and point their
   * browser at: `iam-auth-proxy --bind <proxyAddress>`, `http://<proxyAddress>/proxy.pac`.
   * Default `"127.0.0.1:8080"`, the proxy's own default.
   */
  readonly proxyAddress?: string;
  /** Name of the session cookie (a second one with `.sig` appended holds its signature). Default `"iam-auth-session"`. Use different names for apps sharing a host name: cookies ignore ports. */
  readonly cookieName?: string;
  /** KMS method only: AWS region of its KMS and STS clients. Default: the region in `kms.keyId` when it is an ARN, else the SDK's default (AWS_REGION, config files). */
  readonly region?: string;
  /** KMS method only: client used for kms:Decrypt. Default: `new KMSClient({ region })`, so the SDK's default credentials and AWS_ENDPOINT_URL apply. */
  readonly kmsClient?: KMSClient;
  /** KMS method only. Default: `new STSClient({ region, credentials })` per sign-in, so AWS_ENDPOINT_URL applies. */
  readonly createStsClient?: StsClientFactory;
  /**
   * Remembers used tokens and nonces so each signs in once. Default: a `MemoryReplayStore`
   * (100_000 entries), right for one instance; several instances need one shared store.
   */
  readonly replayStore?: ReplayStore;
  /**
   * Remembers signed-out sessions, so sign-out ends a session everywhere, not only in the browser
   * that signed out. Default: a `MemoryRevocationStore` (this process only); several instances
   * need one shared store: `createRedisStores({ url }).sessionRevocation`.
   */
  readonly sessionRevocation?: RevocationStore;
  /**
   * Failed sign-ins one client address (Express's `req.ip`: set `trust proxy` behind a load
   * balancer) may make at `authPath` before it gets 429 with Retry-After. Every failing proof may
   * cost this server an STS or KMS call, so this is what keeps junk from making it call AWS at will.
   * Default `{ maxFailures: 20, windowSeconds: 60 }`; `false` turns it off (only behind
   * something else that limits /auth). Counted per process.
   */
  readonly failedSignInLimit?: false | FailedSignInLimitOptions;
  /**
   * Proofs in a request header, `Authorization: IAM <token>` (scripts, CLIs, services): checked
   * as at `authPath`, and that request is served as the proven identity. `GET <authPath>/nonce`
   * gives STS nonces to such clients. Default `{ header: "authorization", startSession: false }`;
   * `false` turns both off.
   */
  readonly headerProof?: false | HeaderProofOptions;
  /** The current time, for session lifetimes, nonces and credential expiry. Default `() => new Date()`. */
  readonly clock?: () => Date;
  /**
   * Where events go (one audit event per sign-in, refusal and sign-out; rejected cookies): a
   * function receives one `<ISO time> <event> key=value …` line per event; a pino-compatible
   * logger (`pino()`) one object per event. Default: lines to stdout.
   */
  readonly logger?: LoggerOption;
  /** Prometheus metrics (prom-client): `{ registry }` to serve them from the app's own registry. Default: a registry of this instance's own. */
  readonly metrics?: IamAuthMetricsOptions;
}

/** The options after validation, with defaults filled in; frozen. */
export interface ResolvedIamAuthOptions {
  readonly accountId: string;
  readonly kms: ResolvedKmsOptions | undefined;
  readonly sts: ResolvedStsOptions | undefined;
  /** The methods offered, in the order the challenge lists them. */
  readonly methods: readonly AuthMethod[];
  readonly sessionSecrets: readonly string[];
  readonly sessionMaxAgeSeconds: number;
  readonly allowedAccounts: readonly string[];
  readonly allowedPrincipals: readonly string[] | undefined;
  readonly publicPaths: readonly string[];
  readonly authPath: string;
  readonly signOutPath: string;
  readonly whoamiPath: string;
  readonly cookieName: string;
  /** undefined: the challenge page names the package's README instead of linking. */
  readonly helpUrl: string | undefined;
  readonly proxyAddress: string;
  /** `region`, else the region of an ARN `kms.keyId`, else undefined (the SDK decides). */
  readonly region: string | undefined;
  readonly kmsClient: KMSClient | undefined;
  readonly createStsClient: StsClientFactory | undefined;
  /** undefined: the middleware makes a MemoryReplayStore. */
  readonly replayStore: ReplayStore | undefined;
  readonly sessionRevocation: RevocationStore | undefined;
  readonly failedSignInLimit: ResolvedFailedSignInLimit;
  readonly headerProof: ResolvedHeaderProof;
  readonly clock: () => Date;
  readonly logger: LoggerOption;
  readonly metrics: IamAuthMetricsOptions | undefined;
}

export const DEFAULT_SESSION_MAX_AGE_SECONDS = 3600;
export const MAX_SESSION_MAX_AGE_SECONDS = 86400 * 7;
export const DEFAULT_COOKIE_NAME = "iam-auth-session";
export {
  DEFAULT_AUTH_PATH,
  DEFAULT_SIGN_OUT_PATH,
  DEFAULT_WHOAMI_PATH,
  DEFAULT_PROXY_ADDRESS,
  describeOptionProblem,
  type TextOptionName,
} from "./options-paths.js";
export { MIN_SESSION_SECRET_LENGTH } from "./options-session.js";

const knownOptions = [
  "accountId",
  "kms",
  "sts",
  "sessionSecrets",
  "sessionMaxAgeSeconds",
  "allowedAccounts",
  "allowedPrincipals",
  "publicPaths",
  "authPath",
  "signOutPath",
  "whoamiPath",
  "cookieName",
  "helpUrl",
  "proxyAddress",
  "region",
  "kmsClient",
  "createStsClient",
  "replayStore",
  "sessionRevocation",
  "failedSignInLimit",
  "headerProof",
  "clock",
  "logger",
  "metrics",
];

const accountIdPattern = /^\d{12}$/;
// RFC 6265 §4.1.1: a cookie name is an RFC 2616 token.
const cookieNamePattern = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,64}$/;

/**
 * Validates `iamAuth()` options once, at start-up, and returns a frozen copy with defaults.
 * Throws one TypeError listing every problem, each naming the option and the bad value
 * (secret values are never shown). The caller's object is not modified.
 *
 * @example resolveOptions({ accountId: "111122223333", sts: { serverId: "app.example.com" }, sessionSecrets: [secret] }).methods // ["sts"]
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
  const accountIdValid = typeof accountId === "string" && accountIdPattern.test(accountId);
  if (!accountIdValid) {
    problems.push(`accountId: must be a 12-digit AWS account id (got ${describe(accountId)})`);
  }
  const kmsRead = input.kms === undefined ? undefined : readKmsOptions(input.kms, problems);
  const sts = input.sts === undefined ? undefined : readStsOptions(input.sts, problems);
  const kms =
    kmsRead === undefined || (input.sts !== undefined && sts === undefined)
      ? kmsRead
      : bindKmsServerId(kmsRead, sts?.serverId, problems);
  if (input.kms === undefined && input.sts === undefined) {
    problems.push(
      "kms, sts: configure at least one sign-in method: sts ({ serverId }, needs no AWS credentials) or kms ({ keyId, encryptionContext })",
    );
  }
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
  const access = readAccessOptions(
    input.allowedAccounts,
    input.allowedPrincipals,
    accountIdValid ? accountId : undefined,
    problems,
  );
  const publicPaths = readPublicPaths(input.publicPaths, problems);
  const paths = readRoutePaths(input, problems);
  const cookieName = input.cookieName ?? DEFAULT_COOKIE_NAME;
  if (typeof cookieName !== "string" || !cookieNamePattern.test(cookieName)) {
    problems.push(
      `cookieName: must be 1 to 64 letters, digits or any of !#$%&'*+-.^_\`|~ (got ${describe(cookieName)})`,
    );
  }
  const helpUrl = input.helpUrl;
  const helpUrlProblem = helpUrl === undefined ? undefined : describeOptionProblem("helpUrl", helpUrl);
  if (helpUrlProblem !== undefined) problems.push(`helpUrl: ${helpUrlProblem}`);
  const proxyAddress = input.proxyAddress ?? DEFAULT_PROXY_ADDRESS;
  const proxyAddressProblem = describeOptionProblem("proxyAddress", proxyAddress);
  if (proxyAddressProblem !== undefined) problems.push(`proxyAddress: ${proxyAddressProblem}`);
  const region = readKmsOnlyOptions(input, kms, problems);

  const replayStore = input.replayStore;
  if (replayStore !== undefined && !(isRecord(replayStore) && typeof replayStore.claim === "function")) {
    problems.push(
      `replayStore: must be an object with a claim(key, expiresAt) method (got ${describe(replayStore)})`,
    );
  }
  const sessionRevocation = input.sessionRevocation;
  if (
    sessionRevocation !== undefined &&
    !(
      isRecord(sessionRevocation) &&
      typeof sessionRevocation.revoke === "function" &&
      typeof sessionRevocation.isRevoked === "function"
    )
  ) {
    problems.push(
      `sessionRevocation: must be an object with revoke(sessionId, expiresAt) and isRevoked(sessionId) methods (got ${describe(sessionRevocation)})`,
    );
  }
  const failedSignInLimit = readFailedSignInLimit(input.failedSignInLimit, problems);
  const headerProof = readHeaderProof(input.headerProof, problems);
  if (input.clock !== undefined && typeof input.clock !== "function") {
    problems.push(`clock: must be a function (got ${describe(input.clock)})`);
  }
  if (input.logger !== undefined && !isLoggerOption(input.logger)) {
    problems.push(
      `logger: must be a function taking one line, or a pino-compatible logger with info(fields, message) (got ${describe(input.logger)})`,
    );
  }
  const metrics = input.metrics;
  if (
    metrics !== undefined &&
    !(
      isRecord(metrics) &&
      isRecord(metrics.registry) &&
      typeof metrics.registry.registerMetric === "function"
    )
  ) {
    problems.push(`metrics: must be { registry } with a prom-client Registry (got ${describe(metrics)})`);
  }

  if (problems.length > 0) throw new TypeError(`iamAuth: invalid options:\n  - ${problems.join("\n  - ")}`);
  const methods: AuthMethod[] = [];
  if (sts !== undefined) methods.push("sts");
  if (kms !== undefined) methods.push("kms");
  return Object.freeze({
    accountId: accountId as string,
    kms,
    sts,
    methods: Object.freeze(methods),
    sessionSecrets: sessionSecrets as readonly string[],
    sessionMaxAgeSeconds: maxAge as number,
    allowedAccounts: (access as NonNullable<typeof access>).allowedAccounts,
    allowedPrincipals: (access as NonNullable<typeof access>).allowedPrincipals,
    publicPaths: publicPaths as readonly string[],
    ...(paths as NonNullable<typeof paths>),
    cookieName: cookieName as string,
    helpUrl: helpUrl as string | undefined,
    proxyAddress: proxyAddress as string,
    region,
    kmsClient: input.kmsClient as KMSClient | undefined,
    createStsClient: input.createStsClient as StsClientFactory | undefined,
    replayStore: replayStore as ReplayStore | undefined,
    sessionRevocation: sessionRevocation as RevocationStore | undefined,
    failedSignInLimit: failedSignInLimit as ResolvedFailedSignInLimit,
    headerProof: headerProof as ResolvedHeaderProof,
    clock: (input.clock as (() => Date) | undefined) ?? (() => new Date()),
    logger: (input.logger as LoggerOption | undefined) ?? writeLineToStdout,
    metrics: metrics as IamAuthMetricsOptions | undefined,
  });
}

/** region, kmsClient and createStsClient configure the KMS method; without it they are a mistake. */
function readKmsOnlyOptions(
  input: Record<string, unknown>,
  kms: ResolvedKmsOptions | undefined,
  problems: string[],
): string | undefined {
  if (input.kms === undefined) {
    for (const name of ["region", "kmsClient", "createStsClient"]) {
      if (input[name] !== undefined) {
        problems.push(
          `${name}: only used by the KMS method (the STS method needs no AWS client); remove it or configure kms`,
        );
      }
    }
    return undefined;
  }
  const region = readRegion(input.region, kms?.keyId, problems);
  const kmsClient = input.kmsClient;
  if (kmsClient !== undefined && !(isRecord(kmsClient) && typeof kmsClient.send === "function")) {
    problems.push(`kmsClient: must be a KMSClient (got ${describe(kmsClient)})`);
  }
  const createStsClient = input.createStsClient;
  if (createStsClient !== undefined && typeof createStsClient !== "function") {
    problems.push(`createStsClient: must be a function (got ${describe(createStsClient)})`);
  }
  return region;
}

function writeLineToStdout(line: string): void {
  process.stdout.write(`${line}\n`);
}
