import type { IncomingHttpHeaders } from "node:http";
import type { IamIdentity } from "../server-middleware/index.js";

/** The request headers that carry the identity to the app. Names are matched without case. */
export interface IdentityHeaderNames {
  /** The ARN, under the name most apps and proxies already read. Default `X-Forwarded-User`. */
  readonly user: string;
  /** Default `X-Iam-Auth-Arn`. */
  readonly arn: string;
  /** Default `X-Iam-Auth-Account`. */
  readonly account: string;
  /** Default `X-Iam-Auth-User-Id`. */
  readonly userId: string;
  /** The signed identity assertion (a JWT). Default `X-Iam-Auth-Assertion`. */
  readonly assertion: string;
}

export const DEFAULT_IDENTITY_HEADERS: IdentityHeaderNames = Object.freeze({
  user: "X-Forwarded-User",
  arn: "X-Iam-Auth-Arn",
  account: "X-Iam-Auth-Account",
  userId: "X-Iam-Auth-User-Id",
  assertion: "X-Iam-Auth-Assertion",
});

// Every header in this namespace is the gateway's to set, whatever the names configured.
const reservedPrefix = "x-iam-auth-";

/**
 * A header name as an app may read it: lower case, with `_` read as `-`. Many servers (CGI and
 * WSGI environ, Rack, PHP) turn both `X-Forwarded-User` and `X_Forwarded_User` into the same
 * `HTTP_X_FORWARDED_USER`, so a client could slip a copy past a check of the exact name.
 */
function normalizeHeaderName(name: string): string {
  return name.toLowerCase().replaceAll("_", "-");
}

/** Whether a header name must be a valid HTTP token, as the names given as options must be. */
const tokenPattern = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Checks configured header names, reporting each bad one to `problems` as `option: reason`.
 *
 * @example checkIdentityHeaderNames({ ...DEFAULT_IDENTITY_HEADERS, user: "X User" }, "identityHeaders", problems)
 */
export function checkIdentityHeaderNames(
  names: IdentityHeaderNames,
  option: string,
  problems: string[],
): void {
  const seen = new Map<string, string>();
  for (const [key, name] of Object.entries(names) as [keyof IdentityHeaderNames, string][]) {
    if (typeof name !== "string" || !tokenPattern.test(name)) {
      problems.push(
        `${option}.${key}: must be an HTTP header name such as X-Iam-Auth-Arn (got ${JSON.stringify(name)})`,
      );
      continue;
    }
    const normalized = normalizeHeaderName(name);
    const other = seen.get(normalized);
    if (other !== undefined)
      problems.push(`${option}.${key}: the same header as ${option}.${other} (${name})`);
    seen.set(normalized, key);
  }
}

/**
 * Creates the function that removes every client-supplied copy of the identity headers from a
 * request about to be proxied: the configured names and the whole `X-Iam-Auth-*` namespace, in
 * any case and with `_` for `-`. Node lowercases `headers` keys; `_` variants stay as sent.
 */
export function createIdentityHeaderStripper(
  names: IdentityHeaderNames,
): (headers: IncomingHttpHeaders) => string[] {
  const reserved = new Set(Object.values(names).map(normalizeHeaderName));
  return (headers) => {
    const removed: string[] = [];
    for (const name of Object.keys(headers)) {
      const normalized = normalizeHeaderName(name);
      if (reserved.has(normalized) || normalized.startsWith(reservedPrefix)) {
        delete headers[name];
        removed.push(name);
      }
    }
    return removed;
  };
}

/**
 * The identity headers for `identity`, names in lower case: set on the request passed to the app,
 * or on the answer to a forward-auth check (nginx copies them from there).
 */
export function identityHeaderValues(
  names: IdentityHeaderNames,
  identity: IamIdentity,
  assertion: string,
): [name: string, value: string][] {
  return [
    [names.user.toLowerCase(), identity.arn],
    [names.arn.toLowerCase(), identity.arn],
    [names.account.toLowerCase(), identity.account],
    [names.userId.toLowerCase(), identity.userId],
    [names.assertion.toLowerCase(), assertion],
  ];
}

/** Sets the identity headers on a request about to be proxied (after the stripper ran). */
export function setIdentityHeaders(
  headers: IncomingHttpHeaders,
  names: IdentityHeaderNames,
  identity: IamIdentity,
  assertion: string,
): void {
  for (const [name, value] of identityHeaderValues(names, identity, assertion)) headers[name] = value;
}
