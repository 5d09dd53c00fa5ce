import type { BindAddress } from "../../http/bind-address.js";
import { parseHostPattern, type HostPattern } from "../../http/host-pattern.js";
import type { ReverseUpstreamOptions } from "../../reverse/reverse-options.js";
import { parseSocksEndpoint, type SocksEndpoint } from "../../upstream/socks-connector.js";
import type { FlagReader, Given } from "../flags/flag-values.js";
import { readUpstreamCaFile } from "./upstream-ca-file.js";
import { resolveUpstreams } from "./upstream-flag.js";

/** How the proxy reaches apps: --upstream, --host, --kms-host, --upstream-ca, --ca-dir, --socks-proxy, --aws-via-socks. */
export interface ReachOptions {
  /** `--upstream` resolved with `--bind` (see resolveUpstreams): reverse mode. Empty: forward mode. */
  readonly upstreams: readonly ReverseUpstreamOptions[];
  /** `--host`: the apps signed in to, their HTTPS intercepted. */
  readonly hosts: readonly HostPattern[];
  /** `--kms-host`: apps besides the --host ones that may receive a KMS proof. */
  readonly kmsHosts: readonly HostPattern[];
  /** The certificates in the `--upstream-ca` files, each on its own. */
  readonly upstreamCa: readonly string[];
  /** `--ca-dir`; undefined: ~/.iam-auth-proxy. */
  readonly caDir: string | undefined;
  /** `--socks-proxy`. */
  readonly socks: SocksEndpoint | undefined;
  /** `--aws-via-socks`: AWS calls go through the SOCKS proxy too. */
  readonly awsViaSocks: boolean;
}

/**
 * Reads the reach flags into typed values, reporting each problem to `flags` (naming the flag
 * as it was given). `bind` is `--bind`, already read: a lone `--upstream` listens there.
 *
 * @example readReachOptions(flags, undefined).hosts // [{ kind: "exact", host: "app.example.com", port: undefined }]
 */
export function readReachOptions(flags: FlagReader, bind: Given<BindAddress> | undefined): ReachOptions {
  const socksProxy = flags.text("socks-proxy");
  const socks = socksProxy === undefined ? undefined : parseEach(flags, socksProxy, parseSocksEndpoint)[0];
  const awsViaSocks = flags.boolean("aws-via-socks");
  if (awsViaSocks?.value === true && socksProxy === undefined) {
    flags.report(`${awsViaSocks.name} needs --socks-proxy`);
  }
  const host = flags.list("host");
  const hosts = host === undefined ? [] : parseEach(flags, host, parseHostPattern);
  const kmsHost = flags.list("kms-host");
  const kmsHosts = kmsHost === undefined ? [] : parseEach(flags, kmsHost, parseHostPattern);
  const upstreamCa = flags.list("upstream-ca");
  const certificates =
    upstreamCa === undefined ? [] : parseEach(flags, upstreamCa, readUpstreamCaFile).flat();
  const upstream = flags.list("upstream");
  let upstreams: readonly ReverseUpstreamOptions[] = [];
  if (upstream !== undefined) {
    const problems: string[] = [];
    upstreams = resolveUpstreams(upstream, bind, problems);
    for (const problem of problems) flags.report(problem);
    // Reverse mode has no --host apps: each app has its own local address and no HTTPS is decrypted.
    if (host !== undefined) {
      flags.report(
        `${upstream.name} cannot be combined with ${host.name}: in reverse mode each app has its own local ` +
          "address and no HTTPS is decrypted, so there are no --host apps",
      );
    }
  }
  return {
    upstreams: Object.freeze(upstreams),
    hosts: Object.freeze(hosts),
    kmsHosts: Object.freeze(kmsHosts),
    upstreamCa: Object.freeze(certificates),
    caDir: flags.text("ca-dir")?.value,
    socks,
    awsViaSocks: awsViaSocks?.value === true,
  };
}

/** Each value parsed; a value `parse` refuses is reported after the flag's name and left out. */
function parseEach<T>(
  flags: FlagReader,
  given: Given<string> | Given<readonly string[]>,
  parse: (value: string) => T,
): T[] {
  const values: readonly string[] = typeof given.value === "string" ? [given.value] : given.value;
  const parsed: T[] = [];
  for (const value of values) {
    try {
      parsed.push(parse(value));
    } catch (error) {
      if (!(error instanceof TypeError)) throw error;
      flags.report(`${given.name} ${error.message}`);
    }
  }
  return parsed;
}
