import { ProxyError, toOneLine } from "../common/errors.js";

/** The AWS call that failed, for messages like "AWS STS GetSessionToken failed: …". */
export interface AwsOperation {
  readonly service: "STS" | "KMS";
  readonly operation: string;
}

const NO_CREDENTIALS_ADVICE =
  "set AWS_PROFILE or run `aws configure` / `aws sso login`, then retry (see --profile, --assume-role-arn)";

// Socket and DNS failures: AWS never answered, so this is a gateway problem, not a refusal.
const networkErrorCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "EHOSTDOWN",
]);
const networkErrorNames = new Set(["TimeoutError", "AbortError", "RequestTimeout", "NetworkingError"]);
// The SDK's credential chain failed: nothing usable was found (or an SSO session expired).
const credentialErrorNames = new Set(["CredentialsProviderError", "TokenProviderError"]);

interface SdkErrorShape {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly code?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
}

/**
 * Maps an error thrown by the AWS SDK (or by a credential provider) to the ProxyError the client
 * sees, or returns undefined when it is not an AWS error at all (a bug, which must not be disguised):
 * - CredentialsProviderError / TokenProviderError → 503 NO_CREDENTIALS, saying what to do;
 * - an answer from AWS (it has `$metadata.httpStatusCode`) → 403 AWS_REQUEST_FAILED with AWS's code and message;
 * - no answer (connection refused/reset, DNS, timeout) → 502 AWS_UNREACHABLE.
 * The SDK's messages carry no credentials, so they are safe to show.
 *
 * @example mapAwsError(accessDenied, { service: "STS", operation: "GetSessionToken" })?.message
 * // "AWS STS GetSessionToken failed: AccessDenied: User: … is not authorized to perform: sts:GetSessionToken"
 */
export function mapAwsError(error: unknown, call: AwsOperation | undefined): ProxyError | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const shape = error as SdkErrorShape;
  const name = typeof shape.name === "string" ? shape.name : "Error";
  const message = typeof shape.message === "string" ? toOneLine(shape.message, 300) : "";
  const code = typeof shape.code === "string" ? shape.code : undefined;
  // Credential resolution (AssumeRole, SSO, …) has no single operation name.
  const failed =
    call === undefined ? "Could not obtain AWS credentials" : `AWS ${call.service} ${call.operation} failed`;
  const unreachable =
    call === undefined
      ? "AWS is unreachable while obtaining credentials"
      : `AWS ${call.service} is unreachable`;

  if (credentialErrorNames.has(name)) {
    return new ProxyError(
      "NO_CREDENTIALS",
      `No usable AWS credentials (${message}): ${NO_CREDENTIALS_ADVICE}`,
      {
        cause: error,
      },
    );
  }
  const httpStatusCode = shape.$metadata?.httpStatusCode;
  if (typeof httpStatusCode === "number" && !networkErrorNames.has(name)) {
    return new ProxyError("AWS_REQUEST_FAILED", `${failed}: ${name}: ${message}`, { cause: error });
  }
  // The SDK's retry layer adds $metadata (attempts, no status) to errors where AWS never answered.
  const isNetworkError =
    networkErrorNames.has(name) ||
    (code !== undefined && networkErrorCodes.has(code)) ||
    shape.$metadata !== undefined;
  if (isNetworkError) {
    const reason = code ?? name;
    const detail = message === "" || message === reason ? "" : ` (${message})`;
    return new ProxyError("AWS_UNREACHABLE", `${unreachable}: ${reason}${detail}`, { cause: error });
  }
  return undefined;
}
