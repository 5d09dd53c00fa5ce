import { EncryptCommand, KMSClient } from "@aws-sdk/client-kms";
import { GetSessionTokenCommand, STSClient } from "@aws-sdk/client-sts";
import { demoAccount } from "../../local-aws/demo-account.js";

interface AwsUser {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export interface OriginalTokenOptions {
  /** Local AWS URL. */
  readonly awsUrl: string;
  /** Whose temporary credentials go in the token. */
  readonly user: AwsUser;
  /** Who calls kms:Encrypt; default `user`. */
  readonly encryptAs?: AwsUser;
  readonly keyId: string;
  readonly encryptionContext: Readonly<Record<string, string>>;
  /** Called with the temporary credentials' access key id before encrypting (e.g. to expire them). */
  readonly beforeEncrypt?: (accessKeyId: string) => Promise<void>;
}

/**
 * Builds a KMS-method token exactly as the original Go iam-auth-proxy does: GetSessionToken
 * (900 s) with the user's own credentials, the Credentials marshalled the way Go's
 * encoding/json writes aws-sdk-go's struct (fields in struct order, RFC 3339 time without
 * fractional seconds), kms:Encrypt with the challenge's key and context, standard base64.
 */
export async function buildOriginalToken(options: OriginalTokenOptions): Promise<string> {
  const base = { endpoint: options.awsUrl, region: demoAccount.region, maxAttempts: 1 };
  const sts = new STSClient({ ...base, credentials: options.user });
  const kms = new KMSClient({ ...base, credentials: options.encryptAs ?? options.user });
  try {
    const { Credentials: c } = await sts.send(new GetSessionTokenCommand({ DurationSeconds: 900 }));
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
      throw new Error("GetSessionToken returned incomplete credentials");
    }
    await options.beforeEncrypt?.(c.AccessKeyId);
    const plaintext = JSON.stringify({
      AccessKeyId: c.AccessKeyId,
      Expiration: c.Expiration.toISOString().replace(/\.\d{3}Z$/, "Z"),
      SecretAccessKey: c.SecretAccessKey,
      SessionToken: c.SessionToken,
    });
    const { CiphertextBlob } = await kms.send(
      new EncryptCommand({
        KeyId: options.keyId,
        EncryptionContext: { ...options.encryptionContext },
        Plaintext: Buffer.from(plaintext),
      }),
    );
    if (CiphertextBlob === undefined) throw new Error("Encrypt returned no ciphertext");
    return Buffer.from(CiphertextBlob).toString("base64");
  } finally {
    sts.destroy();
    kms.destroy();
  }
}

/** The /auth path as the original builds it (url.Values.Encode: keys sorted, return_url then token). */
export function originalAuthPath(token: string, returnUrl = "/"): string {
  return `/auth?return_url=${encodeURIComponent(returnUrl)}&token=${encodeURIComponent(token)}`;
}
