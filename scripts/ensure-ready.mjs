// Brings a fresh clone to a runnable state: installs dependencies when they are
// missing or older than package-lock.json, then compiles what changed since the
// last build (scripts/build.mjs --incremental: nothing at all on an unchanged tree).
// Runs before `npm test`, `npm run demo` and `npm run bench`, using only Node.js built-ins.
import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "./build.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

const installedMarker = `${root}/node_modules/.package-lock.json`;
const lockFile = `${root}/package-lock.json`;
const needsInstall =
  !existsSync(installedMarker) || statSync(lockFile).mtimeMs > statSync(installedMarker).mtimeMs;
if (needsInstall) {
  console.error("setup: installing dependencies with npm ci");
  const result = spawnSync(npm, ["ci", "--no-audit", "--no-fund"], { cwd: root, stdio: "inherit" });
  if (result.status !== 0) {
    console.error(`setup: 'npm ci --no-audit --no-fund' failed (exit ${result.status ?? result.signal})`);
    process.exit(result.status ?? 1);
  }
}
process.exitCode = build({ incremental: true });
