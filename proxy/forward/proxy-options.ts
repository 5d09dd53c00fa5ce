import { parseBindAddress, type BindAddress } from "../http/bind-address.js";
import { parseHostPattern, type HostPattern } from "../http/host-pattern.js";
import {
  checkLoginOptions,
  fillLoginDefaults,
  type CheckedLoginOptions,
  type LoginOptions,
} from "../signin/login-options.js";
import type { LocalCa } from "../mitm/index.js";
import { parseSocksEndpoint, type SocksEndpoint } from "../upstream/socks-connector.js";

export interface ProxyServerOptions extends LoginOptions {
  /**
   * Where to listen, as for `--bind`: `:PORT` (loopback only: 127.0.0.1 and ::1), `HOST:PORT`,
   * `[IPV6]:PORT`. Default `":8080"`.
   */
  readonly bind?: string;
  /**
   * The apps the proxy signs in to, as `--host` patterns (`app.example.com`, `*.corp.example.com`,
   * `10.0.0.5:8443`). CONNECTs to them are intercepted (needs `ca`); IAM challenges from other
   * apps reach the client untouched. Default none: sign in to any plain-HTTP app, intercept nothing.
   */
  readonly hosts?: readonly string[];
  /** The local CA (loadOrCreateCa) the intercepted apps' certificates are issued by. Required with `hosts`. */
  readonly ca?: LocalCa;
  /** PEM certificates HTTPS apps may chain to, besides Node's CA store. Default none. */
  readonly upstreamCa?: readonly string[];
  /**
   * A SOCKS5 server, `HOST:PORT` (e.g. `ssh -D 1080 bastion`), that every connection to an app
   * goes through, host names resolved at its side. Default: apps are reached directly.
   */
  readonly socksProxy?: string;
  /**
   * How long an app may take to send its response head, in ms: then 504 UPSTREAM_TIMEOUT. The
   * body is never timed (long polls, event streams). Default 30000.
   */
  readonly upstreamTimeoutMs?: number;
}

/** How long an app may take to send its response head, by default. */
export const DEFAULT_UPSTREAM_TIMEOUT_MS = 30_000;

/** The options as checked, with every default filled in. */
export interface CheckedOptions extends CheckedLoginOptions {
  readonly bind: BindAddress;
  readonly hosts: readonly HostPattern[];
  readonly ca: LocalCa | undefined;
  readonly upstreamCa: readonly string[];
  readonly socks: SocksEndpoint | undefined;
  readonly upstreamTimeoutMs: number;
}

/**
 * Checks createProxyServer's options once: every problem in one TypeError, each naming the
 * option and the bad value; returns a frozen copy with the defaults filled in.
 */
export function checkProxyServerOptions(options: ProxyServerOptions): CheckedOptions {
  const problems: string[] = [];
  let bind: BindAddress = { kind: "loopback", port: 8080 };
  if (options.bind !== undefined) {
    try {
      bind = parseBindAddress(options.bind);
    } catch (error) {
      problems.push(`bind: ${(error as Error).message}`);
    }
  }
  checkLoginOptions(options, problems);
  const hosts: HostPattern[] = [];
  for (const host of options.hosts ?? []) {
    try {
      hosts.push(parseHostPattern(host));
    } catch (error) {
      problems.push(`hosts: ${(error as Error).message}`);
    }
  }
  if (hosts.length > 0 && options.ca === undefined) {
    problems.push("ca: needed with hosts, to issue their certificates (see loadOrCreateCa)");
  }
  const upstreamCa = options.upstreamCa ?? [];
  if (upstreamCa.some((pem) => typeof pem !== "string" || !pem.includes("-----BEGIN CERTIFICATE-----"))) {
    problems.push("upstreamCa: every entry must be PEM certificates (-----BEGIN CERTIFICATE-----)");
  }
  let socks: SocksEndpoint | undefined;
  if (options.socksProxy !== undefined) {
    try {
      socks = parseSocksEndpoint(options.socksProxy);
    } catch (error) {
      problems.push(`socksProxy: ${(error as Error).message}`);
    }
  }
  const upstreamTimeoutMs = options.upstreamTimeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS;
  if (!Number.isInteger(upstreamTimeoutMs) || upstreamTimeoutMs < 1 || upstreamTimeoutMs > 600_000) {
    problems.push(
      `upstreamTimeoutMs: must be an integer from 1 to 600000 (got ${String(upstreamTimeoutMs)})`,
    );
  }
  if (problems.length > 0) throw new TypeError(`Invalid proxy server options: ${problems.join("; ")}`);
  return Object.freeze({
    bind,
    ...fillLoginDefaults(options),
    hosts: Object.freeze(hosts),
    ca: options.ca,
    upstreamCa: Object.freeze([...upstreamCa]),
    socks,
    upstreamTimeoutMs,
  });
}
