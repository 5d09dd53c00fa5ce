import type { SoakResult } from "./soak.js";

/*
 * The soak's table, in markdown like `npm run bench`'s. Pure: no I/O.
 */

const number = new Intl.NumberFormat("en-GB", { maximumFractionDigits: 0 });

/**
 * Errors of a target's measured load: failed sign-ins, and requests answered wrongly or not at
 * all. A non-2xx answer is also the wrong body (autocannon counts it in both), so the larger of
 * the two counts is taken, not their sum.
 */
export function countErrors(result: SoakResult): number {
  const { signIns, requests } = result;
  return (
    signIns.attempted - signIns.succeeded + Math.max(requests.non2xx, requests.mismatches) + requests.errors
  );
}

/**
 * One row per process of each target: the target's sign-ins/s, requests/s and errors, then the
 * process's RSS after the warm-up and after the soak (and the limit), and its open descriptors at
 * the baseline and once the soak's clients had gone.
 *
 * @example process.stdout.write(formatSoakTable(results))
 */
export function formatSoakTable(results: readonly SoakResult[]): string {
  const header = [
    "target",
    "process",
    "sign-ins",
    "sign-ins/s",
    "requests",
    "requests/s",
    "errors",
    "RSS after warm-up",
    "RSS after soak",
    "RSS limit",
    "fds baseline",
    "fds after",
    "checks",
  ];
  const rows = results.flatMap((result) =>
    result.processes.map((each) => {
      const passed =
        each.fdsSettled &&
        each.rssAfterSoakMb <= each.rssLimitMb &&
        countErrors(result) === 0 &&
        result.stsCallsDuringSignIns === result.signIns.attempted;
      return [
        result.target,
        each.name,
        number.format(result.signIns.attempted),
        rate(result.signIns.succeeded, result.signIns.seconds),
        number.format(result.requests.sent),
        rate(result.requests.responses2xx, result.requests.seconds),
        number.format(countErrors(result)),
        `${each.rssAfterWarmupMb.toFixed(1)} MB`,
        `${each.rssAfterSoakMb.toFixed(1)} MB (${signedPercent(each.rssAfterSoakMb / each.rssAfterWarmupMb - 1)})`,
        `${each.rssLimitMb.toFixed(1)} MB`,
        String(each.fdsBaseline),
        String(each.fdsAfter),
        passed ? "ok" : "**FAILED**",
      ];
    }),
  );
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(" | ")} |\n`;
  return (
    line(header) + line(widths.map((width) => "-".repeat(width))) + rows.map((row) => line(row)).join("")
  );
}

function rate(count: number, seconds: number): string {
  return seconds > 0 ? number.format(count / seconds) : "—";
}

function signedPercent(fraction: number): string {
  const percent = fraction * 100;
  return `${percent >= 0 ? "+" : "−"}${Math.abs(percent).toFixed(1)} %`;
}
