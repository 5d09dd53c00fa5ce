import { ProxyError, toOneLine } from "../common/errors.js";
import type { CredentialSource } from "./types.js";

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
// AWS's names for "slow down" (STS's query protocol says Throttling, KMS ThrottlingException).
const throttlingNames = new Set([
  "Throttling",
  "ThrottlingException",
  "TooManyRequestsException",
  "RequestLimitExceeded",
]);
// The SDK's credential chain failed: nothing usable was found (or an SSO session expired).
const credentialErrorNames = new Set(["CredentialsProviderError", "TokenProviderError"]);

/**
 * AWS's answers that mean the request was signed with a key it does not accept: a secret that
 * does not belong to the key id (or a clock far off), or a key id (or session token) it does not
 * know. STS and KMS name them differently.
 */
const rejectedKeyCodes: Readonly<Record<string, "secret" | "key-id">> = {
  SignatureDoesNotMatch: "secret",
  InvalidSignatureException: "secret",
  InvalidClientTokenId: "key-id",
  UnrecognizedClientException: "key-id",
};
const rejectedKeyCodePattern = new RegExp(`\\b(${Object.keys(rejectedKeyCodes).join("|")})\\b`);

/** True for the SDK's "no credentials" errors (its credential chain, or an SSO token provider). */
export function isCredentialProviderError(error: unknown): boolean {
  return (
    typeof error === "object" &&
    error !== null &&
    credentialErrorNames.has(String((error as SdkErrorShape).name))
  );
}

/**
 * The AWS error code in `text` that means the person's own key was refused (SignatureDoesNotMatch,
 * InvalidClientTokenId and KMS's names for them), e.g. in an app's refusal of the proxy's STS
 * proof, "AWS STS rejected the proof (SignatureDoesNotMatch)".
 *
 * @example findRejectedKeyCode("AWS STS rejected the proof (InvalidClientTokenId)") // "InvalidClientTokenId"
 */
export function findRejectedKeyCode(text: string): string | undefined {
  return rejectedKeyCodePattern.exec(text)?.[1];
}

/**
 * What to check when AWS answered `code` to a request signed with the person's credentials from
 * `source`: the secret access key, or the access key id, and where it is kept. Undefined for any
 * other code. The one place both the proxy's own AWS calls (mapAwsError) and an app's refusal of
 * its proof (see signin/auth-refusal.ts) get this advice from.
 *
 * @example describeRejectedKey("SignatureDoesNotMatch", { kind: "profile", profile: "work" })
 * // 'AWS refused the key the proxy signed with: check the secret access key (aws_secret_access_key) of profile "work" in the shared credentials file — `aws configure --profile work` sets it — and that this computer\'s clock is right, then restart the proxy (it keeps the credentials it found)'
 */
export function describeRejectedKey(code: string, source: CredentialSource | undefined): string | undefined {
  const kind = rejectedKeyCodes[code];
  if (kind === undefined) return undefined;
  const inEnvironment = source?.kind === "environment";
  const what =
    kind === "secret"
      ? `the secret access key (${inEnvironment ? "AWS_SECRET_ACCESS_KEY" : "aws_secret_access_key"})`
      : inEnvironment
        ? "the access key id (AWS_ACCESS_KEY_ID; with temporary keys, AWS_SESSION_TOKEN)"
        : "the access key id (aws_access_key_id; with temporary keys, aws_session_token)";
  const clock = kind === "secret" ? " and that this computer's clock is right" : "";
  // The proxy keeps credentials it found until they expire (long-term keys: until it stops).
  return (
    `AWS refused the key the proxy signed with: check ${what} ${describeKeyHome(source)}${clock}, ` +
    "then restart the proxy (it keeps the credentials it found)"
  );
}

/** Where the keys of `source` are kept, and how to set them again. */
function describeKeyHome(source: CredentialSource | undefined): string {
  switch (source?.kind) {
    case "environment":
      return "in the proxy's environment";
    case "profile":
      return `of profile "${source.profile}" in the shared credentials file — \`aws configure --profile ${source.profile}\` sets it —`;
    case "profile-role":
      return `of the source_profile of profile "${source.profile}" (the keys its role is assumed with)`;
    case "process":
      return `the credential_process of profile "${source.profile}" returns`;
    case "sso":
      return `of the SSO session of profile "${source.profile}" — \`aws sso login --profile ${source.profile}\` renews it —`;
    case "web-identity":
    case "console-login":
    case "container-role":
    case "instance-role":
    case "unknown":
    case undefined:
      return "of the credentials the proxy uses (its status page says where they come from)";
  }
}

interface SdkErrorShape {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly code?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
  readonly $retryable?: { readonly throttling?: unknown };
}

/**
 * Maps an error thrown by the AWS SDK (or by a credential provider) to the ProxyError the client
 * sees, or returns undefined when it is not an AWS error at all (a bug, which must not be disguised):
 * - CredentialsProviderError / TokenProviderError → 503 NO_CREDENTIALS, saying what to do;
 * - AWS throttling (Throttling, ThrottlingException, HTTP 429) → 503 AWS_THROTTLED: retrying later works;
 * - AWS failing (HTTP 5xx), or answering 2xx with something the SDK cannot read (an HTML page from
 *   something in between) → 502 AWS_UNAVAILABLE: the person's request was fine, AWS was not;
 * - any other answer from AWS (it has `$metadata.httpStatusCode`) → 403 AWS_REQUEST_FAILED with AWS's code and message,
 *   and for a refused key (SignatureDoesNotMatch, …) what to check of `source` (see describeRejectedKey);
 * - no answer (connection refused/reset, DNS, timeout) → 502 AWS_UNREACHABLE.
 * The SDK's messages carry no credentials, so they are safe to show.
 *
 * @example mapAwsError(accessDenied, { service: "STS", operation: "GetSessionToken" })?.message
 * // "AWS STS GetSessionToken failed: AccessDenied: User: … is not authorized to perform: sts:GetSessionToken"
 */
export function mapAwsError(
  error: unknown,
  call: AwsOperation | undefined,
  source?: CredentialSource,
): ProxyError | undefined {
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
    if (throttlingNames.has(name) || httpStatusCode === 429 || shape.$retryable?.throttling === true) {
      return new ProxyError("AWS_THROTTLED", `${failed}: ${name}: ${message}; try again shortly`, {
        cause: error,
      });
    }
    if (httpStatusCode >= 500) {
      return new ProxyError("AWS_UNAVAILABLE", `${failed} (HTTP ${httpStatusCode}): ${name}: ${message}`, {
        cause: error,
      });
    }
    if (httpStatusCode < 300) {
      // The SDK's deserialization error; its message quotes the body and talks about its own fields.
      const service = call === undefined ? "AWS" : `AWS ${call.service}`;
      return new ProxyError(
        "AWS_UNAVAILABLE",
        `${failed}: the answer (HTTP ${httpStatusCode}) is not one ${service} sends (${name})`,
        { cause: error },
      );
    }
    const rejectedKey = describeRejectedKey(name, source);
    const said = rejectedKey === undefined ? message : `${message.replace(/\.$/, "")}; ${rejectedKey}`;
    return new ProxyError("AWS_REQUEST_FAILED", `${failed}: ${name}: ${said}`, { cause: error });
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
