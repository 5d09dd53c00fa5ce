import { DescribeKeyCommand, type KMSClient } from "@aws-sdk/client-kms";
import { GetCallerIdentityCommand, type STSClient } from "@aws-sdk/client-sts";
import type { AuthMethod } from "../server-middleware/index.js";
import type { ExampleEnv } from "./env.js";

/** Everything the example app needs, after the start-up lookups. */
export interface ExampleConfig {
  readonly accountId: string;
  readonly secretKey: string;
  readonly methods: readonly AuthMethod[];
  readonly kms:
    | {
        /** The key ARN (kms:DescribeKey of KMS_KEY_ID), sent to clients in the challenge. */
        readonly keyArn: string;
        readonly encryptionContext: Readonly<Record<string, string>>;
        readonly region: string;
        /**
         * KMS alone: the server-id tokens are bound to (with STS on, the middleware binds them to
         * the STS server-id). Undefined: none; main fills in defaultServerId when `bound`.
         */
        readonly serverId: string | undefined;
        readonly bound: boolean;
        readonly acceptUnboundTokens: boolean;
      }
    | undefined;
  /** Set when STS is on. `serverId` undefined: main fills in defaultServerId once it listens. */
  readonly sts:
    { readonly serverId: string | undefined; readonly testStsEndpoint: string | undefined } | undefined;
  readonly allowedAccounts: readonly string[] | undefined;
  readonly allowedPrincipals: readonly string[] | undefined;
  /** IAM_AUTH_PATH, HELP_URL, PROXY_ADDRESS: the middleware's authPath, helpUrl and proxyAddress (undefined: its defaults). */
  readonly authPath?: string | undefined;
  readonly helpUrl?: string | undefined;
  readonly proxyAddress?: string | undefined;
  /** REDIS_URL: the shared stores' Redis; undefined: memory (one instance). */
  readonly redisUrl?: string | undefined;
  readonly host: string;
  readonly port: number;
  /** TRUST_PROXY: Express's `trust proxy`; default false. */
  readonly trustProxy?: boolean | string;
}

/** A start-up AWS lookup (DescribeKey, GetCallerIdentity) failed. */
export class ExampleStartError extends Error {
  override readonly name = "ExampleStartError";
  readonly code = "EXAMPLE_START_FAILED";
}

const accountIdPattern = /^\d{12}$/;

/**
 * Completes the configuration with AWS: resolves KMS_KEY_ID to the key ARN (kms:DescribeKey)
 * when KMS is on and, when AWS_ACCOUNT_ID is unset, the account of the server's own
 * credentials (sts:GetCallerIdentity). STS only with AWS_ACCOUNT_ID makes no call at all and
 * needs no clients. Throws ExampleStartError saying which lookup failed.
 */
export async function resolveExampleConfig(
  env: ExampleEnv,
  clients: { readonly kms?: KMSClient | undefined; readonly sts?: STSClient | undefined },
): Promise<ExampleConfig> {
  let kms: ExampleConfig["kms"];
  if (env.kms !== undefined) {
    if (clients.kms === undefined || env.region === undefined)
      throw new Error("resolveExampleConfig: KMS needs a KMS client and a region");
    kms = Object.freeze({
      keyArn: await describeKeyArn(env.kms.keyId, clients.kms),
      encryptionContext: Object.freeze({ salt: env.kms.salt }),
      region: env.region,
      serverId: env.serverId,
      bound: env.kms.bound,
      acceptUnboundTokens: env.kms.acceptUnboundTokens,
    });
  }

  let accountId = env.accountId;
  if (accountId === undefined) {
    if (clients.sts === undefined)
      throw new Error("resolveExampleConfig: the account lookup needs an STS client");
    try {
      accountId = (await clients.sts.send(new GetCallerIdentityCommand({}))).Account;
    } catch (error) {
      throw new ExampleStartError(
        `AWS_ACCOUNT_ID is unset and sts:GetCallerIdentity failed: ${describe(error)}; set AWS_ACCOUNT_ID or fix the AWS credentials`,
        { cause: error },
      );
    }
    if (accountId === undefined || !accountIdPattern.test(accountId)) {
      throw new ExampleStartError("AWS_ACCOUNT_ID is unset and sts:GetCallerIdentity returned no account id");
    }
  }

  return Object.freeze({
    accountId,
    secretKey: env.secretKey,
    methods: env.methods,
    kms,
    sts: env.sts,
    allowedAccounts: env.allowedAccounts,
    allowedPrincipals: env.allowedPrincipals,
    authPath: env.authPath,
    helpUrl: env.helpUrl,
    proxyAddress: env.proxyAddress,
    redisUrl: env.redisUrl,
    host: env.host,
    port: env.port,
    trustProxy: env.trustProxy,
  });
}

async function describeKeyArn(keyId: string, kms: KMSClient): Promise<string> {
  let keyArn: string | undefined;
  try {
    const { KeyMetadata: key } = await kms.send(new DescribeKeyCommand({ KeyId: keyId }));
    if (key?.Enabled === false)
      throw new ExampleStartError(`KMS_KEY_ID: the key ${key.Arn ?? keyId} is disabled`);
    keyArn = key?.Arn;
  } catch (error) {
    if (error instanceof ExampleStartError) throw error;
    throw new ExampleStartError(`KMS_KEY_ID: kms:DescribeKey of ${quote(keyId)} failed: ${describe(error)}`, {
      cause: error,
    });
  }
  if (keyArn === undefined) throw new ExampleStartError("KMS_KEY_ID: kms:DescribeKey returned no key ARN");
  return keyArn;
}

function quote(value: string): string {
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
}

/** "<name>: <message>" of an AWS or network error, cut to one short line. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  const name = typeof code === "string" ? code : error.name;
  return `${name}: ${error.message.split("\n")[0]?.slice(0, 200) ?? ""}`;
}
