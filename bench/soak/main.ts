#!/usr/bin/env node
/*
 * `npm run soak`: load and soak through the real processes — the local AWS, our proxy and the
 * example server, then our proxy and the gateway in front of a trivial app (bench/soak/soak.ts
 * says what is measured and checked). Prints a markdown table on stdout (progress on stderr),
 * writes the figures to bench/results/soak-latest.json, and exits 1 when any check failed, 2 on
 * a bad SOAK_* variable (bench/soak/settings.ts). Logs go to test-logs/bench/soak/, which the
 * log audit that `npm run soak` runs next reads for secrets.
 *
 *   SOAK_SIGN_INS=1000 SOAK_REQUESTS=20000 SOAK_ONLY=gateway npm run soak
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { join } from "node:path";
import { startLocalAws } from "../../test/helpers/local-aws.js";
import { repoRoot, testLogsDir } from "../../test/helpers/service.js";
import { countErrors, formatSoakTable } from "./report.js";
import { readSoakSettings, SoakSettingsError, type SoakSettings } from "./settings.js";
import { runSoak, type SoakResult } from "./soak.js";
import { startSoakTarget } from "./targets.js";

const RUN = "soak";

async function main(): Promise<number> {
  let settings: SoakSettings;
  try {
    settings = readSoakSettings(process.env);
  } catch (error) {
    if (!(error instanceof SoakSettingsError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return 2;
  }
  const progress = (message: string): void => void process.stderr.write(`soak ${message}\n`);
  rmSync(join(testLogsDir, "bench", RUN), { recursive: true, force: true });
  const started = new Date();
  const aws = await startLocalAws(`bench/${RUN}`);
  const results: SoakResult[] = [];
  try {
    for (const name of settings.targets) {
      const target = await startSoakTarget(name, aws, RUN);
      try {
        results.push(await runSoak(target, settings, aws, progress));
      } finally {
        await target.stop();
      }
    }
  } finally {
    await aws.stop();
  }

  const seconds = Math.round((Date.now() - started.getTime()) / 1000);
  process.stdout.write(
    `\nSoak, ${started.toISOString()}, Node ${process.version}, ${availableParallelism()} cores, load average ${loadavg()[0]?.toFixed(1)} at the end, ${seconds} s: ` +
      `${settings.signIns} sign-ins at concurrency ${settings.concurrency}, then ${settings.requests} signed-in requests on ${settings.concurrency} connections, per target, ` +
      `after a warm-up of ${settings.warmupSignIns} sign-ins and ${settings.warmupRequests} requests. RSS may grow ${settings.rssGrowthPercent} %` +
      `${settings.rssSlackMegabytes > 0 ? ` + ${settings.rssSlackMegabytes} MB` : ""}; descriptors must be back to the baseline within ${settings.settleSeconds} s.\n\n`,
  );
  process.stdout.write(formatSoakTable(results));
  const problems = results.flatMap((result) =>
    result.problems.map((problem) => `${result.target}: ${problem}`),
  );
  process.stdout.write(
    problems.length === 0
      ? `\nsoak: passed (${results.map((result) => `${result.target} ${countErrors(result)} errors`).join(", ")})\n`
      : `\nsoak: FAILED\n${problems.map((problem) => `  - ${problem}\n`).join("")}`,
  );
  const resultsDir = join(repoRoot, "bench", "results");
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(
    join(resultsDir, "soak-latest.json"),
    `${JSON.stringify({ started: started.toISOString(), node: process.version, settings, results }, null, 2)}\n`,
  );
  return problems.length === 0 ? 0 : 1;
}

process.exitCode = await main();
