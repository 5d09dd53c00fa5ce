import { X509Certificate } from "node:crypto";
import { parseBindAddress, type BindAddress } from "../http/bind-address.js";
import {
  checkLoginOptions,
  fillLoginDefaults,
  type CheckedLoginOptions,
  type LoginOptions,
} from "../signin/login-options.js";
import { describeUpstreamOriginProblem } from "./upstream-option.js";

/** One app to serve and where the browser reaches it (see resolveUpstreams for the `--upstream` form). */
export interface ReverseUpstreamOptions {
  /** The app's origin, `https://app.internal.example.com` (or http://): no path, query or credentials. */
  readonly origin: URL | string;
  /** Its local address, as for `--bind`: `:PORT` (127.0.0.1 and ::1 only), `HOST:PORT`, `[IPV6]:PORT`. */
  readonly bind: string;
}

export interface ReverseProxyOptions extends LoginOptions {
  /** The apps, each on its own local address. Required: at least one; no app or local port twice. */
  readonly upstreams: readonly ReverseUpstreamOptions[];
  /**
   * CA certificates (PEM; a string may hold several) trusted for https upstreams besides Node's
   * bundled Mozilla roots, e.g. a company's private CA (`--upstream-ca`). When given, they and
   * `tls.rootCertificates` are the whole trust store (NODE_EXTRA_CA_CERTS is not added). Default: none.
   */
  readonly extraCaPems?: readonly string[];
  /**
   * How long an app may take to send its response head, in ms: then 504 UPSTREAM_TIMEOUT. The
   * body is never timed (long polls, event streams). Default 30000.
   */
  readonly upstreamTimeoutMs?: number;
}

export interface CheckedUpstream {
  readonly origin: URL;
  readonly bind: BindAddress;
}

export interface CheckedReverseOptions extends CheckedLoginOptions {
  readonly upstreams: readonly CheckedUpstream[];
  /** Each PEM certificate block on its own. */
  readonly extraCaPems: readonly string[];
  readonly upstreamTimeoutMs: number;
}

/** How long an app may take to send its response head, by default (as in forward mode). */
const DEFAULT_UPSTREAM_TIMEOUT_MS = 30_000;

const pemBlock = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;

/**
 * Checks createReverseProxy's options once, reporting every problem in one TypeError, each
 * naming the option and the bad value; returns a frozen copy with the defaults filled in.
 *
 * @example checkReverseOptions({ upstreams: [{ origin: "https://app.example.com", bind: ":8080" }] }).loginFlow // "proxy"
 */
export function checkReverseOptions(options: ReverseProxyOptions): CheckedReverseOptions {
  const problems: string[] = [];
  const upstreams = checkUpstreams(options.upstreams, problems);
  checkLoginOptions(options, problems);
  const extraCaPems = checkCaPems(options.extraCaPems ?? [], problems);
  const upstreamTimeoutMs = options.upstreamTimeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS;
  if (!Number.isInteger(upstreamTimeoutMs) || upstreamTimeoutMs < 1 || upstreamTimeoutMs > 600_000) {
    problems.push(
      `upstreamTimeoutMs: must be an integer from 1 to 600000 (got ${String(upstreamTimeoutMs)})`,
    );
  }
  if (problems.length > 0) throw new TypeError(`Invalid reverse proxy options: ${problems.join("; ")}`);
  return Object.freeze({
    upstreams,
    ...fillLoginDefaults(options),
    extraCaPems,
    upstreamTimeoutMs,
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
  (upstreams as readonly Partial<ReverseUpstreamOptions>[]).forEach((upstream, index) => {
    const name = `upstreams[${index}]`;
    let origin: URL | undefined;
    try {
      origin = new URL(upstream.origin ?? "");
    } catch {
      origin = undefined;
    }
    const problem = origin === undefined ? "it is not a URL" : describeUpstreamOriginProblem(origin);
    if (origin === undefined || problem !== undefined) {
      problems.push(
        `${name}.origin: must be an http(s) URL with no path: ${problem} (got ${JSON.stringify(String(upstream.origin))})`,
      );
    } else if (hosts.has(origin.host)) {
      problems.push(`${name}.origin: ${origin.host} is already an upstream`);
    }
    let bind: BindAddress | undefined;
    try {
      bind = parseBindAddress(String(upstream.bind));
    } catch (error) {
      problems.push(`${name}.bind: ${(error as Error).message}`);
    }
    if (bind !== undefined && bind.port !== 0 && ports.has(bind.port)) {
      problems.push(`${name}.bind: port ${bind.port} is already used by another upstream`);
    }
    if (origin !== undefined && problem === undefined && bind !== undefined) {
      hosts.add(origin.host);
      ports.add(bind.port);
      checked.push(Object.freeze({ origin: new URL(origin.origin), bind }));
    }
  });
  return checked;
}

function checkCaPems(pems: readonly string[], problems: string[]): readonly string[] {
  if (!Array.isArray(pems)) {
    problems.push("extraCaPems: must be an array of PEM strings");
    return [];
  }
  const blocks: string[] = [];
  pems.forEach((pem: unknown, index) => {
    const found = typeof pem === "string" ? (pem.match(pemBlock) ?? []) : [];
    if (found.length === 0) {
      problems.push(`extraCaPems[${index}]: holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
      return;
    }
    for (const block of found) {
      try {
        new X509Certificate(block);
        blocks.push(`${block}\n`);
      } catch (error) {
        problems.push(`extraCaPems[${index}]: a certificate cannot be read (${(error as Error).message})`);
      }
    }
  });
  return Object.freeze(blocks);
}
