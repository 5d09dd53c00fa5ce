/**
 * What is wrong with a Redis URL given as `option` (named in the message), or undefined when it
 * is fine: only `redis://` and `rediss://` (TLS) with a host. The message never shows the URL's
 * password (see `redactRedisUrl`).
 *
 * @example describeRedisUrlProblem("--redis-url", "http://cache:6379") // "--redis-url: must be a redis:// or rediss:// URL … (got \"http://cache:6379\")"
 */
export function describeRedisUrlProblem(option: string, value: unknown): string | undefined {
  const bad = (shown: string): string =>
    `${option}: must be a redis:// or rediss:// (TLS) URL such as redis://127.0.0.1:6379 or rediss://:PASSWORD@cache.example.com:6380/0 (got ${shown})`;
  if (typeof value !== "string") return bad(typeof value);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    // Unparsable: it may still hold a password, so show nothing of it.
    return bad("a value that is not a URL; value not shown");
  }
  const shown = JSON.stringify(redactRedisUrl(url));
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") return bad(shown);
  if (url.hostname === "") return bad(shown);
  if (url.pathname !== "" && url.pathname !== "/" && !/^\/\d{1,2}$/.test(url.pathname)) {
    return `${option}: the path must be a database number such as /0 (got ${shown})`;
  }
  if (url.search !== "" || url.hash !== "") {
    return `${option}: must have no ?query or #fragment (got ${shown})`;
  }
  return undefined;
}

/**
 * The URL with its password replaced by `***`, for logs and messages.
 *
 * @example redactRedisUrl(new URL("redis://:hunter2@cache:6379")) // "redis://:***@cache:6379"
 */
export function redactRedisUrl(url: URL): string {
  if (url.password === "") return url.href;
  const copy = new URL(url.href);
  copy.password = "***";
  return copy.href;
}
