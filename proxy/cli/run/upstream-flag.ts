import { parseBindAddress, type BindAddress } from "../../http/bind-address.js";
import { describeUpstreamOriginProblem } from "../../reverse/upstream-option.js";
import type { ReverseUpstreamOptions } from "../../reverse/reverse-options.js";
import type { Given } from "../flags/flag-values.js";

/** One `--upstream` value: the app, and the local address after `=` if one was given. */
export interface UpstreamFlag {
  readonly origin: URL;
  readonly bind: BindAddress | undefined;
}

const shape = "must be an http(s) URL with no path, optionally followed by =[HOST]:PORT";

/**
 * Reads one `--upstream` value, `URL` or `URL=[HOST]:PORT`. Throws a TypeError that says what
 * is wrong and shows the value, for the caller to put after how the flag was given.
 *
 * @example parseUpstreamFlag("https://app.example.com=:8081") // { origin: URL("https://app.example.com"), bind: { kind: "loopback", port: 8081 } }
 * @example parseUpstreamFlag("https://app.example.com") // { origin: URL("https://app.example.com"), bind: undefined }
 */
export function parseUpstreamFlag(value: string): UpstreamFlag {
  const invalid = new TypeError(`${shape} (got ${JSON.stringify(value)})`);
  // A valid origin holds no "=" (no query, no credentials), so the first one starts the local address.
  const split = value.indexOf("=");
  const urlText = split === -1 ? value : value.slice(0, split);
  let origin: URL;
  try {
    origin = new URL(urlText);
  } catch {
    throw invalid;
  }
  // "https:app.example.com" parses too (special schemes forgive missing slashes); insist on the usual form.
  if (!/^https?:\/\//i.test(urlText) || describeUpstreamOriginProblem(origin) !== undefined) throw invalid;
  let bind: BindAddress | undefined;
  try {
    bind = split === -1 ? undefined : parseBindAddress(value.slice(split + 1));
  } catch {
    throw invalid;
  }
  return { origin: new URL(origin.origin), bind };
}

/**
 * Resolves the `--upstream` values and `--bind` into reverse mode's upstreams, one local
 * listener each. A lone upstream without `=…` listens on `bind` (default `:8080`); with several,
 * each names its own address. Adds every problem to `problems`, each naming the flags as they
 * were given: a bad value, a missing address, an app or a port given twice, a `--bind` nothing uses.
 *
 * @example resolveUpstreams({ value: ["https://a.example.com=:8081"], name: "--upstream" }, undefined, problems) // [{ origin: URL("https://a.example.com"), bind: { kind: "loopback", port: 8081 } }]
 */
export function resolveUpstreams(
  upstream: Given<readonly string[]>,
  bind: Given<BindAddress> | undefined,
  problems: string[],
): ReverseUpstreamOptions[] {
  const found: string[] = [];
  const parsed: (UpstreamFlag & { readonly value: string })[] = [];
  for (const value of upstream.value) {
    try {
      parsed.push({ ...parseUpstreamFlag(value), value });
    } catch (error) {
      if (!(error instanceof TypeError)) throw error;
      found.push(`${upstream.name} ${error.message}`);
    }
  }
  const several = upstream.value.length > 1;
  for (const each of parsed) {
    if (several && each.bind === undefined) {
      found.push(
        `${upstream.name} ${JSON.stringify(each.value)} needs its own local address, as in ${each.origin.origin}=:8081, ` +
          `when ${upstream.name} names several apps`,
      );
    }
  }
  if (
    bind !== undefined &&
    parsed.length === upstream.value.length &&
    parsed.every((each) => each.bind !== undefined)
  ) {
    found.push(
      `${bind.name} is not used: every ${upstream.name} value names its own local address; leave out one of them`,
    );
  }
  found.push(...findDuplicates(upstream.name, parsed));
  problems.push(...found);
  if (found.length > 0) return [];
  const fallback = bind?.value ?? { kind: "loopback", port: 8080 };
  return parsed.map((each) => Object.freeze({ origin: each.origin, bind: each.bind ?? fallback }));
}

/** An app or a local port given twice: sessions (the cookie jar) and the STS server-id are per authority. */
function findDuplicates(
  name: string,
  parsed: readonly (UpstreamFlag & { readonly value: string })[],
): string[] {
  const problems: string[] = [];
  const seenHosts = new Map<string, string>();
  const seenPorts = new Map<number, string>();
  for (const each of parsed) {
    const host = each.origin.host;
    const other = seenHosts.get(host);
    if (other !== undefined) {
      problems.push(
        `${name} names ${host} twice (${JSON.stringify(other)} and ${JSON.stringify(each.value)})`,
      );
    }
    seenHosts.set(host, each.value);
    if (each.bind === undefined) continue;
    const { port } = each.bind;
    const taken = seenPorts.get(port);
    if (port !== 0 && taken !== undefined) {
      problems.push(
        `${name} local port ${port} is given twice (${JSON.stringify(taken)} and ${JSON.stringify(each.value)})`,
      );
    }
    seenPorts.set(port, each.value);
  }
  return problems;
}
