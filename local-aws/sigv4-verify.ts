/*
 * AWS Signature Version 4 verification, for both the Authorization header form and the
 * presigned (query string) form. The expected signature is recomputed with the SDK's own
 * SignatureV4 signer, fed exactly what the client signed, so this file never re-implements
 * the canonicalisation rules; it only parses, checks the rules AWS enforces around the
 * signature (scope, clock, expiry, session token, body hash) and compares in constant time.
 */

import { createHash, timingSafeEqual } from "node:crypto";
import { Hash } from "@smithy/hash-node";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import {
  authQueryParams,
  firstValue,
  formatAmzDate,
  mismatchMessage,
  parseAmzDate,
  parseSigV4Auth,
  SigV4Error,
  type ParsedAuth,
  type SignedHttpRequest,
} from "./sigv4-parse.js";

export { SigV4Error, formatAmzDate, type SignedHttpRequest, type SigV4ErrorCode } from "./sigv4-parse.js";

/** AWS rejects header-signed requests whose X-Amz-Date is more than 15 minutes off. */
const maxClockSkewMs = 15 * 60 * 1000;

/** What the verifier must know about an access key. */
export interface SigningSecret {
  readonly secretAccessKey: string;
  /** Set for temporary credentials: the request must carry exactly this token. */
  readonly sessionToken?: string;
  /** Set for temporary credentials: requests at or after this time fail with ExpiredSessionToken. */
  readonly expiresAt?: Date;
}

export interface VerifyOptions<T extends SigningSecret> {
  /** The signing name the credential scope must carry, e.g. "sts" or "kms". */
  readonly service: string;
  /** The verifier's current time. */
  readonly now: Date;
  /** Looks up an access key id; undefined when unknown. */
  readonly findSecret: (accessKeyId: string) => T | undefined;
}

export interface VerifiedRequest<T extends SigningSecret> {
  readonly accessKeyId: string;
  readonly secret: T;
  readonly region: string;
  readonly signingDate: Date;
  readonly form: "header" | "presigned";
}

/**
 * Verifies a SigV4-signed request and returns who signed it. Throws SigV4Error otherwise.
 *
 * @example
 * const { accessKeyId } = await verifySigV4(request, { service: "sts", now: new Date(), findSecret });
 */
export async function verifySigV4<T extends SigningSecret>(
  request: SignedHttpRequest,
  options: VerifyOptions<T>,
): Promise<VerifiedRequest<T>> {
  const auth = parseSigV4Auth(request);
  checkScope(auth, options.service);
  const secret = options.findSecret(auth.accessKeyId);
  if (secret === undefined)
    throw new SigV4Error("UnknownAccessKey", "The security token included in the request is invalid.");
  checkSessionToken(secret, auth.sessionToken);
  const signingDate = parseAmzDate(auth.amzDate);
  checkClock(signingDate, auth, options.now);
  checkBodyHash(request);
  const expected = await computeSignature(request, auth, secret, signingDate);
  const given = Buffer.from(auth.signature, "utf8");
  const wanted = Buffer.from(expected, "utf8");
  if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) {
    throw new SigV4Error("SignatureMismatch", mismatchMessage);
  }
  if (secret.expiresAt !== undefined && options.now.getTime() >= secret.expiresAt.getTime()) {
    throw new SigV4Error("ExpiredSessionToken", "The security token included in the request is expired");
  }
  return {
    accessKeyId: auth.accessKeyId,
    secret,
    region: auth.region,
    signingDate,
    form: auth.expiresIn === undefined ? "header" : "presigned",
  };
}

/** The scope pins the key derivation to a day, region and service; a mismatch is a signature error. */
function checkScope(auth: ParsedAuth, service: string): void {
  if (!/^\d{8}T\d{6}Z$/.test(auth.amzDate)) {
    throw new SigV4Error(
      "IncompleteSignature",
      "X-Amz-Date must be in the ISO8601 basic format yyyyMMdd'T'HHmmss'Z'.",
    );
  }
  if (auth.shortDate !== auth.amzDate.slice(0, 8)) {
    throw new SigV4Error(
      "SignatureMismatch",
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: ` +
        `'${auth.shortDate}' != '${auth.amzDate.slice(0, 8)}', from '${auth.amzDate}'.`,
    );
  }
  if (auth.service !== service) {
    throw new SigV4Error(
      "SignatureMismatch",
      `Credential should be scoped to correct service: '${service}'.`,
    );
  }
  if (!auth.signedHeaders.includes("host")) {
    throw new SigV4Error("SignatureMismatch", "'Host' must be a 'SignedHeader' in the AWS Authorization.");
  }
}

/** Temporary keys are only valid with their own token; long-term keys with none. */
function checkSessionToken(secret: SigningSecret, given: string | undefined): void {
  const expected = secret.sessionToken;
  if (expected === undefined && given === undefined) return;
  if (expected === undefined || given === undefined || !equalSecrets(expected, given)) {
    throw new SigV4Error("InvalidSessionToken", "The security token included in the request is invalid.");
  }
}

function checkClock(signingDate: Date, auth: ParsedAuth, now: Date): void {
  const skew = signingDate.getTime() - now.getTime();
  if (skew > maxClockSkewMs) {
    throw new SigV4Error(
      "SignatureExpired",
      `Signature not yet current: ${auth.amzDate} is still later than ${formatAmzDate(new Date(now.getTime() + maxClockSkewMs))} ` +
        `(${formatAmzDate(now)} + 15 min.)`,
    );
  }
  // Header-signed: valid for 15 minutes either side. Presigned: valid until date + X-Amz-Expires.
  const lifetimeMs = auth.expiresIn === undefined ? maxClockSkewMs : auth.expiresIn * 1000;
  if (-skew > lifetimeMs) {
    const span = auth.expiresIn === undefined ? "15 min." : `${auth.expiresIn} sec.`;
    throw new SigV4Error(
      "SignatureExpired",
      `Signature expired: ${auth.amzDate} is now earlier than ${formatAmzDate(new Date(now.getTime() - lifetimeMs))} ` +
        `(${formatAmzDate(now)} - ${span})`,
    );
  }
}

/** When the client declared the body's hash, the body must have exactly that hash. */
function checkBodyHash(request: SignedHttpRequest): void {
  const declared = request.headers["x-amz-content-sha256"];
  if (declared === undefined) return;
  const actual = createHash("sha256").update(request.body).digest("hex");
  if (declared.toLowerCase() !== actual) {
    throw new SigV4Error(
      "SignatureMismatch",
      "The provided 'x-amz-content-sha256' header does not match what was computed.",
    );
  }
}

async function computeSignature(
  request: SignedHttpRequest,
  auth: ParsedAuth,
  secret: SigningSecret,
  signingDate: Date,
): Promise<string> {
  // Only the headers the client signed, so the signer sees exactly the client's canonical request.
  const headers = Object.create(null) as Record<string, string>;
  for (const name of auth.signedHeaders) {
    const value = request.headers[name];
    if (value === undefined) throw new SigV4Error("SignatureMismatch", mismatchMessage);
    headers[name] = value;
  }
  const tokenSigned = auth.expiresIn !== undefined || auth.signedHeaders.includes("x-amz-security-token");
  const signer = new SignatureV4({
    credentials: {
      accessKeyId: auth.accessKeyId,
      secretAccessKey: secret.secretAccessKey,
      ...(tokenSigned && auth.sessionToken !== undefined ? { sessionToken: auth.sessionToken } : {}),
    },
    region: auth.region,
    service: auth.service,
    sha256: Hash.bind(null, "sha256"),
    applyChecksum: false,
  });
  const signableHeaders = new Set(auth.signedHeaders);
  const common = { signingDate, signableHeaders, signingRegion: auth.region, signingService: auth.service };
  if (auth.expiresIn !== undefined) {
    const unsigned = toUnsignedRequest(request, headers, (name) => !authQueryParams.includes(name));
    // Signed x-amz-* headers stayed headers on the client, so they must not be hoisted into the query.
    const unhoistableHeaders = new Set(auth.signedHeaders.filter((h) => h.startsWith("x-amz-")));
    const presigned = await signer.presign(unsigned, {
      ...common,
      expiresIn: auth.expiresIn,
      unhoistableHeaders,
    });
    return firstValue(presigned.query?.["X-Amz-Signature"]) ?? "";
  }
  const unsigned = toUnsignedRequest(request, headers, () => true);
  const signed = await signer.sign(unsigned, common);
  const authorization = signed.headers.authorization ?? "";
  return /Signature=([0-9a-f]+)$/.exec(authorization)?.[1] ?? "";
}

/** The client's request as the signer takes it: the signed headers only, and the query parameters `keep` keeps. */
function toUnsignedRequest(
  request: SignedHttpRequest,
  headers: Record<string, string>,
  keep: (name: string) => boolean,
): HttpRequest {
  const query = Object.create(null) as Record<string, string | string[]>;
  for (const [name, value] of Object.entries(request.query)) {
    if (keep(name)) query[name] = typeof value === "string" ? value : [...value];
  }
  return new HttpRequest({ method: request.method, path: request.path, query, headers, body: request.body });
}

function equalSecrets(a: string, b: string): boolean {
  // Hash first so the comparison is constant-time regardless of lengths.
  const ha = createHash("sha256").update(a).digest();
  const hb = createHash("sha256").update(b).digest();
  return timingSafeEqual(ha, hb);
}
