// Runs the whole suite with Node's test runner on the compiled output:
// first the unit and end-to-end tests, then the audit that greps every log
// those tests wrote for secrets (it must run after everything else has logged).
// Each run prints the spec report people read; beside it scripts/test-outcome-reporter.mjs writes
// every outcome to a file, and the run ends with one summary of both runs: the skipped tests with
// their reasons, the failed and cancelled ones, and last the line `N passed, N failed, N skipped`
// (cancelled tests count as failed). The exit code is non-zero when anything failed or was cancelled.
//
//   TEST_FILTER=login node scripts/run-tests.mjs   only test files whose path contains "login" (no audit)
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const reporter = fileURLToPath(new URL("test-outcome-reporter.mjs", import.meta.url));

function findTests(dir) {
  let found = [];
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return found;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found = found.concat(findTests(path));
    else if (entry.name.endsWith(".test.js")) found.push(path);
  }
  return found.sort();
}

/** dist/test/e2e/demo.test.js → test/e2e/demo.test.ts: the file a reader opens. */
function sourcePath(file) {
  const path = relative(root, isAbsolute(file) ? file : resolve(root, file));
  return path.startsWith("dist/") ? path.slice("dist/".length).replace(/\.js$/, ".ts") : path;
}

/**
 * Runs `node --test` on the files with the spec reporter on stdout and the outcome reporter into a
 * file; returns the outcomes it wrote. A runner that exits non-zero without reporting a failure
 * (it crashed, or a failure node:test does not attribute to a test) is one failure of its own.
 */
function runNodeTest(name, files) {
  const folder = mkdtempSync(join(tmpdir(), "iam-auth-proxy-tests-"));
  const outcomesFile = join(folder, "outcomes.jsonl");
  try {
    const result = spawnSync(
      process.execPath,
      [
        "--test",
        "--test-reporter=spec",
        "--test-reporter-destination=stdout",
        `--test-reporter=${reporter}`,
        `--test-reporter-destination=${outcomesFile}`,
        ...files,
      ],
      { cwd: root, stdio: "inherit" },
    );
    let text = "";
    try {
      text = readFileSync(outcomesFile, "utf8");
    } catch {
      // No file: the runner died before its reporters started; the exit status below says so.
    }
    const outcomes = text
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => JSON.parse(line));
    const status = result.status ?? result.signal;
    if (status !== 0 && !outcomes.some((each) => each.outcome === "failed" || each.outcome === "cancelled")) {
      outcomes.push({
        outcome: "failed",
        file: "",
        name: `the ${name} run`,
        reason: `node --test exited ${status} without reporting a failed test; see its output above`,
      });
    }
    return outcomes;
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

function printList(title, items) {
  if (items.length === 0) return;
  console.log(`${title}:`);
  for (const each of items) {
    const file = each.file === "" ? "" : sourcePath(each.file);
    // A file that failed outside any test is reported as a test named after the file.
    const wholeFile = file !== "" && sourcePath(each.name) === file;
    const what = wholeFile
      ? `${file} (outside any test; its output is above)`
      : `${file === "" ? "" : `${file} › `}${each.name}`;
    console.log(`  ${what}${each.reason && !wholeFile ? ` — ${each.reason}` : ""}`);
  }
}

rmSync(join(root, "test-logs"), { recursive: true, force: true });
const dist = join(root, "dist", "test");
const main = [...findTests(join(dist, "unit")), ...findTests(join(dist, "e2e"))];
if (main.length === 0) {
  console.error("run-tests: no compiled tests found under dist/test; did the build run?");
  process.exit(1);
}
const filter = process.env.TEST_FILTER;
const selected = filter ? main.filter((file) => file.includes(filter)) : main;
if (selected.length === 0) {
  console.error(`run-tests: no test file's path contains TEST_FILTER=${filter}`);
  process.exit(1);
}
const outcomes = runNodeTest("unit and end-to-end", selected);
if (!filter) outcomes.push(...runNodeTest("log audit", findTests(join(dist, "audit"))));

const count = (outcome) => outcomes.filter((each) => each.outcome === outcome);
const skipped = [
  ...count("skipped"),
  ...count("todo").map((each) => ({ ...each, reason: `todo ${each.reason}` })),
];
const failed = count("failed");
const cancelled = count("cancelled");
console.log(
  `\nrun-tests: summary of ${filter ? `the files matching "${filter}"` : "both runs (tests, then the log audit)"}`,
);
printList(`skipped ${skipped.length}`, skipped);
printList(`failed ${failed.length}`, failed);
printList(`cancelled ${cancelled.length} (counted as failed)`, cancelled);
console.log(
  `${count("passed").length} passed, ${failed.length + cancelled.length} failed, ${skipped.length} skipped`,
);
process.exit(failed.length + cancelled.length > 0 ? 1 : 0);
