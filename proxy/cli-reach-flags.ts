import { parseHostPattern } from "./host-pattern.js";
import { parseSocksEndpoint } from "./socks-connector.js";
import { readUpstreamCaFile } from "./upstream-tls.js";

/** How the proxy reaches apps, from the command line: --host, --upstream-ca, --ca-dir, --socks-proxy, --aws-via-socks. */
export interface ReachFlags {
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

/** The flags that may be repeated. */
export const reachListFlags = ["host", "upstream-ca"] as const;
/** What `iam-auth-proxy ca` reads; the other flags only matter to a running proxy. */
const caCommandFlags = new Set(["bind", "ca-dir"]);

/**
 * Checks the reach flags, adding each problem (naming its flag) to `problems`. `socksProxy` and
 * `caDir` are the once-only string flags, already read; the repeatable ones are read here.
 *
 * @example checkReachFlags({ host: ["app.example.com"] }, undefined, undefined, problems).hosts // ["app.example.com"]
 */
export function checkReachFlags(
  args: Readonly<Record<string, unknown>>,
  socksProxy: string | undefined,
  caDir: string | undefined,
  problems: string[],
): ReachFlags {
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
  return {
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

/** The repeatable flags' values (none: an empty list); an empty value is a problem. */
function readListFlags(
  args: Readonly<Record<string, unknown>>,
  problems: string[],
): Record<(typeof reachListFlags)[number], string[]> {
  const lists = { host: [] as string[], "upstream-ca": [] as string[] };
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
