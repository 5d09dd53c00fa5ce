import { DEFAULT_PROOF_HEADER } from "../../protocol/index.js";
import { describeValue as describe, isRecord } from "./describe-value.js";

/**
 * Proofs in a request header (`Authorization: IAM <token>`), for clients that keep no cookies:
 * scripts, CLIs, services. The proof is checked exactly as at `authPath` (one-time, counted by
 * the failed sign-in limit) and that one request is served as the proven identity.
 */
export interface HeaderProofOptions {
  /**
   * The request header the proof is read from, for apps whose `Authorization` carries something
   * else (a header whose value does not start with `IAM ` is left alone either way). Default
   * `authorization`. Not a header with a meaning of its own to HTTP (Cookie, Host, Content-*, …).
   */
  readonly header?: string;
  /**
   * Also start a cookie session, so the client's next requests need no proof. Default `false`:
   * clients that send header proofs rarely keep cookies, and a session nobody uses is one more
   * credential lying around.
   */
  readonly startSession?: boolean;
}

/** The header proof after validation; `false` when the app turned it off. */
export type ResolvedHeaderProof = false | { readonly header: string; readonly startSession: boolean };

// RFC 9110 §5.6.2: a field name is a token.
const headerNamePattern = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,64}$/;
/**
 * Fields HTTP itself, the connection or the session give a meaning: a proof in one of them would
 * be dropped, merged or acted on by something before this middleware, or clash with the session.
 */
const reservedHeaders = new Set([
  "connection",
  "content-length",
  "content-type",
  "content-encoding",
  "cookie",
  "expect",
  "host",
  "keep-alive",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/**
 * Reads `headerProof`: `false` (off), or `{ header, startSession }`, each defaulted. Problems are
 * appended to `problems`, naming the option and the bad value.
 */
export function readHeaderProof(value: unknown, problems: string[]): ResolvedHeaderProof | undefined {
  if (value === false) return false;
  if (value !== undefined && !isRecord(value)) {
    problems.push(`headerProof: must be false or { header, startSession } (got ${describe(value)})`);
    return undefined;
  }
  const input = value ?? {};
  let valid = true;
  for (const name of Object.keys(input)) {
    if (name !== "header" && name !== "startSession") {
      problems.push(`headerProof.${name}: unknown option (known: header, startSession)`);
      valid = false;
    }
  }
  const header = input.header ?? DEFAULT_PROOF_HEADER;
  if (typeof header !== "string" || !headerNamePattern.test(header)) {
    problems.push(
      `headerProof.header: must be an HTTP header name such as "authorization" (got ${describe(header)})`,
    );
    valid = false;
  } else if (reservedHeaders.has(header.toLowerCase()) || header.toLowerCase().startsWith("content-")) {
    problems.push(
      `headerProof.header: ${JSON.stringify(header)} has a meaning of its own in HTTP; name another header, e.g. "x-iam-proof"`,
    );
    valid = false;
  }
  const startSession = input.startSession ?? false;
  if (typeof startSession !== "boolean") {
    problems.push(`headerProof.startSession: must be true or false (got ${describe(startSession)})`);
    valid = false;
  }
  return valid
    ? Object.freeze({ header: (header as string).toLowerCase(), startSession: startSession as boolean })
    : undefined;
}
