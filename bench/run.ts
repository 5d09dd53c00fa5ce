#!/usr/bin/env node
/*
 * `npm run bench`: runs the benchmarks (all, or those in BENCH_ONLY), prints one markdown table
 * of figures — each ours ÷ its reference measured in the same run, with the absolute numbers
 * and the target — and writes it all as JSON to bench/results/latest.json and a timestamped
 * copy. Exits 0 whatever the numbers; 1 only when a benchmark could not run at all, 2 on a bad
 * BENCH_* variable. See bench/README.md.
 *
 *   BENCH_ONLY=forward,login BENCH_DURATION_SECONDS=3 npm run bench
 */
import { readTimeWaitSockets } from "./proc.js";
import { mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../test/helpers/service.js";
import type { Benchmark, BenchmarkOutcome } from "./benchmark.js";
import { connectTunnelBenchmark } from "./connect-tunnel.js";
import { forwardNginxBenchmark } from "./forward-nginx.js";
import { forwardProxyBenchmark } from "./forward-proxy.js";
import { gatewayBenchmark } from "./gateway.js";
import { httpsInterceptBenchmark } from "./https-intercept.js";
import { localUserCheckBenchmark } from "./local-user-check.js";
import { loginCostBenchmark } from "./login-cost.js";
import { memoryStartupBenchmark } from "./memory-startup.js";
import { middlewareBenchmark } from "./middleware.js";
import { ProcessGroup } from "./processes.js";
import { countTargets, formatFiguresTable, type Figure } from "./report.js";
import { BenchSettingsError, readBenchSettings, type BenchmarkName, type BenchSettings } from "./settings.js";
import { withTimeout } from "./with-timeout.js";

const benchmarks: Record<BenchmarkName, Benchmark> = {
  forward: forwardProxyBenchmark,
  "forward-nginx": forwardNginxBenchmark,
  connect: connectTunnelBenchmark,
  intercept: httpsInterceptBenchmark,
  middleware: middlewareBenchmark,
  login: loginCostBenchmark,
  memory: memoryStartupBenchmark,
  "local-user": localUserCheckBenchmark,
  gateway: gatewayBenchmark,
};

interface BenchmarkRecord extends BenchmarkOutcome {
  readonly name: BenchmarkName;
  readonly title: string;
  readonly seconds: number;
  /** TCP sockets in TIME_WAIT on the machine when it started (see readTimeWaitSockets). */
  readonly timeWaitAtStart: number | undefined;
  readonly error?: string;
}

/** A generous bound on one benchmark, so a hung step fails that benchmark instead of the run hanging. */
function timeLimitMs(settings: BenchSettings): number {
  const perLoad = settings.warmupSeconds + settings.durationSeconds;
  return (
    1000 *
    (60 +
      20 * perLoad +
      2 * settings.loginSamples +
      3 * settings.startSamples +
      settings.connectMegabytes / 5)
  );
}

async function runOne(name: BenchmarkName, settings: BenchSettings): Promise<BenchmarkRecord> {
  const benchmark = benchmarks[name];
  const processes = new ProcessGroup(name);
  const progress = (message: string): void => void process.stderr.write(`bench ${name}: ${message}\n`);
  const started = performance.now();
  const timeWaitAtStart = await readTimeWaitSockets();
  progress(benchmark.title);
  const seconds = (): number => Math.round(performance.now() - started) / 1000;
  try {
    const outcome = await withTimeout(
      benchmark.run({ settings, processes, progress }),
      timeLimitMs(settings),
      `the ${name} benchmark`,
    );
    return { name, title: benchmark.title, seconds: seconds(), timeWaitAtStart, ...outcome };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    progress(`could not run: ${reason}`);
    const failed: Figure = {
      kind: "failed",
      id: `${name}.failed`,
      label: benchmark.title,
      reason: oneLine(reason),
    };
    return {
      name,
      title: benchmark.title,
      seconds: seconds(),
      timeWaitAtStart,
      figures: [failed],
      details: {},
      error: reason,
    };
  } finally {
    await processes.stopAll();
  }
}

/**
 * One note line: the TIME_WAIT sockets each benchmark started with. The local-user check's cost
 * per new connection grows with them (it reads /proc/net/tcp), and the benchmarks that open a
 * connection per request leave many for the ones after them: the figures with new connections
 * (intercepted HTTPS's first requests, login latency, local-user) are read against it.
 */
function describeTimeWait(records: readonly BenchmarkRecord[]): string {
  const counts = records
    .filter((record) => record.timeWaitAtStart !== undefined)
    .map((record) => `${record.name} ${(record.timeWaitAtStart as number).toLocaleString("en-US")}`);
  return counts.length === 0
    ? "- TCP sockets in TIME_WAIT: not known (no /proc/net/sockstat)."
    : `- TCP sockets in TIME_WAIT on the machine at each benchmark's start (the local-user check reads /proc/net/tcp, which lists them, on every new client connection): ${counts.join(", ")}.`;
}

function oneLine(text: string): string {
  const first = text.split("\n", 1)[0] ?? "";
  return first.length > 300 ? `${first.slice(0, 300)}…` : first;
}

function describeMachine(): Record<string, unknown> {
  return {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cores: availableParallelism(),
    cpu: cpus()[0]?.model ?? "unknown",
    loadAverage: loadavg().map((value) => Math.round(value * 100) / 100),
  };
}

async function main(): Promise<number> {
  let settings: BenchSettings;
  try {
    settings = readBenchSettings(process.env);
  } catch (error) {
    if (!(error instanceof BenchSettingsError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return 2;
  }
  const machine = describeMachine();
  const startedAt = new Date();
  const records: BenchmarkRecord[] = [];
  for (const name of settings.only) records.push(await runOne(name, settings));
  const finishedAt = new Date();

  const figures = records.flatMap((record) => record.figures);
  const { met, missed } = countTargets(figures);
  const failed = records.filter((record) => record.error !== undefined);
  const cores = availableParallelism();
  const header = [
    "# iam-auth-proxy benchmarks",
    "",
    `${startedAt.toISOString()} · node ${process.version} · ${String(machine.platform)} · ${cores} cores (${String(machine.cpu)}) · ` +
      `load ${settings.durationSeconds} s per target in ${settings.rounds} rounds after ${settings.warmupSeconds} s warm-up · ` +
      `${Math.round((finishedAt.getTime() - startedAt.getTime()) / 1000)} s in all`,
    "",
    `Every ratio is ours ÷ a reference measured in the same run, back to back. The machine has ${cores} cores: ` +
      "the load generator (autocannon, in the bench process) shares them with the proxy and the app, each its own " +
      "process, so absolute numbers are low and only comparable within one run; the ratios are the figures.",
    "",
    ...records.flatMap((record) => (record.notes ?? []).map((note) => `- ${note}`)),
    describeTimeWait(records),
    "",
  ];
  const summary =
    `Targets: ${met} met, ${missed} missed` +
    (failed.length > 0 ? `; could not run: ${failed.map((record) => record.name).join(", ")}` : "");
  process.stdout.write(`${header.join("\n")}\n${formatFiguresTable(figures)}\n${summary}\n`);

  const report = {
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    settings,
    machine,
    summary: { met, missed, failed: failed.map((record) => record.name) },
    figures,
    benchmarks: records,
  };
  const directory = join(repoRoot, "bench", "results");
  mkdirSync(directory, { recursive: true });
  const text = `${JSON.stringify(report, null, 2)}\n`;
  const stamped = join(directory, `${startedAt.toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(join(directory, "latest.json"), text);
  writeFileSync(stamped, text);
  process.stdout.write(`\nResults: bench/results/latest.json and ${stamped.slice(repoRoot.length)}\n`);
  return failed.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
