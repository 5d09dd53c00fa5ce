import { describeBindAddressProblem, type BindAddress } from "../http/bind-address.js";
import { checkAllowOtherUsers } from "../http/local-peer.js";
import { describeHostPatternProblem, type HostPattern } from "../http/host-pattern.js";
import {
  checkLoginOptions,
  fillLoginDefaults,
  type CheckedLoginOptions,
  type LoginOptions,
} from "../signin/login-options.js";
import type { LocalCa } from "../mitm/index.js";
import { checkSocksOption, type SocksEndpoint } from "../upstream/socks-connector.js";
import { checkUpstreamTimeoutMs } from "../upstream/sender.js";
import { checkCaCertificateList } from "../upstream/upstream-tls.js";

/**
 * createProxyServer's options. Values a person types (an address, a host pattern) come already
 * parsed, with parseBindAddress, parseHostPattern and parseSocksEndpoint: the proxy never parses
 * a string again, and its errors name these options, not the command's flags.
 */
export interface ProxyServerOptions extends LoginOptions {
  /**
   * Where to listen (parseBindAddress): `:PORT` is loopback only (127.0.0.1 and ::1), else exactly
   * the address given. Default `{ kind: "loopback", port: 8080 }`.
   */
  readonly bind?: BindAddress;
  /**
   * The apps the proxy signs in to (parseHostPattern: `app.example.com`, `*.corp.example.com`,
   * `10.0.0.5:8443`). CONNECTs to them are intercepted (needs `ca`); IAM challenges from other
   * apps reach the client untouched. Default none: sign in to any plain-HTTP app, intercept nothing.
   */
  readonly hosts?: readonly HostPattern[];
  /**
   * Apps besides `hosts` that may receive a KMS proof (parseHostPattern). A KMS token carries
   * the person's temporary AWS credentials, so it goes only to apps the person named: any other
   * app's KMS challenge is refused with 403 KMS_APP_NOT_NAMED (STS proofs go to every app the
   * proxy signs in to). Default none.
   */
  readonly kmsHosts?: readonly HostPattern[];
  /** The local CA (loadOrCreateCa) the intercepted apps' certificates are issued by. Required with `hosts`. */
  readonly ca?: LocalCa;
  /**
   * CA certificates HTTPS apps may chain to besides Node's CA store: the contents of PEM files
   * (each may hold several certificates), not their paths. Default none.
   */
  readonly upstreamCa?: readonly (Buffer | string)[];
  /**
   * A SOCKS5 server (parseSocksEndpoint, e.g. the local end of `ssh -D 1080 bastion`) that every
   * connection to an app goes through, host names resolved at its side. Default: apps are reached directly.
   */
  readonly socks?: SocksEndpoint;
  /** How long an app may take to send its response head, in ms: at most 10 minutes. Default 30000. */
  readonly upstreamTimeoutMs?: number;
  /**
   * Serve connections from every OS user of this machine. By default (false) a loopback
   * connection is served only when /proc/net/tcp shows it comes from the proxy's own uid; any
   * other user's gets 403 OTHER_USER_REFUSED: loopback is shared by every account on the machine.
   */
  readonly allowOtherUsers?: boolean;
}

/** The options as checked, with every default filled in. */
export interface CheckedOptions extends CheckedLoginOptions {
  readonly bind: BindAddress;
  readonly hosts: readonly HostPattern[];
  readonly kmsHosts: readonly HostPattern[];
  readonly ca: LocalCa | undefined;
  /** Each PEM certificate on its own. */
  readonly upstreamCa: readonly string[];
  readonly socks: SocksEndpoint | undefined;
  readonly upstreamTimeoutMs: number;
  readonly allowOtherUsers: boolean;
}

/**
 * Checks createProxyServer's options once: every problem in one TypeError, each naming the
 * option and the bad value; returns a frozen copy with the defaults filled in.
 *
 * @example checkProxyServerOptions({ bind: parseBindAddress("127.0.0.1:0") }).upstreamTimeoutMs // 30000
 * @example checkProxyServerOptions({ bind: "8080" as never }) // throws TypeError "Invalid proxy server options: bind: must be a BindAddress …"
 */
export function checkProxyServerOptions(options: ProxyServerOptions): CheckedOptions {
  const problems: string[] = [];
  const bind = options.bind ?? { kind: "loopback", port: 8080 };
  const bindProblem = describeBindAddressProblem(bind);
  if (bindProblem !== undefined) problems.push(`bind: ${bindProblem}`);
  checkLoginOptions(options, problems);
  const hosts = checkHosts(options.hosts, problems);
  const kmsHosts = checkHosts(options.kmsHosts, problems, "kmsHosts");
  if (hosts.length > 0 && options.ca === undefined) {
    problems.push("ca: needed with hosts, to issue their certificates (see loadOrCreateCa)");
  }
  const upstreamCa = checkCaCertificateList(options.upstreamCa, "upstreamCa", problems);
  const socks = checkSocksOption(options.socks, problems);
  const upstreamTimeoutMs = checkUpstreamTimeoutMs(options.upstreamTimeoutMs, problems);
  const allowOtherUsers = checkAllowOtherUsers(options.allowOtherUsers, problems);
  if (problems.length > 0) throw new TypeError(`Invalid proxy server options: ${problems.join("; ")}`);
  return Object.freeze({
    bind: Object.freeze({ ...bind }),
    ...fillLoginDefaults(options),
    hosts,
    kmsHosts,
    ca: options.ca,
    upstreamCa,
    socks,
    upstreamTimeoutMs,
    allowOtherUsers,
  });
}

/** Checks a list of HostPatterns given as the option `name` (`hosts`, `kmsHosts`); returns a frozen copy. */
function checkHosts(
  value: readonly HostPattern[] | undefined,
  problems: string[],
  name = "hosts",
): readonly HostPattern[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    problems.push(`${name}: must be an array of HostPatterns (parseHostPattern)`);
    return [];
  }
  const hosts: readonly HostPattern[] = value;
  hosts.forEach((host, index) => {
    const problem = describeHostPatternProblem(host);
    if (problem !== undefined) problems.push(`${name}[${index}]: ${problem}`);
  });
  return Object.freeze(hosts.map((host) => Object.freeze({ ...host })));
}
