import type * as KmsSdk from "@aws-sdk/client-kms";
import type * as StsSdk from "@aws-sdk/client-sts";
import { parseArn } from "../../protocol/index.js";
import { ProxyError } from "../common/errors.js";
import type {
  AwsAgents,
  AwsClientSettings,
  CallerIdentity,
  CredentialProvider,
  KmsApi,
  StsApi,
} from "./types.js";

export type { AwsAgents, AwsClientSettings } from "./types.js";

/** Region used when neither --region, AWS_REGION, AWS_DEFAULT_REGION nor the profile names one. */
export const DEFAULT_REGION = "us-east-1";

/**
 * Builds the settings for a per-attempt timeout of `timeoutMs` (connecting gets at most 5 s of
 * it), connecting through `agents` when given.
 */
export function createAwsClientSettings(timeoutMs: number, agents?: AwsAgents): AwsClientSettings {
  return {
    // Without throwOnRequestTimeout the SDK only logs a warning and keeps waiting.
    requestHandler: {
      connectionTimeout: Math.min(timeoutMs, 5000),
      requestTimeout: timeoutMs,
      throwOnRequestTimeout: true,
      ...(agents === undefined ? {} : { httpAgent: agents.http, httpsAgent: agents.https }),
    },
    maxAttempts: 2,
  };
}

/** What the STS and KMS clients are built from. The endpoint is left to the SDK, so AWS_ENDPOINT_URL works. */
export interface AwsClientConfig {
  readonly credentials: CredentialProvider;
  readonly region: () => Promise<string>;
  readonly profile?: string | undefined;
  readonly settings: AwsClientSettings;
}

/**
 * Resolves the region once: `explicit` if given, else the SDK's own resolution for `profile`
 * (AWS_REGION, the profile's region), else us-east-1.
 *
 * @example await createRegionResolver(undefined, "work")() // "eu-west-1" if [profile work] says so
 */
export function createRegionResolver(
  explicit: string | undefined,
  profile: string | undefined,
): () => Promise<string> {
  let resolved: Promise<string> | undefined;
  const resolve = async (): Promise<string> => {
    if (explicit !== undefined) return explicit;
    const { STSClient } = await import("@aws-sdk/client-sts");
    const probe = new STSClient(profile === undefined ? {} : { profile });
    try {
      return await probe.config.region();
    } catch {
      // The SDK rejects with "Region is missing" when nothing names one: that is when the default applies.
      return DEFAULT_REGION;
    } finally {
      probe.destroy();
    }
  };
  return () => (resolved ??= resolve());
}

/**
 * STS bound to the person's credentials. The SDK is imported on first use.
 *
 * @example await createStsApi(config).getCallerIdentity() // { account: "111122223333", arn: "arn:aws:iam::…", userId: "AIDA…" }
 */
export function createStsApi(config: AwsClientConfig): StsApi {
  let loaded: Promise<{ sdk: typeof StsSdk; client: StsSdk.STSClient }> | undefined;
  const load = async (): Promise<{ sdk: typeof StsSdk; client: StsSdk.STSClient }> => {
    const sdk = await import("@aws-sdk/client-sts");
    return { sdk, client: new sdk.STSClient(clientConfig(config)) };
  };
  return {
    async getCallerIdentity(): Promise<CallerIdentity> {
      const { sdk, client } = await (loaded ??= load());
      const output = await client.send(new sdk.GetCallerIdentityCommand({}));
      if (output.Account === undefined || output.Arn === undefined || output.UserId === undefined) {
        throw incompleteResponse("STS GetCallerIdentity", "Account, Arn or UserId");
      }
      return { account: output.Account, arn: output.Arn, userId: output.UserId };
    },
    async getSessionToken(input) {
      const { sdk, client } = await (loaded ??= load());
      const output = await client.send(
        new sdk.GetSessionTokenCommand({
          DurationSeconds: input.durationSeconds,
          ...(input.mfa === undefined
            ? {}
            : { SerialNumber: input.mfa.serialNumber, TokenCode: input.mfa.tokenCode }),
        }),
      );
      const credentials = output.Credentials;
      if (
        credentials?.AccessKeyId === undefined ||
        credentials.SecretAccessKey === undefined ||
        credentials.SessionToken === undefined ||
        credentials.Expiration === undefined
      ) {
        throw incompleteResponse("STS GetSessionToken", "Credentials");
      }
      return {
        accessKeyId: credentials.AccessKeyId,
        secretAccessKey: credentials.SecretAccessKey,
        sessionToken: credentials.SessionToken,
        expiration: credentials.Expiration,
      };
    },
  };
}

/**
 * KMS bound to the person's credentials. A key given as an ARN is used in its own region (KMS
 * keys are regional); any other key id in the configured region. The SDK is imported on first use.
 */
export function createKmsApi(config: AwsClientConfig): KmsApi {
  const clients = new Map<string, Promise<{ sdk: typeof KmsSdk; client: KmsSdk.KMSClient }>>();
  const load = async (
    region: string | undefined,
  ): Promise<{ sdk: typeof KmsSdk; client: KmsSdk.KMSClient }> => {
    const sdk = await import("@aws-sdk/client-kms");
    const settings = clientConfig(config);
    return { sdk, client: new sdk.KMSClient(region === undefined ? settings : { ...settings, region }) };
  };
  return {
    async encrypt(input) {
      const region = regionOfKeyArn(input.keyId);
      const key = region ?? "";
      let loaded = clients.get(key);
      if (loaded === undefined) {
        loaded = load(region);
        clients.set(key, loaded);
      }
      const { sdk, client } = await loaded;
      const output = await client.send(
        new sdk.EncryptCommand({
          KeyId: input.keyId,
          Plaintext: input.plaintext,
          EncryptionContext: { ...input.encryptionContext },
        }),
      );
      if (output.CiphertextBlob === undefined) throw incompleteResponse("KMS Encrypt", "CiphertextBlob");
      return output.CiphertextBlob;
    },
  };
}

function clientConfig(config: AwsClientConfig): StsSdk.STSClientConfig & KmsSdk.KMSClientConfig {
  return {
    credentials: config.credentials,
    region: config.region,
    ...(config.profile === undefined ? {} : { profile: config.profile }),
    requestHandler: { ...config.settings.requestHandler },
    maxAttempts: config.settings.maxAttempts,
  };
}

function regionOfKeyArn(keyId: string): string | undefined {
  if (!keyId.startsWith("arn:")) return undefined;
  try {
    const region = parseArn(keyId).region;
    return region === "" ? undefined : region;
  } catch {
    // Not a well-formed ARN: let KMS itself say what is wrong with the key id.
    return undefined;
  }
}

function incompleteResponse(call: string, missing: string): ProxyError {
  // AWS answered 200 without what it always sends: not the person's fault, nor a refusal.
  return new ProxyError("AWS_UNAVAILABLE", `AWS ${call} failed: the response has no ${missing}`);
}
