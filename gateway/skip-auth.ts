/*
 * Skip-auth rules: requests the gateway passes to the app without a session (a health check,
 * static assets, a webhook with its own signature). Matched against the method and the path
 * only — never the query, the fragment or a forwarded header, which the client controls.
 */

/** One rule, parsed from `[METHOD[,METHOD…]] /path` or `[…] /prefix/*`. */
export interface SkipAuthRule {
  /** Upper-case methods; undefined: any method. */
  readonly methods: readonly string[] | undefined;
  /** The path, or the prefix when `prefix` (ending with `/`). */
  readonly path: string;
  readonly prefix: boolean;
  /** The rule as written, for logs and errors. */
  readonly source: string;
}

const methodPattern = /^[A-Z]+$/;

/**
 * Parses one rule; a bad rule is reported to `problems` (naming `option`) and gives undefined.
 *
 * @example parseSkipAuthRule("GET,HEAD /static/*", "skipAuth", problems) // { methods: ["GET", "HEAD"], path: "/static/", prefix: true, … }
 */
export function parseSkipAuthRule(
  text: unknown,
  option: string,
  problems: string[],
): SkipAuthRule | undefined {
  const parts = typeof text === "string" ? text.trim().split(/\s+/) : [];
  const [first, second, ...rest] = parts;
  const [methodsText, pathText] = second === undefined ? [undefined, first] : [first, second];
  const bad = (reason: string): undefined => {
    problems.push(
      `${option}: ${reason} (got ${JSON.stringify(text)}); write e.g. "GET /healthz" or "/static/*"`,
    );
    return undefined;
  };
  if (pathText === undefined || rest.length > 0) return bad("one optional method list and one path");
  const methods = methodsText?.split(",");
  if (methods !== undefined && !methods.every((m) => methodPattern.test(m))) {
    return bad("methods are upper-case words separated by commas");
  }
  const prefix = pathText.endsWith("/*");
  const path = prefix ? pathText.slice(0, -1) : pathText;
  if (!isCanonicalPath(path) || path.includes("*")) {
    return bad(
      "the path must start with / and have no query, fragment, '.' or '..' segments, '//', '\\' or percent-encoding",
    );
  }
  return Object.freeze({ methods: methods && Object.freeze(methods), path, prefix, source: String(text) });
}

/**
 * Whether a request path is in the one spelling every server reads the same way: no dot
 * segments, no empty segments, no backslash, no percent-encoding at all. A skip rule never
 * matches another spelling: `/static/../admin` or `/static/%2e%2e/admin` would match the prefix
 * `/static/` here while the app serves `/admin`.
 */
export function isCanonicalPath(path: string): boolean {
  if (!path.startsWith("/") || path.includes("//") || /[\\%?#\s\x00-\x1f\x7f]/.test(path)) return false;
  return path.split("/").every((segment) => segment !== "." && segment !== "..");
}

/**
 * Whether a request (its method and raw path, before any decoding) is let through without a session.
 *
 * @example skipsAuth(rules, "GET", "/healthz")
 */
export function skipsAuth(rules: readonly SkipAuthRule[], method: string, path: string): boolean {
  if (rules.length === 0 || !isCanonicalPath(path)) return false;
  return rules.some(
    (rule) =>
      (rule.methods === undefined || rule.methods.includes(method)) &&
      (rule.prefix ? path.startsWith(rule.path) : path === rule.path),
  );
}
