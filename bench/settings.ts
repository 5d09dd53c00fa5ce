import { readNameList, readNumberVariable, type NumberVariable } from "./env-settings.js";

/**
 * The benchmarks `npm run bench` knows, in the order they run. Those made of new client
 * connections come first: the proxy's local-user check reads /proc/net/tcp for each, and the
 * peers of `forward` (the `proxy` package) and `gateway` (http-proxy without keep-alive) open a
 * connection per request, leaving tens of thousands of TIME_WAIT rows in it for a minute.
 */
export const benchmarkNames = [
  "intercept",
  "login",
  "local-user",
  "memory",
  "middleware",
  "connect",
  "forward-nginx",
  "forward",
  "gateway",
] as const;

export type BenchmarkName = (typeof benchmarkNames)[number];

/** How `npm run bench` runs, read once from the environment. */
export interface BenchSettings {
  /** BENCH_ONLY: comma-separated benchmark names; default every benchmark. */
  readonly only: readonly BenchmarkName[];
  /** BENCH_DURATION_SECONDS: measured load time per target of one comparison, split over the rounds. Default 5. */
  readonly durationSeconds: number;
  /** BENCH_WARMUP_SECONDS: unrecorded load on each target before its comparison. Default 1. */
  readonly warmupSeconds: number;
  /** BENCH_ROUNDS: rounds of a comparison, the order of the targets reversed every other round. Default 2. */
  readonly rounds: number;
  /** BENCH_CONNECT_MB: megabytes sent each way through a CONNECT tunnel per transfer. Default 200. */
  readonly connectMegabytes: number;
  /** BENCH_LOGIN_SAMPLES: sequential logins timed per method and injected AWS latency. Default 20. */
  readonly loginSamples: number;
  /** BENCH_STARTS: proxy starts timed (the median is the figure). Default 10. */
  readonly startSamples: number;
}

/** The environment asks for something the benchmarks cannot do; `problems` names each variable. */
export class BenchSettingsError extends Error {
  override readonly name = "BenchSettingsError";
  readonly code = "BENCH_SETTINGS_INVALID";
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`bench: cannot run; fix these environment variables:\n  - ${problems.join("\n  - ")}`);
    this.problems = problems;
  }
}

interface NumberRule extends NumberVariable {
  readonly fallback: number;
}

const numberRules = {
  durationSeconds: { variable: "BENCH_DURATION_SECONDS", fallback: 5, min: 0.5, max: 120, integer: false },
  warmupSeconds: { variable: "BENCH_WARMUP_SECONDS", fallback: 1, min: 0, max: 30, integer: false },
  rounds: { variable: "BENCH_ROUNDS", fallback: 2, min: 1, max: 10, integer: true },
  connectMegabytes: { variable: "BENCH_CONNECT_MB", fallback: 200, min: 1, max: 4096, integer: true },
  loginSamples: { variable: "BENCH_LOGIN_SAMPLES", fallback: 20, min: 3, max: 1000, integer: true },
  startSamples: { variable: "BENCH_STARTS", fallback: 10, min: 1, max: 100, integer: true },
} as const satisfies Record<string, NumberRule>;

/**
 * Reads the BENCH_* variables; reports every invalid one at once. An empty variable counts as unset.
 *
 * @example readBenchSettings({ BENCH_ONLY: "forward,login", BENCH_DURATION_SECONDS: "2" })
 */
export function readBenchSettings(env: Readonly<Record<string, string | undefined>>): BenchSettings {
  const problems: string[] = [];
  const read = (rule: NumberRule): number => readNumberVariable(env, rule, problems) ?? rule.fallback;
  const settings: BenchSettings = {
    only: readNameList(env, "BENCH_ONLY", benchmarkNames, problems) ?? benchmarkNames,
    durationSeconds: read(numberRules.durationSeconds),
    warmupSeconds: read(numberRules.warmupSeconds),
    rounds: read(numberRules.rounds),
    connectMegabytes: read(numberRules.connectMegabytes),
    loginSamples: read(numberRules.loginSamples),
    startSamples: read(numberRules.startSamples),
  };
  if (problems.length > 0) throw new BenchSettingsError(problems);
  return Object.freeze(settings);
}
