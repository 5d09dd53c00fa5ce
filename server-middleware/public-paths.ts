// Printable ASCII without "?", "#", "\" or "*": a path, not a URL or a pattern.
const exactPathPattern = /^\/[\x21-\x22\x24-\x29\x2b-\x3e\x40-\x5b\x5d-\x7e]*$/;

// A dot segment (literal or percent-encoded), an encoded slash or a backslash: a path that a
// later layer could normalise into something else. Such paths are never public, so a public
// prefix like "/static/*" cannot be used to reach "/static/../admin".
const ambiguousPath = /(?:^|\/)(?:\.|%2e){1,2}(?:\/|$)|%2f|%5c|\\/i;

/** Whether `path` is a plain path such as "/auth": no query, fragment, backslash or "*", not "//…". */
export function isExactPath(path: string): boolean {
  return exactPathPattern.test(path) && !path.startsWith("//");
}

/** Whether `pattern` is a valid publicPaths entry: an exact path, or a prefix written "/static/*". */
export function isPathPattern(pattern: string): boolean {
  if (!pattern.endsWith("/*")) return isExactPath(pattern);
  return pattern === "/*" || isExactPath(pattern.slice(0, -2));
}

/**
 * Whether a request path is served without a session: it equals one of `patterns`, or starts
 * with the part before `*` of a prefix pattern written `/static/*`.
 *
 * @example isPublicPath("/static/app.css", ["/static/*"]) // true
 */
export function isPublicPath(path: string, patterns: readonly string[]): boolean {
  if (ambiguousPath.test(path)) return false;
  return patterns.some((pattern) =>
    pattern.endsWith("/*") ? path.startsWith(pattern.slice(0, -1)) : path === pattern,
  );
}
