import { describeBindAddressProblem, type BindAddress } from "../http/bind-address.js";
import { checkAllowOtherUsers } from "../http/local-peer.js";
import {
  checkLoginOptions,
  fillLoginDefaults,
  type CheckedLoginOptions,
  type LoginOptions,
} from "../signin/login-options.js";
import { checkUpstreamTimeoutMs } from "../upstream/sender.js";
import { checkSocksOption, type SocksEndpoint } from "../upstream/socks-connector.js";
import { checkCaCertificateList } from "../upstream/upstream-tls.js";
import { describeUpstreamOriginProblem } from "./upstream-option.js";

/** One app to serve and where the browser reaches it. */
export interface ReverseUpstreamOptions {
  /** The app's origin, `new URL("https://app.internal.example.com")` (or http:): no path, query or credentials. */
  readonly origin: URL;
  /** Its local address (parseBindAddress): `:PORT` is loopback only (127.0.0.1 and ::1), else exactly that address. */
  readonly bind: BindAddress;
}

/**
 * createReverseProxy's options. Values a person types (an origin, an address) come already
 * parsed, as a URL and with parseBindAddress: the proxy never parses a string again, and its
 * errors name these options, not the command's flags.
 */
export interface ReverseProxyOptions extends LoginOptions {
  /** The apps, each on its own local address. Required: at least one; no app or local port twice. */
  readonly upstreams: readonly ReverseUpstreamOptions[];
  /**
   * CA certificates trusted for https upstreams besides Node's bundled Mozilla roots, e.g. a
   * company's private CA: the contents of PEM files (each may hold several), not their paths.
   * When given, they and `tls.rootCertificates` are the whole trust store (NODE_EXTRA_CA_CERTS is
   * not added). Default: none.
   */
  readonly upstreamCa?: readonly (Buffer | string)[];
  /**
   * A SOCKS5 server (parseSocksEndpoint, e.g. the local end of `ssh -D 1080 bastion`) that every
   * connection to the upstreams goes through, host names resolved at its side, as in forward
   * mode. Default: the upstreams are reached directly.
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

export interface CheckedUpstream {
  readonly origin: URL;
  readonly bind: BindAddress;
}

export interface CheckedReverseOptions extends CheckedLoginOptions {
  readonly upstreams: readonly CheckedUpstream[];
  /** `upstreamCa`, each PEM certificate on its own. */
  readonly extraCaPems: readonly string[];
  readonly socks: SocksEndpoint | undefined;
  readonly upstreamTimeoutMs: number;
  readonly allowOtherUsers: boolean;
}

/**
 * Checks createReverseProxy's options once, reporting every problem in one TypeError, each
 * naming the option and the bad value; returns a frozen copy with the defaults filled in.
 *
 * @example checkReverseOptions({ upstreams: [{ origin: new URL("https://app.example.com"), bind: parseBindAddress(":8080") }] }).loginFlow // "proxy"
 */
export function checkReverseOptions(options: ReverseProxyOptions): CheckedReverseOptions {
  const problems: string[] = [];
  const upstreams = checkUpstreams(options.upstreams, problems);
  checkLoginOptions(options, problems);
  const extraCaPems = checkCaCertificateList(options.upstreamCa, "upstreamCa", problems);
  const socks = checkSocksOption(options.socks, problems);
  const upstreamTimeoutMs = checkUpstreamTimeoutMs(options.upstreamTimeoutMs, problems);
  const allowOtherUsers = checkAllowOtherUsers(options.allowOtherUsers, problems);
  if (problems.length > 0) throw new TypeError(`Invalid reverse proxy options: ${problems.join("; ")}`);
  return Object.freeze({
    upstreams,
    ...fillLoginDefaults(options),
    extraCaPems,
    socks,
    upstreamTimeoutMs,
    allowOtherUsers,
  });
}

function checkUpstreams(upstreams: unknown, problems: string[]): CheckedUpstream[] {
  if (!Array.isArray(upstreams) || upstreams.length === 0) {
    problems.push("upstreams: must list at least one { origin, bind }");
    return [];
  }
  const checked: CheckedUpstream[] = [];
  const hosts = new Set<string>();
  const ports = new Set<number>();
  (upstreams as readonly Partial<Record<keyof ReverseUpstreamOptions, unknown>>[]).forEach(
    (upstream, index) => {
      const name = `upstreams[${index}]`;
      const origin = upstream.origin instanceof URL ? upstream.origin : undefined;
      const originProblem =
        origin === undefined
          ? `it is a ${typeof upstream.origin}, not a URL object`
          : describeUpstreamOriginProblem(origin);
      if (originProblem !== undefined) {
        problems.push(
          `${name}.origin: must be an http(s) URL with no path: ${originProblem} (got ${JSON.stringify(String(upstream.origin))})`,
        );
      } else if (origin !== undefined && hosts.has(origin.host)) {
        problems.push(`${name}.origin: ${origin.host} is already an upstream`);
      }
      const bindProblem = describeBindAddressProblem(upstream.bind);
      const bind = bindProblem === undefined ? (upstream.bind as BindAddress) : undefined;
      if (bindProblem !== undefined) problems.push(`${name}.bind: ${bindProblem}`);
      if (bind !== undefined && bind.port !== 0 && ports.has(bind.port)) {
        problems.push(`${name}.bind: port ${bind.port} is already used by another upstream`);
      }
      if (origin !== undefined && originProblem === undefined && bind !== undefined) {
        hosts.add(origin.host);
        ports.add(bind.port);
        checked.push(Object.freeze({ origin: new URL(origin.origin), bind: Object.freeze({ ...bind }) }));
      }
    },
  );
  return checked;
}
