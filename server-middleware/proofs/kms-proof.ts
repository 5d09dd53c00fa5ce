import { createHash } from "node:crypto";
import { DecryptCommand, type KMSClient } from "@aws-sdk/client-kms";
import { GetCallerIdentityCommand, type GetCallerIdentityCommandOutput } from "@aws-sdk/client-sts";
import {
  bindEncryptionContext,
  decodeStrictBase64,
  parseArn,
  parseKmsToken,
  parseSessionCredentials,
  ProtocolError,
  type EncryptionContext,
  type SessionCredentials,
} from "../../protocol/index.js";
import { mapKmsError, mapStsError } from "./aws-errors.js";
import { claimOnce } from "./claim-once.js";
import { IamAuthError } from "../errors.js";
import type { IamIdentity } from "../identity.js";
import type { StsClientFactory } from "../options/options.js";
import type { ReplayStore } from "../stores/replay-store.js";

/** What verifying a KMS-method token depends on. */
export interface KmsProofContext {
  readonly keyId: string;
  /** The app's own context, without the reserved key. */
  readonly encryptionContext: EncryptionContext;
  /** The server-id bound tokens are decrypted with; undefined: this app binds nothing. */
  readonly serverId: string | undefined;
  /** Whether an unbound token (the original proxy's) is decrypted or refused with KMS_TOKEN_UNBOUND. */
  readonly acceptUnboundTokens: boolean;
  readonly kmsClient: KMSClient;
  readonly createStsClient: StsClientFactory;
  readonly replayStore: ReplayStore;
  readonly now: Date;
}

/**
 * The longest AWS temporary credentials live (GetSessionToken and GetFederationToken: 36 hours).
 * A token is remembered as used until its credentials expire, so credentials that claim to live
 * longer are refused: the replay store's memory of a token must outlast the token's usefulness.
 */
export const KMS_TOKEN_REPLAY_WINDOW_MS = 36 * 3600 * 1000;

/**
 * Verifies a KMS-method token and returns who it proves the caller is:
 * decrypts it (with the configured key and encryption context, plus this app's server-id under
 * `iam-auth:server-id` when the token is bound, `kms1.<base64>`), reads the temporary
 * credentials inside, claims the token in the replay store (a token signs in once) and asks
 * STS GetCallerIdentity *with those credentials*. Whether that identity may use the app is
 * the caller's check. Throws IamAuthError.
 *
 * The claim comes after decryption, not before: only tokens made for this app under its key and
 * context can take room in the store (so junk cannot fill it and lock sign-ins out), and each is
 * kept only until its credentials expire. A replay costs one kms:Decrypt, never an STS call or a session.
 *
 * The token's form says which context to decrypt with, so every token costs at most one
 * kms:Decrypt: an unbound one is refused (KMS_TOKEN_UNBOUND) before any AWS call unless the app
 * accepts them. The form is only a hint: a bound token stripped of its prefix, or an unbound one
 * given it, is decrypted with a context it was not made under, and KMS refuses it.
 *
 * @example await verifyKmsToken(query.token, { keyId, encryptionContext, kmsClient, createStsClient, replayStore, now })
 * // { arn: "arn:aws:iam::111122223333:user/alice", account: "111122223333", userId: "AIDA…" }
 */
export async function verifyKmsToken(token: string, context: KmsProofContext): Promise<IamIdentity> {
  const { bound, ciphertextBase64 } = parseKmsToken(token);
  const ciphertext = decodeStrictBase64(ciphertextBase64);
  if (ciphertext === undefined) throw new IamAuthError("TOKEN_INVALID", "The token is not valid base64");
  const encryptionContext = decryptionContext(bound, context);
  const now = context.now.getTime();
  const credentials = await decryptCredentials(
    ciphertext,
    context.keyId,
    encryptionContext,
    context.kmsClient,
  );
  // Checked before calling STS: an expired token must not cost an AWS call.
  if (credentials.expiration.getTime() <= now) {
    throw new IamAuthError("CREDENTIALS_EXPIRED", "The AWS credentials in the token have expired");
  }
  if (credentials.expiration.getTime() > now + KMS_TOKEN_REPLAY_WINDOW_MS) {
    throw new IamAuthError(
      "CREDENTIALS_INVALID",
      "The token does not hold AWS credentials: they claim to last longer than 36 hours",
    );
  }
  // Strict base64 makes the bytes one-to-one with the token.
  const key = `kms-token:${createHash("sha256").update(ciphertext).digest("hex")}`;
  await claimOnce(context.replayStore, key, credentials.expiration, "The token has already been used");
  const caller = await getCallerIdentity(credentials, context.createStsClient);
  return checkIdentity(caller);
}

/**
 * The context to decrypt with. An unbound token names no app, so one made for another app under
 * the same key and context (a hostile app replaying what the person's proxy gave it) would sign in
 * here: it is refused unless the app accepts them.
 */
function decryptionContext(bound: boolean, context: KmsProofContext): EncryptionContext {
  if (!bound) {
    if (context.acceptUnboundTokens) return context.encryptionContext;
    throw new IamAuthError(
      "KMS_TOKEN_UNBOUND",
      "The KMS token is not bound to this app: the proxy must bind it to this app's server-id, or the app may accept unbound tokens with kms: { acceptUnboundTokens: true }",
    );
  }
  if (context.serverId === undefined) {
    // Only reachable by a client that bound a token to a server-id this app never advertised.
    throw new IamAuthError(
      "TOKEN_UNREADABLE",
      "The token could not be decrypted: it is bound to a server-id and this app has none (kms.serverId)",
    );
  }
  return bindEncryptionContext(context.encryptionContext, context.serverId);
}

/**
 * How long kms:Decrypt, and sts:GetCallerIdentity with the token's credentials, may each take: the
 * SDK's own default is to wait for ever, which left /auth (and the person's proxy) hanging on a
 * stalled AWS. The same as sts.timeoutMs's default.
 */
export const KMS_METHOD_AWS_TIMEOUT_MS = 5000;

/** Runs one AWS call with the timeout; an answer that does not come in time is `unavailable`. */
async function withTimeout<T>(
  call: (abortSignal: AbortSignal) => Promise<T>,
  mapError: (error: unknown) => IamAuthError,
  unavailable: (message: string) => IamAuthError,
  service: string,
): Promise<T> {
  const abortSignal = AbortSignal.timeout(KMS_METHOD_AWS_TIMEOUT_MS);
  try {
    return await call(abortSignal);
  } catch (error) {
    if (abortSignal.aborted) {
      throw unavailable(`AWS ${service} did not answer within ${KMS_METHOD_AWS_TIMEOUT_MS} ms`);
    }
    throw mapError(error);
  }
}

async function decryptCredentials(
  ciphertext: Uint8Array,
  keyId: string,
  encryptionContext: EncryptionContext,
  kmsClient: KMSClient,
): Promise<SessionCredentials> {
  const output = await withTimeout(
    (abortSignal) =>
      kmsClient.send(
        new DecryptCommand({
          CiphertextBlob: ciphertext,
          // Naming the key makes KMS refuse a ciphertext made under any other key (IncorrectKeyException),
          // including one under a key of the attacker's own that this server happens to be allowed to use.
          KeyId: keyId,
          EncryptionContext: { ...encryptionContext },
        }),
        { abortSignal },
      ),
    mapKmsError,
    (message) => new IamAuthError("KMS_UNAVAILABLE", message),
    "KMS",
  );
  const plaintext = output.Plaintext;
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
    return await withTimeout(
      (abortSignal) => sts.send(new GetCallerIdentityCommand({}), { abortSignal }),
      mapStsError,
      (message) => new IamAuthError("STS_UNAVAILABLE", message),
      "STS",
    );
  } finally {
    sts.destroy();
  }
}

function checkIdentity(caller: GetCallerIdentityCommandOutput): IamIdentity {
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
  if (arnAccount !== account) {
    throw new IamAuthError(
      "STS_BAD_RESPONSE",
      "AWS STS returned an identity whose ARN is not in its account",
    );
  }
  return Object.freeze({ arn, account, userId });
}
