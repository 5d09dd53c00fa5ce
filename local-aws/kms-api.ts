import { randomUUID } from "node:crypto";
import { AwsApiError } from "./api-error.js";
import { accessDeniedMessage, isKmsActionAllowed, type KmsAction } from "./authorization.js";
import { enterCall, MALFORMED_BODY } from "./call-recorder.js";
import type { KeyEntry } from "./directory.js";
import type { ApiResponse } from "./http-io.js";
import { authenticate, type Caller } from "./identity.js";
import {
  decryptBlob,
  encryptBlob,
  KmsCryptoError,
  readBlobKeyId,
  type EncryptionContext,
} from "./kms-crypto.js";
import { SigV4Error, type SignedHttpRequest, type SigV4ErrorCode } from "./sigv4-verify.js";
import type { LocalAwsState } from "./state.js";

/*
 * KMS over awsJson1_1: `X-Amz-Target: TrentService.<Operation>`, a JSON body, JSON replies;
 * every error is HTTP 400 with `{"__type": "<Code>", "message": "…"}`.
 */

/** The KMS operations local AWS implements. */
export const kmsOperations = ["Encrypt", "Decrypt", "DescribeKey"] as const;
type KmsOperation = (typeof kmsOperations)[number];
const contentType = "application/x-amz-json-1.1";
const algorithm = "SYMMETRIC_DEFAULT";

const authErrors: Record<SigV4ErrorCode, string> = {
  MissingAuthentication: "MissingAuthenticationTokenException",
  IncompleteSignature: "IncompleteSignatureException",
  UnknownAccessKey: "UnrecognizedClientException",
  InvalidSessionToken: "UnrecognizedClientException",
  SignatureMismatch: "InvalidSignatureException",
  SignatureExpired: "InvalidSignatureException",
  ExpiredSessionToken: "ExpiredTokenException",
};

interface CallContext {
  readonly state: LocalAwsState;
  readonly caller: Caller;
  readonly region: string;
  /** Set once the call resolved its key, for the log line. */
  keyArn?: string;
}

/**
 * Handles one KMS call; `target` is the X-Amz-Target header value.
 *
 * @example await handleKms(state, request, "TrentService.Encrypt")
 */
export async function handleKms(
  state: LocalAwsState,
  request: SignedHttpRequest,
  target: string,
): Promise<ApiResponse> {
  const requestId = randomUUID();
  const name = target.startsWith("TrentService.") ? target.slice("TrentService.".length) : "";
  const operation = (kmsOperations as readonly string[]).includes(name) ? (name as KmsOperation) : undefined;
  let context: CallContext | undefined;
  const reply = (body: unknown, outcome: string): ApiResponse => ({
    status: outcome === "ok" ? 200 : 400,
    contentType,
    body: JSON.stringify(body),
    requestId,
    log: {
      action: `kms:${operation ?? "unknown"}`,
      principal: context?.caller.arn ?? "-",
      key: context?.keyArn,
      outcome,
    },
  });
  try {
    if (operation !== undefined) {
      const injected = await enterCall(state.calls, `kms:${operation}`);
      if (injected === "malformed") return { ...reply({}, "malformed"), status: 200, body: MALFORMED_BODY };
      if (injected !== undefined) {
        const response = reply({ __type: injected.code, message: injected.message }, injected.code);
        return { ...response, status: injected.status };
      }
    }
    const { caller, region } = await authenticate(state, request, "kms");
    context = { state, caller, region };
    if (operation === undefined) throw new AwsApiError("UnknownOperationException", 400, "");
    const input = parseBody(request.body);
    return reply(run(context, operation, input), "ok");
  } catch (error) {
    const failure = toKmsError(error);
    return reply({ __type: failure.code, message: failure.message }, failure.code);
  }
}

function toKmsError(error: unknown): AwsApiError {
  if (error instanceof AwsApiError) return error;
  if (error instanceof SigV4Error) return new AwsApiError(authErrors[error.code], 400, error.message);
  throw error;
}

function run(context: CallContext, operation: KmsOperation, input: Record<string, unknown>): unknown {
  switch (operation) {
    case "Encrypt":
      return encrypt(context, input);
    case "Decrypt":
      return decrypt(context, input);
    case "DescribeKey":
      return describeKey(context, input);
  }
}

function encrypt(context: CallContext, input: Record<string, unknown>): unknown {
  const keyId = readKeyId(input.KeyId, true);
  const plaintext = readBlob(input.Plaintext, "plaintext", 4096);
  const encryptionContext = readContext(input.EncryptionContext);
  checkAlgorithm(input.EncryptionAlgorithm);
  const key = resolveKey(context, keyId);
  authorize(context, "kms:Encrypt", key);
  context.state.secrets.add(plaintext.toString("utf8"));
  const blob = encryptBlob(key.material, plaintext, encryptionContext);
  return {
    CiphertextBlob: Buffer.from(blob).toString("base64"),
    KeyId: key.arn,
    EncryptionAlgorithm: algorithm,
  };
}

function decrypt(context: CallContext, input: Record<string, unknown>): unknown {
  const blob = readBlob(input.CiphertextBlob, "ciphertextBlob", 6144);
  const encryptionContext = readContext(input.EncryptionContext);
  const keyId = readKeyId(input.KeyId, false);
  checkAlgorithm(input.EncryptionAlgorithm);
  let key: KeyEntry | undefined;
  try {
    key = context.state.directory.findKeyById(readBlobKeyId(blob));
  } catch (error) {
    if (!(error instanceof KmsCryptoError)) throw error;
  }
  // A blob from no key we know, or from a key in another region, is just invalid ciphertext.
  if (key === undefined || key.region !== context.region) throw invalidCiphertext();
  if (keyId !== undefined && resolveKey(context, keyId).arn !== key.arn) {
    throw new AwsApiError(
      "IncorrectKeyException",
      400,
      "The key ID in the request does not identify a CMK that can perform this operation.",
    );
  }
  context.keyArn = key.arn;
  authorize(context, "kms:Decrypt", key);
  let plaintext: Uint8Array;
  try {
    plaintext = decryptBlob(key.material, blob, encryptionContext);
  } catch (error) {
    if (error instanceof KmsCryptoError) throw invalidCiphertext();
    throw error;
  }
  const buffer = Buffer.from(plaintext);
  context.state.secrets.add(buffer.toString("utf8"));
  return { KeyId: key.arn, Plaintext: buffer.toString("base64"), EncryptionAlgorithm: algorithm };
}

function describeKey(context: CallContext, input: Record<string, unknown>): unknown {
  const key = resolveKey(context, readKeyId(input.KeyId, true));
  authorize(context, "kms:DescribeKey", key);
  return {
    KeyMetadata: {
      AWSAccountId: key.accountId,
      KeyId: key.config.id,
      Arn: key.arn,
      CreationDate: key.createdAt.getTime() / 1000,
      Enabled: true,
      Description: key.config.description ?? "",
      KeyUsage: "ENCRYPT_DECRYPT",
      KeyState: "Enabled",
      Origin: "AWS_KMS",
      KeyManager: "CUSTOMER",
      CustomerMasterKeySpec: algorithm,
      KeySpec: algorithm,
      EncryptionAlgorithms: [algorithm],
      MultiRegion: false,
    },
  };
}

function resolveKey(context: CallContext, keyId: string): KeyEntry {
  const key = context.state.directory.resolveKey(keyId, {
    accountId: context.caller.accountId,
    region: context.region,
  });
  if (key !== undefined) {
    context.keyArn = key.arn;
    return key;
  }
  if (keyId.startsWith("alias/") || /^arn:aws:kms:[^:]*:\d*:alias\//.test(keyId)) {
    const arn = keyId.startsWith("arn:")
      ? keyId
      : `arn:aws:kms:${context.region}:${context.caller.accountId}:${keyId}`;
    throw new AwsApiError("NotFoundException", 400, `Alias ${arn} is not found.`);
  }
  const arn = keyId.startsWith("arn:")
    ? keyId
    : `arn:aws:kms:${context.region}:${context.caller.accountId}:key/${keyId}`;
  throw new AwsApiError("NotFoundException", 400, `Key '${arn}' does not exist`);
}

function authorize(context: CallContext, action: KmsAction, key: KeyEntry): void {
  const policy = {
    accountId: key.accountId,
    ...(key.config.encryptPrincipals === undefined
      ? {}
      : { encryptPrincipals: key.config.encryptPrincipals }),
    ...(key.config.decryptPrincipals === undefined
      ? {}
      : { decryptPrincipals: key.config.decryptPrincipals }),
  };
  if (!isKmsActionAllowed(action, context.caller, policy)) {
    throw new AwsApiError(
      "AccessDeniedException",
      400,
      accessDeniedMessage(context.caller.arn, action, key.arn),
    );
  }
}

function invalidCiphertext(): AwsApiError {
  return new AwsApiError(
    "InvalidCiphertextException",
    400,
    "The ciphertext is invalid or its encryption context does not match.",
  );
}

function parseBody(body: Uint8Array): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(body.length === 0 ? "{}" : Buffer.from(body).toString("utf8"));
  } catch {
    throw new AwsApiError("SerializationException", 400, "The request body is not valid JSON.");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new AwsApiError("SerializationException", 400, "The request body must be a JSON object.");
  }
  return value as Record<string, unknown>;
}

function readKeyId(value: unknown, required: true): string;
function readKeyId(value: unknown, required: false): string | undefined;
function readKeyId(value: unknown, required: boolean): string | undefined {
  if (value === undefined && !required) return undefined;
  if (typeof value !== "string" || value.length < 1 || value.length > 2048) {
    throw validationException("keyId", "Member must have length between 1 and 2048");
  }
  return value;
}

/** Decodes a base64 blob field strictly and checks its length (1..max bytes). */
function readBlob(value: unknown, member: string, max: number): Buffer {
  if (typeof value !== "string" || value.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) {
    throw new AwsApiError("SerializationException", 400, `'${member}' must be a base64-encoded blob.`);
  }
  const bytes = Buffer.from(value, "base64");
  if (bytes.length < 1 || bytes.length > max) {
    throw validationException(member, `Member must have length between 1 and ${max}`);
  }
  return bytes;
}

function readContext(value: unknown): EncryptionContext {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) {
    throw validationException("encryptionContext", "Member must be a map of strings");
  }
  for (const entry of Object.values(value)) {
    if (typeof entry !== "string")
      throw validationException("encryptionContext", "Member must be a map of strings");
  }
  return value as EncryptionContext;
}

function checkAlgorithm(value: unknown): void {
  if (value !== undefined && value !== algorithm) {
    throw new AwsApiError(
      "InvalidKeyUsageException",
      400,
      `This key only supports the ${algorithm} encryption algorithm.`,
    );
  }
}

function validationException(member: string, constraint: string): AwsApiError {
  return new AwsApiError(
    "ValidationException",
    400,
    `1 validation error detected: Value at '${member}' failed to satisfy constraint: ${constraint}`,
  );
}
