// Runs the whole suite with Node's test runner on the compiled output:
// first the unit and end-to-end tests, then the audit that greps every log
// those tests wrote for secrets (it must run after everything else has logged).
import { spawnSync } from "node:child_process";
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

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

function runNodeTest(files) {
  const filter = process.env.TEST_FILTER;
  const selected = filter ? files.filter((f) => f.includes(filter)) : files;
  if (selected.length === 0) return 0;
  const result = spawnSync(process.execPath, ["--test", "--test-reporter=spec", ...selected], {
    cwd: root,
    stdio: "inherit",
  });
  return result.status ?? 1;
}

rmSync(join(root, "test-logs"), { recursive: true, force: true });
const dist = join(root, "dist", "test");
const main = [...findTests(join(dist, "unit")), ...findTests(join(dist, "e2e"))];
if (main.length === 0) {
  console.error("run-tests: no compiled tests found under dist/test; did the build run?");
  process.exit(1);
}
const mainStatus = runNodeTest(main);
const auditStatus = process.env.TEST_FILTER ? 0 : runNodeTest(findTests(join(dist, "audit")));
process.exit(mainStatus || auditStatus);
