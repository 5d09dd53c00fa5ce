import { randomBytes } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import {
  DecryptCommand,
  IncorrectKeyException,
  InvalidCiphertextException,
  type DecryptCommandInput,
  type KMSClient,
} from "@aws-sdk/client-kms";
import { GetCallerIdentityCommand, type STSClient } from "@aws-sdk/client-sts";
import { bindEncryptionContext, formatKmsToken, type SessionCredentials } from "../../../protocol/index.js";
import type { StsClientFactory } from "../../../server-middleware/options/options.js";

export const ACCOUNT_ID = "111122223333";
export const KEY_ARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
export const OTHER_KEY_ARN = "arn:aws:kms:us-east-1:111122223333:key/0987dcba-09fe-87dc-65ba-ab0987654321";
export const CONTEXT: Readonly<Record<string, string>> = Object.freeze({ salt: "unit-test-salt" });
/** The server-id of test apps (STS, and KMS tokens are bound to it). */
export const SERVER_ID = "app.test:3000";
export const ALICE_ARN = "arn:aws:iam::111122223333:user/alice";
export const ALICE_KEY_ID = "ASIAALICEEXAMPLE0001";
export const ALICE_SECRET = "aliceSecretAccessKey/EXAMPLE+0123456789abcd";
export const ALICE_SESSION_TOKEN = "FwoGZXIvYXdzEXAMPLEaliceSessionToken0123456789";

/**
 * A stand-in for AWS KMS with its Decrypt semantics: a ciphertext only decrypts under the key
 * and the exact encryption context it was made with; the wrong KeyId is IncorrectKeyException,
 * anything else (altered bytes, another context) is InvalidCiphertextException.
 */
export class FakeKms {
  readonly decryptCalls: DecryptCommandInput[] = [];
  /** When set, every Decrypt throws it. */
  failWith: Error | undefined = undefined;
  readonly #blobs = new Map<string, { keyId: string; context: Record<string, string>; plaintext: string }>();

  /**
   * Encrypts a plaintext and returns the token as this project's proxy makes it: bound to
   * `serverId` (default SERVER_ID: the app's context plus iam-auth:server-id, `kms1.<base64>`),
   * or, with `serverId: null`, unbound as the original Go proxy makes it (the bare base64).
   */
  encrypt(
    plaintext: string,
    options: { keyId?: string; context?: Record<string, string>; serverId?: string | null } = {},
  ): string {
    const ciphertext = randomBytes(96).toString("base64");
    const appContext = options.context ?? CONTEXT;
    const serverId = options.serverId === undefined ? SERVER_ID : options.serverId;
    this.#blobs.set(ciphertext, {
      keyId: options.keyId ?? KEY_ARN,
      context: { ...(serverId === null ? appContext : bindEncryptionContext(appContext, serverId)) },
      plaintext,
    });
    return formatKmsToken(ciphertext, serverId !== null);
  }

  asClient(): KMSClient {
    const send = (command: unknown): Promise<unknown> => {
      if (!(command instanceof DecryptCommand)) throw new Error("FakeKms only implements Decrypt");
      return Promise.resolve(this.#decrypt(command.input));
    };
    return { send } as unknown as KMSClient;
  }

  #decrypt(input: DecryptCommandInput): { Plaintext: Uint8Array; KeyId: string } {
    this.decryptCalls.push(input);
    if (this.failWith !== undefined) throw this.failWith;
    const blob = this.#blobs.get(Buffer.from(input.CiphertextBlob ?? new Uint8Array()).toString("base64"));
    // Like AWS: without a KeyId, KMS decrypts under whichever key the ciphertext names.
    if (blob !== undefined && input.KeyId !== undefined && input.KeyId !== blob.keyId) {
      throw new IncorrectKeyException({
        message: "The key ID in the request does not identify a CMK that can perform this operation.",
        $metadata: {},
      });
    }
    if (blob === undefined || !isDeepStrictEqual(input.EncryptionContext ?? {}, blob.context)) {
      throw new InvalidCiphertextException({ message: "", $metadata: {} });
    }
    return { Plaintext: Buffer.from(blob.plaintext, "utf8"), KeyId: blob.keyId };
  }
}

/** A stand-in for STS GetCallerIdentity: answers by access key id, or throws `failWith`. */
export class FakeSts {
  readonly calls: SessionCredentials[] = [];
  destroyed = 0;
  failWith: Error | undefined = undefined;
  readonly identities = new Map<string, { Arn: string; Account: string; UserId: string }>([
    [ALICE_KEY_ID, { Arn: ALICE_ARN, Account: ACCOUNT_ID, UserId: "AIDAALICEEXAMPLE00001" }],
  ]);

  readonly factory: StsClientFactory = (credentials) => {
    this.calls.push(credentials);
    const send = (command: unknown): Promise<unknown> => {
      if (!(command instanceof GetCallerIdentityCommand))
        throw new Error("FakeSts only implements GetCallerIdentity");
      if (this.failWith !== undefined) return Promise.reject(this.failWith);
      const identity = this.identities.get(credentials.accessKeyId);
      return identity === undefined
        ? Promise.reject(new Error(`FakeSts has no identity for ${credentials.accessKeyId}`))
        : Promise.resolve({ ...identity, $metadata: {} });
    };
    return { send, destroy: () => void this.destroyed++ } as unknown as STSClient;
  };
}

/** The token plaintext exactly as the original Go proxy marshals sts.Credentials. */
export function credentialsPlaintext(expiration: Date, accessKeyId = ALICE_KEY_ID): string {
  return JSON.stringify({
    AccessKeyId: accessKeyId,
    Expiration: expiration.toISOString().replace(".000Z", "Z"),
    SecretAccessKey: ALICE_SECRET,
    SessionToken: ALICE_SESSION_TOKEN,
  });
}
