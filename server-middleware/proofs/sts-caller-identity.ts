import { NONCE_HEADER, parseArn, SERVER_ID_HEADER } from "../../protocol/index.js";
import { IamAuthError } from "../errors.js";
import type { IamIdentity } from "../identity.js";
import type { StsFetch } from "../options/options-sts.js";

/** What sending one checked presigned GetCallerIdentity needs. */
export interface CallerIdentityRequest {
  /** The URL that passed checkPresignedCallerIdentity: sent exactly as checked. */
  readonly url: URL;
  /** This server's own configured server-id (never anything from the request). */
  readonly serverId: string;
  /** The nonce of the proof, already verified and claimed. */
  readonly nonce: string;
  readonly fetch: StsFetch;
  readonly timeoutMs: number;
}

/** STS answers are small; anything bigger is not STS. */
const MAX_RESPONSE_BYTES = 64 * 1024;
const throttlingCodes = new Set(["Throttling", "ThrottlingException", "RequestLimitExceeded"]);

/**
 * Sends the presigned sts:GetCallerIdentity with the two bound headers and returns the
 * identity AWS reports. The signature covers `x-iam-auth-server-id` and `x-iam-auth-nonce`,
 * so AWS accepts the request only if the client signed this server's id and this nonce.
 * Redirects are not followed. Throws IamAuthError: STS_PROOF_REFUSED (AWS said 4xx),
 * STS_THROTTLED, STS_UNAVAILABLE (network, timeout, 5xx) or STS_BAD_RESPONSE.
 *
 * @example await fetchCallerIdentity({ url, serverId: "app.example.com", nonce, fetch, timeoutMs: 5000 })
 * // { arn: "arn:aws:iam::111122223333:user/alice", account: "111122223333", userId: "AIDA…" }
 */
export async function fetchCallerIdentity(request: CallerIdentityRequest): Promise<IamIdentity> {
  const signal = AbortSignal.timeout(request.timeoutMs);
  let status: number;
  let body: string;
  try {
    const response = await request.fetch(request.url, {
      method: "GET",
      headers: {
        [SERVER_ID_HEADER]: request.serverId,
        [NONCE_HEADER]: request.nonce,
        accept: "application/json",
      },
      redirect: "manual",
      signal,
    });
    status = response.status;
    body = await readLimited(response);
  } catch (error) {
    if (error instanceof IamAuthError) throw error;
    if (signal.aborted) {
      throw new IamAuthError("STS_UNAVAILABLE", `AWS STS did not answer within ${request.timeoutMs} ms`, {
        cause: error,
      });
    }
    // fetch reports network errors as TypeError("fetch failed") with the errno error as cause.
    const cause = error instanceof Error && error.cause !== undefined ? error.cause : error;
    throw new IamAuthError("STS_UNAVAILABLE", "AWS STS could not be reached or failed; try again later", {
      cause,
    });
  }
  if (status === 200) return parseIdentity(body);
  if (status >= 300 && status < 400) {
    // STS never redirects; following one would send the proof's headers to wherever it points.
    throw new IamAuthError(
      "STS_BAD_RESPONSE",
      `AWS STS answered with a redirect (HTTP ${status}); it was not followed`,
    );
  }
  if (status >= 400 && status < 500) {
    const code = readErrorCode(body);
    if (status === 429 || (code !== undefined && throttlingCodes.has(code))) {
      throw new IamAuthError("STS_THROTTLED", "AWS STS is throttling requests; try again shortly");
    }
    throw new IamAuthError("STS_PROOF_REFUSED", `AWS STS rejected the proof (${code ?? `HTTP ${status}`})`);
  }
  throw new IamAuthError("STS_UNAVAILABLE", `AWS STS failed (HTTP ${status}); try again later`);
}

async function readLimited(response: Response): Promise<string> {
  if (response.body === null) return "";
  // Node types the body as ReadableStream<any>; fetch bodies are bytes.
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > MAX_RESPONSE_BYTES) {
      await reader.cancel();
      throw new IamAuthError(
        "STS_BAD_RESPONSE",
        `AWS STS answered with more than ${MAX_RESPONSE_BYTES} bytes`,
      );
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * Reads `GetCallerIdentityResponse.GetCallerIdentityResult` of AWS's JSON reply: Arn, Account
 * and UserId must be non-empty strings, the ARN must parse and name the same account.
 */
function parseIdentity(body: string): IamIdentity {
  const unreadable = (why: string): IamAuthError =>
    new IamAuthError("STS_BAD_RESPONSE", `AWS STS returned an unreadable identity: ${why}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw unreadable("not JSON");
  }
  const result = field(field(parsed, "GetCallerIdentityResponse"), "GetCallerIdentityResult");
  const arn = field(result, "Arn");
  const account = field(result, "Account");
  const userId = field(result, "UserId");
  if (typeof arn !== "string" || typeof account !== "string" || typeof userId !== "string" || userId === "") {
    throw unreadable("Arn, Account or UserId is missing");
  }
  let arnAccount: string;
  try {
    arnAccount = parseArn(arn).account;
  } catch (error) {
    throw new IamAuthError(
      "STS_BAD_RESPONSE",
      "AWS STS returned an unreadable identity: the ARN does not parse",
      {
        cause: error,
      },
    );
  }
  if (arnAccount !== account) throw unreadable("the ARN is not in the account it reports");
  return Object.freeze({ arn, account, userId });
}

function field(value: unknown, name: string): unknown {
  return typeof value === "object" && value !== null && !Array.isArray(value) && Object.hasOwn(value, name)
    ? (value as Record<string, unknown>)[name]
    : undefined;
}

/** The AWS error code of an error reply (JSON `{"Error":{"Code":…}}`, or the XML form), if any. */
function readErrorCode(body: string): string | undefined {
  let code: unknown;
  try {
    code = field(field(JSON.parse(body), "Error"), "Code");
  } catch {
    code = /<Code>([^<]{1,64})<\/Code>/.exec(body)?.[1];
  }
  return typeof code === "string" && /^[A-Za-z][\w.]{0,63}$/.test(code) ? code : undefined;
}
