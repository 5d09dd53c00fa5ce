import autocannon from "autocannon";
import { roundOrder } from "./stats.js";

/** One HTTP load target: an app directly, or an app through a proxy. */
export interface LoadTarget {
  /** Key in the results, e.g. "direct", "ours", "proxy-package". */
  readonly name: string;
  /** Where the load generator connects, e.g. "http://127.0.0.1:8080". */
  readonly connectTo: string;
  /** The request target: "/" (origin-form), or "http://127.0.0.1:3000/" (absolute-form, for a proxy). */
  readonly path: string;
  /** Sent with every request; include `host` (the app's authority) when going through a proxy. */
  readonly headers: Readonly<Record<string, string>>;
  /** A response whose body differs counts as a mismatch (proves the app, not a proxy error, answered). */
  readonly expectBody?: string;
  /** Reads how many requests the app has served so far: proves the load reached it. */
  readonly countServed?: () => Promise<number>;
  /** Reads the CPU seconds used so far by the process under test (the proxy, or the app). */
  readonly readCpuSeconds?: () => Promise<number>;
}

export interface LoadResult {
  readonly name: string;
  readonly connections: number;
  readonly durationSeconds: number;
  /** 2xx responses per second: failures do not count as throughput. */
  readonly requestsPerSecond: number;
  readonly responses2xx: number;
  readonly otherResponses: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly mismatches: number;
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly mean: number };
  /** Requests the app counted during the run, when the target can tell. */
  readonly served: number | undefined;
  /** CPU seconds the process under test used during the run, when the target can tell. */
  readonly cpuSeconds: number | undefined;
}

export interface CompareOptions {
  readonly connections: number;
  /** Unrecorded load on each target first. */
  readonly warmupSeconds: number;
  /** Recorded load per target, split evenly over the rounds. */
  readonly durationSeconds: number;
  readonly rounds: number;
  /** Told before each recorded run, e.g. for a progress line. */
  readonly onRun?: (target: string, round: number) => void;
}

/**
 * Runs autocannon against one target for `durationSeconds` with `connections` keep-alive
 * connections (no pipelining) and summarizes the result. Rejects only when autocannon
 * cannot start at all; failed requests are counted, not thrown.
 *
 * @example await runLoad({ name: "direct", connectTo: app, path: "/", headers: {} }, { connections: 50, durationSeconds: 5 })
 */
export async function runLoad(
  target: LoadTarget,
  options: { readonly connections: number; readonly durationSeconds: number },
): Promise<LoadResult> {
  const { expectBody } = target;
  const before = await target.countServed?.();
  const cpuBefore = await target.readCpuSeconds?.();
  const result = await autocannon({
    url: target.connectTo,
    connections: options.connections,
    duration: options.durationSeconds,
    timeout: 10,
    requests: [{ method: "GET", path: target.path, headers: { ...target.headers } }],
    // autocannon refuses expectBody together with `requests`; a verifyBody function does the same.
    ...(expectBody === undefined ? {} : { verifyBody: (body: unknown) => body === expectBody }),
  });
  const after = await target.countServed?.();
  const cpuAfter = await target.readCpuSeconds?.();
  const responses2xx = result["2xx"];
  return {
    name: target.name,
    connections: options.connections,
    durationSeconds: result.duration,
    requestsPerSecond: result.duration > 0 ? responses2xx / result.duration : 0,
    responses2xx,
    otherResponses: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    mismatches: result.mismatches,
    latencyMs: { p50: result.latency.p50, p99: result.latency.p99, mean: result.latency.mean },
    served: before === undefined || after === undefined ? undefined : after - before,
    cpuSeconds: cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore,
  };
}

/**
 * Measures several targets back to back in the same run, so machine noise weighs on all of
 * them alike: each is warmed up, then measured in `rounds` rounds whose order reverses every
 * other round. Returns each target's rounds combined (see combineRounds), keyed by name.
 */
export function compareTargets(
  targets: readonly LoadTarget[],
  options: CompareOptions,
): Promise<Record<string, LoadResult>> {
  const { connections } = options;
  return compareInRounds(
    targets,
    options,
    (target, durationSeconds) => runLoad(target, { connections, durationSeconds }),
    combineRounds,
  );
}

/**
 * The round structure of compareTargets for any measurement: `measure(target, seconds)` once
 * per target for the warm-up (result dropped), then `rounds` times per target for a share of
 * `durationSeconds`, in an order reversed every other round; `combine` joins a target's rounds.
 */
export async function compareInRounds<Target extends { readonly name: string }, Result>(
  targets: readonly Target[],
  options: Omit<CompareOptions, "connections">,
  measure: (target: Target, seconds: number) => Promise<Result>,
  combine: (rounds: readonly Result[]) => Result,
): Promise<Record<string, Result>> {
  if (options.warmupSeconds > 0) {
    for (const target of targets) await measure(target, options.warmupSeconds);
  }
  const rounds = new Map<string, Result[]>(targets.map((target) => [target.name, []]));
  const seconds = options.durationSeconds / options.rounds;
  for (let round = 0; round < options.rounds; round += 1) {
    for (const target of roundOrder(targets, round)) {
      options.onRun?.(target.name, round);
      rounds.get(target.name)?.push(await measure(target, seconds));
    }
  }
  return Object.fromEntries([...rounds].map(([name, results]) => [name, combine(results)]));
}

/**
 * One result from a target's rounds: counts are summed, the rate is all 2xx responses over all
 * the time, and latency percentiles are the request-weighted mean of each round's (a histogram
 * merge would be exact; rounds of the same target hardly differ).
 *
 * @example combineRounds([round1, round2]).requestsPerSecond
 */
export function combineRounds(rounds: readonly LoadResult[]): LoadResult {
  const first = rounds[0];
  if (first === undefined) throw new TypeError("combineRounds: no rounds to combine");
  const sum = (pick: (result: LoadResult) => number): number =>
    rounds.reduce((total, result) => total + pick(result), 0);
  const durationSeconds = sum((r) => r.durationSeconds);
  const responses2xx = sum((r) => r.responses2xx);
  const weight =
    responses2xx > 0 ? (r: LoadResult): number => r.responses2xx / responses2xx : () => 1 / rounds.length;
  const weighted = (pick: (result: LoadResult) => number): number => sum((r) => pick(r) * weight(r));
  const sumKnown = (pick: (result: LoadResult) => number | undefined): number | undefined =>
    rounds.every((r) => pick(r) !== undefined) ? sum((r) => pick(r) ?? 0) : undefined;
  return {
    name: first.name,
    connections: first.connections,
    durationSeconds,
    requestsPerSecond: durationSeconds > 0 ? responses2xx / durationSeconds : 0,
    responses2xx,
    otherResponses: sum((r) => r.otherResponses),
    errors: sum((r) => r.errors),
    timeouts: sum((r) => r.timeouts),
    mismatches: sum((r) => r.mismatches),
    latencyMs: {
      p50: weighted((r) => r.latencyMs.p50),
      p99: weighted((r) => r.latencyMs.p99),
      mean: weighted((r) => r.latencyMs.mean),
    },
    served: sumKnown((r) => r.served),
    cpuSeconds: sumKnown((r) => r.cpuSeconds),
  };
}

/**
 * CPU time the process under test spent per 2xx response, in microseconds: a cost that does
 * not depend on how the machine's cores were shared during the run. undefined when not measured.
 */
export function cpuMicrosecondsPerRequest(result: LoadResult): number | undefined {
  if (result.cpuSeconds === undefined || result.responses2xx === 0) return undefined;
  return (result.cpuSeconds * 1e6) / result.responses2xx;
}

/**
 * What is wrong with a load result, in one line each: failed requests, wrong bodies, or an app
 * that served fewer requests than the load generator saw answered (the load did not reach it).
 *
 * @example describeLoadProblems(result) // ["ours: 12 non-2xx responses"]
 */
export function describeLoadProblems(result: LoadResult): string[] {
  const problems: string[] = [];
  const { name } = result;
  if (result.responses2xx === 0) problems.push(`${name}: no 2xx response at all`);
  if (result.otherResponses > 0) problems.push(`${name}: ${result.otherResponses} non-2xx responses`);
  if (result.errors > 0)
    problems.push(`${name}: ${result.errors} connection errors (${result.timeouts} timeouts)`);
  if (result.mismatches > 0) problems.push(`${name}: ${result.mismatches} responses with an unexpected body`);
  if (result.served !== undefined && result.served < result.responses2xx) {
    problems.push(
      `${name}: the app served ${result.served} requests but ${result.responses2xx} were answered 2xx`,
    );
  }
  return problems;
}
