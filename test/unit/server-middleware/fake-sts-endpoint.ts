import { formatStsProof } from "../../../protocol/index.js";
import type { StsFetch, StsFetchInit } from "../../../server-middleware/index.js";
import { ACCOUNT_ID, ALICE_ARN } from "./fake-aws.js";

export const STS_ORIGIN = "https://sts.us-east-1.amazonaws.com";
export const PROOF_KEY_ID = "AKIAALICEEXAMPLE0001";
export const ALICE_USER_ID = "AIDAALICEEXAMPLE00001";

/** One request the middleware sent to STS. */
export interface RecordedStsRequest {
  readonly url: string;
  readonly init: StsFetchInit;
}

/**
 * A stand-in for the STS endpoint a presigned GetCallerIdentity goes to: records every
 * request and answers with `respond` (default: alice's identity as AWS's JSON). It never
 * touches the network, so a test cannot reach AWS by accident.
 */
export class FakeStsEndpoint {
  readonly requests: RecordedStsRequest[] = [];
  respond: (request: RecordedStsRequest) => Response | Promise<Response> = () =>
    identityResponse({ Arn: ALICE_ARN, Account: ACCOUNT_ID, UserId: ALICE_USER_ID });

  readonly fetch: StsFetch = (url, init) => {
    const request = { url: url.href, init };
    this.requests.push(request);
    return Promise.resolve(this.respond(request));
  };
}

/** AWS's JSON answer to GetCallerIdentity. */
export function identityResponse(result: Record<string, unknown>): Response {
  return Response.json({
    GetCallerIdentityResponse: {
      GetCallerIdentityResult: result,
      ResponseMetadata: { RequestId: "00000000-0000-0000-0000-000000000000" },
    },
  });
}

/** AWS's JSON error document. */
export function errorResponse(status: number, code: string, message = "message"): Response {
  return Response.json(
    { Error: { Type: "Sender", Code: code, Message: message }, RequestId: "0000" },
    { status },
  );
}

/** X-Amz-Date format of a time. */
export function amzDate(time: Date): string {
  return time
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
}

/**
 * A presigned GetCallerIdentity URL that passes the middleware's own checks at `signedAt`
 * (its signature is not real: the fake endpoint does not verify it). `extra` is appended raw.
 */
export function presignedUrl(
  signedAt: Date,
  options: { origin?: string; extra?: string; overrides?: Record<string, string> } = {},
): string {
  const date = amzDate(signedAt);
  const params = new URLSearchParams({
    Action: "GetCallerIdentity",
    Version: "2011-06-15",
    "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
    "X-Amz-Credential": `${PROOF_KEY_ID}/${date.slice(0, 8)}/us-east-1/sts/aws4_request`,
    "X-Amz-Date": date,
    "X-Amz-Expires": "60",
    "X-Amz-SignedHeaders": "host;x-iam-auth-nonce;x-iam-auth-server-id",
    "X-Amz-Signature": "0".repeat(64),
    ...options.overrides,
  });
  return `${options.origin ?? STS_ORIGIN}/?${params.toString()}${options.extra ?? ""}`;
}

/** An STS-method token for `nonce` and a presigned URL. */
export function stsToken(nonce: string, url: string): string {
  return formatStsProof({ nonce, presignedUrl: url });
}
