import type { ProcessGroup } from "./processes.js";
import type { Figure } from "./report.js";
import type { BenchmarkName, BenchSettings } from "./settings.js";

/** What a benchmark is given by the runner. */
export interface BenchmarkContext {
  readonly settings: BenchSettings;
  /** Start processes here: the runner stops them all when the benchmark ends, however it ends. */
  readonly processes: ProcessGroup;
  /** Writes one progress line to stderr. */
  readonly progress: (message: string) => void;
}

/** What a benchmark hands back: its rows of the table and the raw numbers behind them. */
export interface BenchmarkOutcome {
  readonly figures: readonly Figure[];
  /** Everything measured, for the JSON file (load results, samples, AWS call counts). */
  readonly details: Readonly<Record<string, unknown>>;
  /** Lines printed above the table: how it was measured, anything that went wrong but did not stop it. */
  readonly notes?: readonly string[];
}

export interface Benchmark {
  readonly name: BenchmarkName;
  /** One line, e.g. "Forward proxy: plain HTTP, keep-alive, 50 connections". */
  readonly title: string;
  /** Rejects only when the benchmark could not run at all. */
  run(context: BenchmarkContext): Promise<BenchmarkOutcome>;
}
