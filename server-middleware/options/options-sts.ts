import { normalizeAuthority } from "../../protocol/index.js";
import { describeSecret, describeValue as describe, isRecord } from "./describe-value.js";

/** What the STS method passes to `fetch`: always a GET of the checked presigned URL. */
export interface StsFetchInit {
  readonly method: "GET";
  readonly headers: Readonly<Record<string, string>>;
  readonly redirect: "manual";
  readonly signal: AbortSignal;
}

/** Sends the presigned request; Node's global `fetch` fits. Inject a fake in unit tests. */
export type StsFetch = (url: URL, init: StsFetchInit) => Promise<Response>;

/**
 * The STS method: the client presigns sts:GetCallerIdentity (binding this app's server-id
 * and the challenge's nonce as signed headers) and this server sends that request itself.
 * It proves who the caller is and hands the server nothing it could use as them; the server
 * needs no AWS credentials and no KMS key for it.
 */
export interface StsMethodOptions {
  /**
   * Required. This app's authority as clients address it: `host[:port]`, e.g. `"app.example.com"`
   * or `"127.0.0.1:3000"` (no scheme, no default port). Proofs are only good for this value:
   * the server sends it as the signed `x-iam-auth-server-id` header, so a proof made for
   * another app fails AWS's signature check.
   */
  readonly serverId: string;
  /** More STS host names to accept over https (e.g. a VPC endpoint), exact and lower-case. Default `[]`. */
  readonly extraStsHosts?: readonly string[];
  /**
   * TEST ONLY. An origin such as `"http://127.0.0.1:4566"` (a local STS) that proofs may
   * point at despite being http and not an AWS host. Default: none; never set it in production,
   * where it would let a client make this server trust whatever answers there.
   */
  readonly testStsEndpoint?: string;
  /** How long to wait for STS, in ms. Default 5000 (100 to 60000). */
  readonly timeoutMs?: number;
  /** How old a nonce and the proof's X-Amz-Date may be, and the largest X-Amz-Expires. Default and maximum 300 (5 min); at least 30. */
  readonly proofMaxAgeSeconds?: number;
  /** Key material for the challenge nonces (at least 32 characters). Default: derived from `sessionSecrets` with HKDF. */
  readonly nonceSecret?: string;
  /** Sends the proof's request. Default: Node's global `fetch`. */
  readonly fetch?: StsFetch;
}

/** The STS method's settings after validation. */
export interface ResolvedStsOptions {
  /** Normalised (lower-case, no default port). */
  readonly serverId: string;
  readonly extraStsHosts: readonly string[];
  /** The origin of `testStsEndpoint`, or undefined. */
  readonly testStsOrigin: string | undefined;
  readonly timeoutMs: number;
  readonly proofMaxAgeSeconds: number;
  readonly nonceSecret: string | undefined;
  readonly fetch: StsFetch;
}

export const DEFAULT_STS_TIMEOUT_MS = 5000;
export const MAX_PROOF_AGE_SECONDS = 300;
const MIN_PROOF_AGE_SECONDS = 30;
const MIN_NONCE_SECRET_LENGTH = 32;
const knownStsOptions = [
  "serverId",
  "extraStsHosts",
  "testStsEndpoint",
  "timeoutMs",
  "proofMaxAgeSeconds",
  "nonceSecret",
  "fetch",
];
const hostNamePattern =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;

/** Validates the `sts` option (already known to be present); pushes problems, returns undefined when invalid. */
export function readStsOptions(value: unknown, problems: string[]): ResolvedStsOptions | undefined {
  if (!isRecord(value)) {
    problems.push(`sts: must be an object with serverId (got ${describe(value)})`);
    return undefined;
  }
  const before = problems.length;
  for (const name of Object.keys(value)) {
    if (!knownStsOptions.includes(name)) {
      problems.push(`sts.${name}: unknown option (known: ${knownStsOptions.join(", ")})`);
    }
  }
  const serverId = readServerId(value.serverId, "sts.serverId", problems);
  const extraStsHosts = readExtraStsHosts(value.extraStsHosts, problems);
  const testStsOrigin = readTestStsEndpoint(value.testStsEndpoint, problems);
  const timeoutMs = readInteger(value, "timeoutMs", DEFAULT_STS_TIMEOUT_MS, [100, 60_000], problems);
  const proofMaxAgeSeconds = readInteger(
    value,
    "proofMaxAgeSeconds",
    MAX_PROOF_AGE_SECONDS,
    [MIN_PROOF_AGE_SECONDS, MAX_PROOF_AGE_SECONDS],
    problems,
  );
  const { nonceSecret, fetch: fetchOption } = value;
  if (
    nonceSecret !== undefined &&
    (typeof nonceSecret !== "string" || nonceSecret.length < MIN_NONCE_SECRET_LENGTH)
  ) {
    problems.push(
      `sts.nonceSecret: must be a string of at least ${MIN_NONCE_SECRET_LENGTH} characters (got ${describeSecret(nonceSecret)}, value not shown)`,
    );
  }
  if (fetchOption !== undefined && typeof fetchOption !== "function") {
    problems.push(`sts.fetch: must be a function (got ${describe(fetchOption)})`);
  }
  if (problems.length > before) return undefined;
  return Object.freeze({
    serverId: serverId as string,
    extraStsHosts: extraStsHosts as readonly string[],
    testStsOrigin,
    timeoutMs,
    proofMaxAgeSeconds,
    nonceSecret: nonceSecret as string | undefined,
    fetch: (fetchOption as StsFetch | undefined) ?? ((url, init) => fetch(url, init)),
  });
}

/** Validates a server-id option (`name` says which); returns it normalised, or undefined after pushing a problem. */
export function readServerId(value: unknown, name: string, problems: string[]): string | undefined {
  const normalized = typeof value === "string" ? normalizeAuthority(value, "http:") : undefined;
  if (normalized === undefined) {
    problems.push(
      `${name}: must be the app's host[:port] as clients address it, such as "app.example.com" or "127.0.0.1:3000" (got ${describe(value)})`,
    );
    return undefined;
  }
  // With an explicit default port, clients on the other scheme would sign a different string.
  const defaultPort = /:(80|443)$/.exec(value as string)?.[1];
  if (defaultPort !== undefined) {
    problems.push(
      `${name}: leave out the default port ${defaultPort} (got ${describe(value)}; write ${JSON.stringify(normalizeAuthority(value as string, defaultPort === "443" ? "https:" : "http:"))})`,
    );
    return undefined;
  }
  return normalized;
}

function readExtraStsHosts(value: unknown, problems: string[]): readonly string[] | undefined {
  if (value === undefined) return Object.freeze([]);
  if (!Array.isArray(value)) {
    problems.push(`sts.extraStsHosts: must be an array of host names (got ${describe(value)})`);
    return undefined;
  }
  let valid = true;
  (value as unknown[]).forEach((host, index) => {
    if (typeof host !== "string" || !hostNamePattern.test(host)) {
      problems.push(
        `sts.extraStsHosts[${index}]: must be a lower-case host name without a port, such as "sts.example.internal" (got ${describe(host)})`,
      );
      valid = false;
    }
  });
  return valid ? Object.freeze([...(value as string[])]) : undefined;
}

function readTestStsEndpoint(value: unknown, problems: string[]): string | undefined {
  if (value === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = typeof value === "string" ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (
    url === undefined ||
    (url.protocol !== "http:" && url.protocol !== "https:") ||
    url.username !== "" ||
    url.password !== "" ||
    url.pathname !== "/" ||
    url.search !== "" ||
    url.hash !== ""
  ) {
    problems.push(
      `sts.testStsEndpoint: must be an origin such as "http://127.0.0.1:4566" (test only) (got ${describe(value)})`,
    );
    return undefined;
  }
  return url.origin;
}

function readInteger(
  options: Record<string, unknown>,
  name: string,
  fallback: number,
  [min, max]: readonly [number, number],
  problems: string[],
): number {
  const value = options[name] ?? fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    problems.push(`sts.${name}: must be an integer from ${min} to ${max} (got ${describe(value)})`);
    return fallback;
  }
  return value;
}
