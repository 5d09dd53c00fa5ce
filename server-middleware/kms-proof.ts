import { DecryptCommand, type KMSClient } from "@aws-sdk/client-kms";
import { GetCallerIdentityCommand, type GetCallerIdentityCommandOutput } from "@aws-sdk/client-sts";
import {
  decodeStrictBase64,
  parseArn,
  parseSessionCredentials,
  ProtocolError,
  type EncryptionContext,
  type SessionCredentials,
} from "../protocol/index.js";
import { mapKmsError, mapStsError } from "./aws-errors.js";
import { IamAuthError } from "./errors.js";
import type { IamIdentity } from "./identity.js";
import type { StsClientFactory } from "./options.js";

/** What verifying a KMS-method token depends on. */
export interface KmsProofContext {
  readonly accountId: string;
  readonly keyId: string;
  readonly encryptionContext: EncryptionContext;
  readonly kmsClient: KMSClient;
  readonly createStsClient: StsClientFactory;
  readonly now: Date;
}

/**
 * Verifies a KMS-method token and returns who it proves the caller is:
 * decrypts it (with the configured key and encryption context), reads the temporary
 * credentials inside, asks STS GetCallerIdentity *with those credentials*, and checks the
 * account. Throws IamAuthError; never returns an identity from another account.
 *
 * @example await verifyKmsToken(query.token, { accountId, keyId, encryptionContext, kmsClient, createStsClient, now })
 * // { arn: "arn:aws:iam::111122223333:user/alice", account: "111122223333", userId: "AIDA…" }
 */
export async function verifyKmsToken(token: string, context: KmsProofContext): Promise<IamIdentity> {
  const ciphertext = decodeStrictBase64(token);
  if (ciphertext === undefined) throw new IamAuthError("TOKEN_INVALID", "The token is not valid base64");
  const credentials = await decryptCredentials(ciphertext, context);
  // Checked before calling STS: an expired token must not cost an AWS call.
  if (credentials.expiration.getTime() <= context.now.getTime()) {
    throw new IamAuthError("CREDENTIALS_EXPIRED", "The AWS credentials in the token have expired");
  }
  const caller = await getCallerIdentity(credentials, context.createStsClient);
  return checkIdentity(caller, context.accountId);
}

async function decryptCredentials(
  ciphertext: Uint8Array,
  context: KmsProofContext,
): Promise<SessionCredentials> {
  let plaintext: Uint8Array | undefined;
  try {
    const output = await context.kmsClient.send(
      new DecryptCommand({
        CiphertextBlob: ciphertext,
        // Naming the key makes KMS refuse a ciphertext made under any other key (IncorrectKeyException),
        // including one under a key of the attacker's own that this server happens to be allowed to use.
        KeyId: context.keyId,
        EncryptionContext: { ...context.encryptionContext },
      }),
    );
    plaintext = output.Plaintext;
  } catch (error) {
    throw mapKmsError(error);
  }
  if (plaintext === undefined) throw new IamAuthError("KMS_UNAVAILABLE", "AWS KMS returned no plaintext");
  const text = Buffer.from(plaintext).toString("utf8");
  // The plaintext holds a secret access key: do not leave it in the SDK's buffer.
  plaintext.fill(0);
  try {
    return parseSessionCredentials(text);
  } catch (error) {
    if (error instanceof ProtocolError)
      throw new IamAuthError("CREDENTIALS_INVALID", error.message, { cause: error });
    throw error;
  }
}

async function getCallerIdentity(
  credentials: SessionCredentials,
  createStsClient: StsClientFactory,
): Promise<GetCallerIdentityCommandOutput> {
  const sts = createStsClient(credentials);
  try {
    return await sts.send(new GetCallerIdentityCommand({}));
  } catch (error) {
    throw mapStsError(error);
  } finally {
    sts.destroy();
  }
}

function checkIdentity(caller: GetCallerIdentityCommandOutput, accountId: string): IamIdentity {
  const { Arn: arn, Account: account, UserId: userId } = caller;
  let arnAccount: string | undefined;
  try {
    arnAccount = arn === undefined ? undefined : parseArn(arn).account;
  } catch {
    arnAccount = undefined;
  }
  if (arn === undefined || arnAccount === undefined || account === undefined || !userId) {
    throw new IamAuthError("STS_UNAVAILABLE", "AWS STS returned an incomplete identity");
  }
  // Both must match: the realm promises identities of this one account.
  if (account !== accountId || arnAccount !== accountId) {
    throw new IamAuthError("ACCOUNT_MISMATCH", `The AWS identity is not in account ${accountId}`);
  }
  return Object.freeze({ arn, account, userId });
}
