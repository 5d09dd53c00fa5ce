import { parseBindAddress } from "../http/bind-address.js";

/** One app reverse mode serves, and the local address the browser opens it at. */
export interface ReverseUpstream {
  /** The app's origin: `http:` or `https:`, host and port, no path, query, fragment or credentials. */
  readonly origin: URL;
  /** Where its local listener binds, as for `--bind`: `:PORT` (loopback only), `HOST:PORT`, `[IPV6]:PORT`. */
  readonly bind: string;
}

/** What `--upstream` values resolve to: the upstreams, or every problem found (none when `upstreams` is complete). */
export interface ResolvedUpstreams {
  readonly upstreams: readonly ReverseUpstream[];
  readonly problems: readonly string[];
}

const shape = "must be an http(s) URL with no path, optionally followed by =[HOST]:PORT";

/**
 * Why `origin` cannot be an upstream, or undefined when it can: it must be an `http:` or
 * `https:` URL with a host and nothing after it (a path prefix would break every app that links
 * with absolute paths, so one local port serves one app's whole site).
 *
 * @example describeUpstreamOriginProblem(new URL("https://app.example.com/app")) // "it has a path"
 */
export function describeUpstreamOriginProblem(origin: URL): string | undefined {
  if (origin.protocol !== "https:" && origin.protocol !== "http:") return "it is not an http(s) URL";
  if (origin.hostname === "") return "it has no host";
  if (origin.username !== "" || origin.password !== "") return "it has user credentials";
  if (origin.pathname !== "/" || origin.search !== "" || origin.hash !== "") return "it has a path";
  return undefined;
}

/**
 * Reads one `--upstream` value, `URL` or `URL=[HOST]:PORT`; throws TypeError naming the flag and
 * the bad value. `bind` is undefined when no local address follows the URL.
 *
 * @example parseUpstreamOption("https://app.example.com=:8081") // { origin: URL("https://app.example.com"), bind: ":8081" }
 * @example parseUpstreamOption("https://app.example.com") // { origin: URL("https://app.example.com"), bind: undefined }
 */
export function parseUpstreamOption(value: string): {
  readonly origin: URL;
  readonly bind: string | undefined;
} {
  const invalid = new TypeError(`--upstream ${shape} (got ${JSON.stringify(value)})`);
  // A valid origin holds no "=" (no query, no credentials), so the first one starts the local address.
  const split = value.indexOf("=");
  const urlText = split === -1 ? value : value.slice(0, split);
  const bind = split === -1 ? undefined : value.slice(split + 1);
  let origin: URL;
  try {
    origin = new URL(urlText);
  } catch {
    throw invalid;
  }
  // "https:app.example.com" parses too (special schemes forgive missing slashes); insist on the usual form.
  if (!/^https?:\/\//i.test(urlText) || describeUpstreamOriginProblem(origin) !== undefined) throw invalid;
  if (bind !== undefined) {
    try {
      parseBindAddress(bind);
    } catch {
      throw invalid;
    }
  }
  return { origin: new URL(origin.origin), bind };
}

/**
 * Resolves every `--upstream` value (the flag may be repeated) and `--bind` into upstreams, one
 * local listener each. A lone upstream without `=…` listens on `bind` (default `:8080`); with
 * several, each names its own address. Reports all problems at once, each naming the flag:
 * a bad value, a missing address, an app or a port given twice, a `--bind` nothing uses.
 *
 * @example resolveUpstreams(["https://a.example.com=:8081", "https://b.example.com=:8082"], undefined).upstreams.length // 2
 */
export function resolveUpstreams(values: readonly string[], bind: string | undefined): ResolvedUpstreams {
  const problems: string[] = [];
  const parsed: { readonly origin: URL; readonly bind: string | undefined; readonly value: string }[] = [];
  for (const value of values) {
    try {
      parsed.push({ ...parseUpstreamOption(value), value });
    } catch (error) {
      if (!(error instanceof TypeError)) throw error;
      problems.push(error.message);
    }
  }
  if (values.length > 1) {
    for (const each of parsed) {
      if (each.bind === undefined) {
        problems.push(
          `--upstream ${JSON.stringify(each.value)} needs its own local address, as in ${each.origin.origin}=:8081, ` +
            "when several --upstream are given",
        );
      }
    }
  }
  if (
    bind !== undefined &&
    parsed.length === values.length &&
    parsed.every((each) => each.bind !== undefined)
  ) {
    problems.push("--bind is not used: every --upstream names its own local address; leave out one of them");
  }
  const seenHosts = new Map<string, string>();
  const seenPorts = new Map<number, string>();
  for (const each of parsed) {
    // Sessions (the cookie jar) and the STS server-id are per authority, so one app is one upstream.
    const host = each.origin.host;
    const other = seenHosts.get(host);
    if (other !== undefined) {
      problems.push(
        `--upstream names ${host} twice (${JSON.stringify(other)} and ${JSON.stringify(each.value)})`,
      );
    }
    seenHosts.set(host, each.value);
    if (each.bind === undefined) continue;
    const { port } = parseBindAddress(each.bind);
    const taken = seenPorts.get(port);
    if (port !== 0 && taken !== undefined) {
      problems.push(
        `--upstream local port ${port} is given twice (${JSON.stringify(taken)} and ${JSON.stringify(each.value)})`,
      );
    }
    seenPorts.set(port, each.value);
  }
  if (problems.length > 0) return { upstreams: [], problems };
  const upstreams = parsed.map((each) =>
    Object.freeze({ origin: each.origin, bind: each.bind ?? bind ?? ":8080" }),
  );
  return { upstreams: Object.freeze(upstreams), problems: [] };
}
