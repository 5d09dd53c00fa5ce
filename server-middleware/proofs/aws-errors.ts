import { IamAuthError } from "../errors.js";

/** The fields the AWS SDK (v3) puts on the errors it throws. */
interface SdkErrorFields {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly $fault?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
  readonly $retryable?: { readonly throttling?: unknown };
}

const throttlingNames = new Set([
  "ThrottlingException",
  "Throttling",
  "TooManyRequestsException",
  "RequestLimitExceeded",
]);

// Decrypt errors that mean the key itself cannot be used: this server's configuration is wrong.
const unusableKeyNames = new Set([
  "DisabledException",
  "KMSInvalidStateException",
  "NotFoundException",
  "InvalidKeyUsageException",
  "InvalidArnException",
]);

/**
 * Maps an error thrown by kms:Decrypt to an IamAuthError. Only the two errors that mean
 * "this token is bad" are the client's fault (403); everything else is about AWS or this
 * server's access to it (502/503), so it is never reported as a bad token.
 *
 * @example mapKmsError(new InvalidCiphertextException({ message: "", $metadata: {} })).code // "TOKEN_UNREADABLE"
 */
export function mapKmsError(error: unknown): IamAuthError {
  const name = labelError(error);
  switch (name) {
    // AWS answers InvalidCiphertextException both for altered ciphertext and for a wrong encryption context.
    case "InvalidCiphertextException":
      return new IamAuthError(
        "TOKEN_UNREADABLE",
        "The token could not be decrypted: it was altered or made for another app (encryption context mismatch)",
        { cause: error },
      );
    case "IncorrectKeyException":
      return new IamAuthError("TOKEN_FOREIGN_KEY", "The token was encrypted under a different KMS key", {
        cause: error,
      });
    case "AccessDeniedException":
      return new IamAuthError("KMS_ACCESS_DENIED", "This server is not allowed to decrypt with its KMS key", {
        cause: error,
      });
  }
  if (unusableKeyNames.has(name)) {
    return new IamAuthError("KMS_KEY_UNUSABLE", `This server's KMS key cannot decrypt (${name})`, {
      cause: error,
    });
  }
  if (isThrottling(error)) {
    return new IamAuthError("KMS_THROTTLED", "AWS KMS is throttling requests; try again shortly", {
      cause: error,
    });
  }
  return new IamAuthError("KMS_UNAVAILABLE", "AWS KMS could not be reached or failed; try again later", {
    cause: error,
  });
}

/**
 * Maps an error thrown by sts:GetCallerIdentity, called with the credentials from the token.
 * GetCallerIdentity needs no permission, so any client-side fault means the credentials are
 * not good (invalid, revoked, expired); server faults and network errors are AWS's.
 *
 * @example mapStsError(Object.assign(new Error(), { name: "InvalidClientTokenId", $fault: "client" })).status // 403
 */
export function mapStsError(error: unknown): IamAuthError {
  const name = labelError(error);
  // The query protocol's code is "ExpiredToken"; the SDK's modelled class is ExpiredTokenException.
  if (name === "ExpiredToken" || name === "ExpiredTokenException") {
    return new IamAuthError("CREDENTIALS_EXPIRED", "The AWS credentials in the token have expired", {
      cause: error,
    });
  }
  if (isThrottling(error)) {
    return new IamAuthError("STS_THROTTLED", "AWS STS is throttling requests; try again shortly", {
      cause: error,
    });
  }
  if (sdkFields(error)?.$fault === "client") {
    return new IamAuthError(
      "CREDENTIALS_REJECTED",
      `AWS STS rejected the credentials in the token (${name})`,
      {
        cause: error,
      },
    );
  }
  return new IamAuthError("STS_UNAVAILABLE", "AWS STS could not be reached or failed; try again later", {
    cause: error,
  });
}

/**
 * A short, secret-free label for an error, for messages and logs: the AWS error code of a
 * service error, the errno code of a network error (ECONNREFUSED), or the class name.
 */
export function labelError(error: unknown): string {
  const fields = sdkFields(error);
  if (fields === undefined) return typeof error;
  if (fields.$fault === undefined && typeof fields.code === "string") return fields.code;
  return typeof fields.name === "string" ? fields.name : "Error";
}

function isThrottling(error: unknown): boolean {
  const fields = sdkFields(error);
  if (fields === undefined) return false;
  return (
    (typeof fields.name === "string" && throttlingNames.has(fields.name)) ||
    fields.$metadata?.httpStatusCode === 429 ||
    fields.$retryable?.throttling === true
  );
}

function sdkFields(error: unknown): SdkErrorFields | undefined {
  return typeof error === "object" && error !== null ? error : undefined;
}
