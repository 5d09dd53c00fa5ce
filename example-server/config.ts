import { DescribeKeyCommand, type KMSClient } from "@aws-sdk/client-kms";
import { GetCallerIdentityCommand, type STSClient } from "@aws-sdk/client-sts";

/** The example server's settings as read from the environment, before any AWS call. */
export interface ExampleEnv {
  /** AWS_ACCOUNT_ID; undefined: looked up with sts:GetCallerIdentity at start. */
  readonly accountId: string | undefined;
  /** AWS_DEFAULT_REGION, or AWS_REGION. */
  readonly region: string;
  /** SECRET_KEY: signs the session cookies. */
  readonly secretKey: string;
  /** KMS_KEY_ID as given: a key id, ARN or alias; resolved to the key ARN at start. */
  readonly kmsKeyId: string;
  /** KMS_SALT: the encryption context is `{"salt": KMS_SALT}`. */
  readonly kmsSalt: string;
  /** HOST, default 127.0.0.1. */
  readonly host: string;
  /** PORT, default 3000; 0 picks a free port. */
  readonly port: number;
}

/** Everything the example app needs, after the start-up lookups. */
export interface ExampleConfig {
  readonly accountId: string;
  readonly region: string;
  readonly secretKey: string;
  /** The key ARN (kms:DescribeKey of KMS_KEY_ID), sent to clients in the challenge. */
  readonly kmsKeyArn: string;
  readonly encryptionContext: Readonly<Record<string, string>>;
  readonly host: string;
  readonly port: number;
}

/** The environment is incomplete or invalid; `problems` has one line per variable, saying what to set. */
export class ExampleConfigError extends Error {
  override readonly name = "ExampleConfigError";
  readonly code = "EXAMPLE_CONFIG_INVALID";
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`example-server: cannot start; set these environment variables:\n  - ${problems.join("\n  - ")}`);
    this.problems = problems;
  }
}

/** A start-up AWS lookup (DescribeKey, GetCallerIdentity) failed. */
export class ExampleStartError extends Error {
  override readonly name = "ExampleStartError";
  readonly code = "EXAMPLE_START_FAILED";
}

const MIN_SECRET_KEY_LENGTH = 32;
const accountIdPattern = /^\d{12}$/;
const regionPattern = /^[a-z]{2}(?:-[a-z]+)+-\d+$/;
const portPattern = /^\d{1,5}$/;

/**
 * Reads the example server's environment variables (the same as example-server.py's, plus
 * HOST and PORT). Reports every missing or invalid variable at once; never shows SECRET_KEY.
 * An empty variable counts as unset.
 *
 * @example readExampleEnv({ AWS_DEFAULT_REGION: "us-east-1", SECRET_KEY: "…", KMS_KEY_ID: "alias/demo", KMS_SALT: "s" })
 */
export function readExampleEnv(env: Readonly<Record<string, string | undefined>>): ExampleEnv {
  const read = (name: string): string | undefined => (env[name] === "" ? undefined : env[name]);
  const problems: string[] = [];

  const accountId = read("AWS_ACCOUNT_ID");
  if (accountId !== undefined && !accountIdPattern.test(accountId)) {
    problems.push(
      `AWS_ACCOUNT_ID: must be a 12-digit AWS account id, or unset to look it up with sts:GetCallerIdentity (got ${quote(accountId)})`,
    );
  }

  const region = readRegion(read("AWS_DEFAULT_REGION"), read("AWS_REGION"), problems);

  const secretKey = read("SECRET_KEY");
  if (secretKey === undefined) {
    problems.push(
      `SECRET_KEY: required: a random string of at least ${MIN_SECRET_KEY_LENGTH} characters that signs the session cookies (e.g. from \`openssl rand -hex 32\`)`,
    );
  } else if (secretKey.length < MIN_SECRET_KEY_LENGTH) {
    problems.push(
      `SECRET_KEY: must be at least ${MIN_SECRET_KEY_LENGTH} characters (it has ${secretKey.length}; value not shown)`,
    );
  }

  const kmsKeyId = read("KMS_KEY_ID");
  if (kmsKeyId === undefined) {
    problems.push(
      "KMS_KEY_ID: required: the KMS key tokens are encrypted under (key id, key ARN or alias/name)",
    );
  } else if (!/^[\x21-\x7e]{1,2048}$/.test(kmsKeyId)) {
    problems.push(`KMS_KEY_ID: must be a key id, key ARN or alias/name (got ${quote(kmsKeyId)})`);
  }

  const kmsSalt = read("KMS_SALT");
  if (kmsSalt === undefined) {
    problems.push(
      'KMS_SALT: required: any string unique to this app; tokens are bound to the context {"salt": KMS_SALT}',
    );
  }

  const host = read("HOST") ?? "127.0.0.1";
  const portText = read("PORT") ?? "3000";
  const port = portPattern.test(portText) ? Number(portText) : NaN;
  if (!(port >= 0 && port <= 65535)) {
    problems.push(`PORT: must be an integer from 0 to 65535 (got ${quote(portText)})`);
  }

  if (problems.length > 0) throw new ExampleConfigError(problems);
  return Object.freeze({
    accountId,
    region: region as string,
    secretKey: secretKey as string,
    kmsKeyId: kmsKeyId as string,
    kmsSalt: kmsSalt as string,
    host,
    port,
  });
}

function readRegion(
  defaultRegion: string | undefined,
  region: string | undefined,
  problems: string[],
): string | undefined {
  if (defaultRegion === undefined && region === undefined) {
    problems.push(
      "AWS_DEFAULT_REGION (or AWS_REGION): required: the AWS region of the KMS key, e.g. us-east-1",
    );
    return undefined;
  }
  if (defaultRegion !== undefined && region !== undefined && defaultRegion !== region) {
    problems.push(
      `AWS_DEFAULT_REGION and AWS_REGION disagree (${quote(defaultRegion)} and ${quote(region)}): set only one`,
    );
    return undefined;
  }
  const name = defaultRegion !== undefined ? "AWS_DEFAULT_REGION" : "AWS_REGION";
  const value = (defaultRegion ?? region) as string;
  if (!regionPattern.test(value)) {
    problems.push(`${name}: must be an AWS region such as us-east-1 (got ${quote(value)})`);
    return undefined;
  }
  return value;
}

/**
 * Completes the configuration with AWS: resolves KMS_KEY_ID to the key ARN (kms:DescribeKey)
 * and, when AWS_ACCOUNT_ID is unset, the account of the server's own credentials
 * (sts:GetCallerIdentity). Throws ExampleStartError saying which lookup failed.
 */
export async function resolveExampleConfig(
  env: ExampleEnv,
  clients: { readonly kms: KMSClient; readonly sts: STSClient },
): Promise<ExampleConfig> {
  let kmsKeyArn: string | undefined;
  try {
    const { KeyMetadata: key } = await clients.kms.send(new DescribeKeyCommand({ KeyId: env.kmsKeyId }));
    if (key?.Enabled === false)
      throw new ExampleStartError(`KMS_KEY_ID: the key ${key.Arn ?? env.kmsKeyId} is disabled`);
    kmsKeyArn = key?.Arn;
  } catch (error) {
    if (error instanceof ExampleStartError) throw error;
    throw new ExampleStartError(
      `KMS_KEY_ID: kms:DescribeKey of ${quote(env.kmsKeyId)} failed: ${describe(error)}`,
      {
        cause: error,
      },
    );
  }
  if (kmsKeyArn === undefined) throw new ExampleStartError("KMS_KEY_ID: kms:DescribeKey returned no key ARN");

  let accountId = env.accountId;
  if (accountId === undefined) {
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
    region: env.region,
    secretKey: env.secretKey,
    kmsKeyArn,
    encryptionContext: Object.freeze({ salt: env.kmsSalt }),
    host: env.host,
    port: env.port,
  });
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
