import { parseHostPattern } from "../http/host-pattern.js";
// The file, not reverse/index.js: parsing must not load reverse mode's server code.
import { resolveUpstreams, type ReverseUpstream } from "../reverse/upstream-option.js";
import { parseSocksEndpoint } from "../upstream/socks-connector.js";
import { readUpstreamCaFile } from "../upstream/upstream-tls.js";

/** How the proxy reaches apps, from the command line: --upstream, --host, --upstream-ca, --ca-dir, --socks-proxy, --aws-via-socks. */
export interface ReachFlags {
  /** `--upstream` values resolved with `--bind` (see resolveUpstreams): reverse mode. Empty: forward mode. */
  readonly upstreams: readonly ReverseUpstream[];
  /** `--host` patterns, each checked with parseHostPattern: the apps signed in to, HTTPS intercepted. */
  readonly hosts: readonly string[];
  /** The PEM text of each `--upstream-ca` file, checked. */
  readonly upstreamCa: readonly string[];
  /** `--ca-dir`; undefined: ~/.iam-auth-proxy. */
  readonly caDir?: string;
  /** `--socks-proxy HOST:PORT`, checked with parseSocksEndpoint. */
  readonly socksProxy?: string;
  /** `--aws-via-socks`: AWS calls go through the SOCKS proxy too. */
  readonly awsViaSocks: boolean;
}

/** The once-only string flags checkReachFlags needs, already read (undefined when not given). */
export interface OnceReachFlags {
  /** `--bind` as given: a lone `--upstream` listens there, several must not be given it. */
  readonly bind: string | undefined;
  readonly socksProxy: string | undefined;
  readonly caDir: string | undefined;
}

/** The flags that may be repeated. */
export const reachListFlags = ["upstream", "host", "upstream-ca"] as const;
type ReachListFlag = (typeof reachListFlags)[number];
/** What `iam-auth-proxy ca` reads; the other flags only matter to a running proxy. */
const caCommandFlags = new Set(["bind", "ca-dir"]);

/**
 * Checks the reach flags, adding each problem (naming its flag) to `problems`. `args` holds each
 * repeatable flag's values as a list (parseArgs with `multiple`).
 *
 * @example checkReachFlags({ host: ["app.example.com"] }, { bind: undefined, socksProxy: undefined, caDir: undefined }, problems).hosts // ["app.example.com"]
 */
export function checkReachFlags(
  args: Readonly<Record<string, unknown>>,
  once: OnceReachFlags,
  problems: string[],
): ReachFlags {
  const { socksProxy, caDir } = once;
  if (socksProxy !== undefined) {
    try {
      parseSocksEndpoint(socksProxy);
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  const awsViaSocks = args["aws-via-socks"] === true;
  if (awsViaSocks && socksProxy === undefined) problems.push("--aws-via-socks needs --socks-proxy");
  const lists = readListFlags(args, problems);
  for (const host of lists.host) {
    try {
      parseHostPattern(host);
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  const upstreamCa: string[] = [];
  for (const path of lists["upstream-ca"]) {
    try {
      upstreamCa.push(readUpstreamCaFile(path));
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  let upstreams: readonly ReverseUpstream[] = [];
  if (lists.upstream.length > 0) {
    const resolved = resolveUpstreams(lists.upstream, once.bind);
    problems.push(...resolved.problems);
    upstreams = resolved.upstreams;
    const conflict = describeReverseModeConflict(lists.host.length > 0, socksProxy !== undefined);
    if (conflict !== undefined) problems.push(conflict);
  }
  return {
    upstreams: Object.freeze(upstreams),
    hosts: Object.freeze(lists.host),
    upstreamCa: Object.freeze(upstreamCa),
    ...(caDir === undefined ? {} : { caDir }),
    ...(socksProxy === undefined ? {} : { socksProxy }),
    awsViaSocks,
  };
}

/** `ca` with a flag it would ignore is a mistake worth saying: one problem per such flag in `allFlags`. */
export function checkCaCommandFlags(
  args: Readonly<Record<string, unknown>>,
  allFlags: readonly string[],
): string[] {
  return allFlags
    .filter((name) => args[name] !== undefined && !caCommandFlags.has(name))
    .map((name) => `--${name} does not apply to the ca command (it takes --ca-dir and --bind)`);
}

/**
 * One line naming the forward-mode flags given with `--upstream`, and why they cannot go together
 * (yet), or undefined when there are none.
 */
function describeReverseModeConflict(host: boolean, socksProxy: boolean): string | undefined {
  const flags: string[] = [];
  const reasons: string[] = [];
  if (host) {
    flags.push("--host");
    reasons.push(
      "in reverse mode each app has its own local address and no HTTPS is decrypted, so there are no --host apps",
    );
  }
  if (socksProxy) {
    flags.push("--socks-proxy");
    reasons.push("reverse mode does not reach apps through a SOCKS proxy yet");
  }
  if (flags.length === 0) return undefined;
  return `--upstream cannot be combined with ${flags.join(" or ")}: ${reasons.join("; ")}`;
}

/** The repeatable flags' values (none: an empty list); an empty value is a problem. */
function readListFlags(
  args: Readonly<Record<string, unknown>>,
  problems: string[],
): Record<ReachListFlag, string[]> {
  const lists: Record<ReachListFlag, string[]> = { upstream: [], host: [], "upstream-ca": [] };
  for (const name of reachListFlags) {
    const value = args[name];
    if (value === undefined) continue;
    const values: unknown[] = Array.isArray(value) ? value : [value];
    for (const each of values) {
      if (typeof each !== "string" || each === "") problems.push(`--${name} needs a value`);
      else lists[name].push(each);
    }
  }
  return lists;
}
