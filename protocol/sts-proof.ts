import { ProtocolError } from "./errors.js";
import { isAwsStsHost, regionOfStsHost } from "./sts-hosts.js";

/** Prefix of an STS-method token; KMS tokens are base64 (after `kms1.` when bound), which never contains ".". */
export const STS_PROOF_PREFIX = "sts1.";
/** Signed header that binds a proof to one app: its server-id. */
export const SERVER_ID_HEADER = "x-iam-auth-server-id";
/** Signed header that binds a proof to one challenge: its nonce. */
export const NONCE_HEADER = "x-iam-auth-nonce";
/** Largest STS token accepted (a presigned URL with a long SSO session token fits easily). */
export const MAX_STS_PROOF_LENGTH = 8192;
/** Headers a proof must sign: exactly these. */
export const STS_PROOF_SIGNED_HEADERS = ["host", NONCE_HEADER, SERVER_ID_HEADER] as const;

const requiredQueryKeys = [
  "Action",
  "Version",
  "X-Amz-Algorithm",
  "X-Amz-Credential",
  "X-Amz-Date",
  "X-Amz-Expires",
  "X-Amz-SignedHeaders",
  "X-Amz-Signature",
] as const;
const optionalQueryKeys = ["X-Amz-Security-Token"] as const;
const allowedQueryKeys: ReadonlySet<string> = new Set([...requiredQueryKeys, ...optionalQueryKeys]);
const nonceFormat = /^[A-Za-z0-9_-]{16,256}$/;
const amzDateFormat = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** The two parts of an STS token: the challenge's nonce and the presigned request. */
export interface StsProof {
  readonly nonce: string;
  readonly presignedUrl: string;
}

/**
 * Token format: `sts1.<nonce>.<base64url of the presigned GetCallerIdentity URL>`.
 *
 * @example formatStsProof("n0nce-from-challenge", "https://sts.us-east-1.amazonaws.com/?Action=…")
 */
export function formatStsProof(proof: StsProof): string {
  return `${STS_PROOF_PREFIX}${proof.nonce}.${Buffer.from(proof.presignedUrl, "utf8").toString("base64url")}`;
}

/** True when a token claims to be an STS proof (it may still be malformed). */
export function isStsProofToken(token: string): boolean {
  return token.startsWith(STS_PROOF_PREFIX);
}

/** Splits an STS token; throws ProtocolError STS_PROOF_MALFORMED. */
export function parseStsProof(token: string): StsProof {
  const malformed = (why: string): ProtocolError =>
    new ProtocolError("STS_PROOF_MALFORMED", `The STS proof is malformed: ${why}`);
  if (token.length > MAX_STS_PROOF_LENGTH) throw malformed(`longer than ${MAX_STS_PROOF_LENGTH} characters`);
  if (!isStsProofToken(token)) throw malformed(`it does not start with "${STS_PROOF_PREFIX}"`);
  const [nonce, encodedUrl, extra] = token.slice(STS_PROOF_PREFIX.length).split(".");
  if (nonce === undefined || encodedUrl === undefined || extra !== undefined) {
    throw malformed("expected sts1.<nonce>.<url>");
  }
  if (!nonceFormat.test(nonce)) throw malformed("the nonce is not a nonce");
  if (!/^[A-Za-z0-9_-]+$/.test(encodedUrl)) throw malformed("the URL is not base64url");
  // One proof, one spelling: Node's decoder ignores trailing bits and a dangling character, so
  // "…Lw" and "…Lwx" decode alike. Only the canonical encoding of valid UTF-8 is a proof.
  const bytes = Buffer.from(encodedUrl, "base64url");
  if (bytes.toString("base64url") !== encodedUrl) throw malformed("the URL is not canonical base64url");
  let presignedUrl: string;
  try {
    presignedUrl = strictUtf8.decode(bytes);
  } catch {
    throw malformed("the URL is not UTF-8");
  }
  return { nonce, presignedUrl };
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Reads a decimal count as AWS writes it: ASCII digits only, no sign, exponent, hex, spaces,
 * fraction or leading zeros (so "60" has one spelling and `Number()`'s leniency, which reads
 * "1e2", "0x3c", " 60" and "60.0" as numbers, never applies). Undefined when it is not one.
 *
 * @example parseDecimal("60") // 60; parseDecimal("060") // undefined
 */
function parseDecimal(value: string | undefined): number | undefined {
  if (value === undefined || !/^(?:0|[1-9][0-9]{0,14})$/.test(value)) return undefined;
  return Number(value);
}

/** Rules for checkPresignedCallerIdentity. */
export interface PresignedCallRules {
  readonly now: Date;
  /** How old X-Amz-Date may be (the nonce lifetime bounds it too). */
  readonly maxAgeSeconds: number;
  /** How far in the future X-Amz-Date may be (clock skew). */
  readonly maxFutureSkewSeconds: number;
  /** Extra hosts allowed with https (exact, lower-case, no port). */
  readonly extraStsHosts: readonly string[];
  /** Exact origins (e.g. a local test STS on http://127.0.0.1:4566) allowed despite scheme and host. */
  readonly testOrigins: readonly string[];
}

/** What a presigned call that passed every check is. */
export interface CheckedPresignedCall {
  readonly url: URL;
  readonly accessKeyId: string;
  readonly region: string;
  readonly signedAt: Date;
}

/**
 * Checks a presigned sts:GetCallerIdentity URL before the server sends it anywhere.
 * Each rule closes a known hole; docs/protocol.md lists them. Throws ProtocolError STS_PROOF_REJECTED.
 */
export function checkPresignedCallerIdentity(
  presignedUrl: string,
  rules: PresignedCallRules,
): CheckedPresignedCall {
  const reject = (why: string): ProtocolError =>
    new ProtocolError("STS_PROOF_REJECTED", `The STS proof is rejected: ${why}`);
  let url: URL;
  try {
    url = new URL(presignedUrl);
  } catch {
    throw reject("it is not a URL");
  }
  if (url.username !== "" || url.password !== "" || url.hash !== "")
    throw reject("the URL has userinfo or a fragment");
  const isTestOrigin = rules.testOrigins.includes(url.origin);
  if (!isTestOrigin) {
    if (url.protocol !== "https:") throw reject("the URL is not https");
    if (url.port !== "") throw reject("the URL names a port");
    if (!isAwsStsHost(url.hostname) && !rules.extraStsHosts.includes(url.hostname)) {
      throw reject(`${JSON.stringify(url.hostname.slice(0, 100))} is not an AWS STS endpoint`);
    }
  }
  if (url.pathname !== "/") throw reject('the path is not "/"');
  const query = readQueryOnce(url, reject);
  if (query.get("Action") !== "GetCallerIdentity") throw reject("Action is not GetCallerIdentity");
  if (query.get("Version") !== "2011-06-15") throw reject("Version is not 2011-06-15");
  if (query.get("X-Amz-Algorithm") !== "AWS4-HMAC-SHA256")
    throw reject("X-Amz-Algorithm is not AWS4-HMAC-SHA256");
  const signedHeaders = (query.get("X-Amz-SignedHeaders") ?? "").split(";");
  if (signedHeaders.join(";") !== STS_PROOF_SIGNED_HEADERS.join(";")) {
    throw reject(`X-Amz-SignedHeaders must be ${STS_PROOF_SIGNED_HEADERS.join(";")}`);
  }
  const signedAt = parseAmzDate(query.get("X-Amz-Date") ?? "");
  if (signedAt === undefined) throw reject("X-Amz-Date is not a date");
  const ageSeconds = (rules.now.getTime() - signedAt.getTime()) / 1000;
  if (ageSeconds > rules.maxAgeSeconds) throw reject("it was signed too long ago");
  if (-ageSeconds > rules.maxFutureSkewSeconds) throw reject("it is signed in the future");
  const expires = parseDecimal(query.get("X-Amz-Expires"));
  if (expires === undefined || expires < 1 || expires > rules.maxAgeSeconds) {
    throw reject(`X-Amz-Expires must be 1..${rules.maxAgeSeconds} seconds`);
  }
  if (ageSeconds > expires) throw reject("the presigned request has expired");
  const [accessKeyId, scopeDate, region, service, terminator, ...rest] = (
    query.get("X-Amz-Credential") ?? ""
  ).split("/");
  if (
    accessKeyId === undefined ||
    !/^[A-Z0-9]{16,128}$/.test(accessKeyId) ||
    rest.length > 0 ||
    terminator !== "aws4_request"
  ) {
    throw reject("X-Amz-Credential is malformed");
  }
  if (service !== "sts") throw reject("it is not signed for STS");
  if (scopeDate !== query.get("X-Amz-Date")?.slice(0, 8))
    throw reject("the credential scope date is not X-Amz-Date's");
  const hostRegion = isTestOrigin ? undefined : regionOfStsHost(url.hostname);
  if (
    region === undefined ||
    !/^[a-z0-9-]{1,32}$/.test(region) ||
    (hostRegion !== undefined && hostRegion !== region)
  ) {
    throw reject("the signing region does not match the STS endpoint");
  }
  return { url, accessKeyId, region, signedAt };
}

// Each key must appear once, compared case-insensitively: servers that read the first copy and
// services that read the last disagree about what was signed (CVE-2022-2385 in aws-iam-authenticator).
function readQueryOnce(url: URL, reject: (why: string) => ProtocolError): Map<string, string> {
  const seen = new Set<string>();
  const values = new Map<string, string>();
  for (const [key, value] of url.searchParams) {
    const folded = key.toLowerCase();
    if (seen.has(folded)) throw reject(`query parameter ${JSON.stringify(key.slice(0, 40))} is repeated`);
    seen.add(folded);
    if (!allowedQueryKeys.has(key))
      throw reject(`unexpected query parameter ${JSON.stringify(key.slice(0, 40))}`);
    values.set(key, value);
  }
  for (const key of requiredQueryKeys)
    if (!values.has(key)) throw reject(`query parameter ${key} is missing`);
  return values;
}

function parseAmzDate(value: string): Date | undefined {
  const match = amzDateFormat.exec(value);
  if (match === null) return undefined;
  const [, y, mo, d, h, mi, s] = match.map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  return date.getUTCMonth() === mo - 1 && date.getUTCDate() === d ? date : undefined;
}
