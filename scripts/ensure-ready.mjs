// Brings a fresh clone to a runnable state: installs dependencies when they are
// missing or older than package-lock.json, then compiles the TypeScript.
// Runs before `npm test` and `npm run demo`, using only Node.js built-ins.
import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit" });
  if (result.status !== 0) {
    console.error(`setup: '${command} ${args.join(" ")}' failed (exit ${result.status ?? result.signal})`);
    process.exit(result.status ?? 1);
  }
}

const installedMarker = `${root}/node_modules/.package-lock.json`;
const lockFile = `${root}/package-lock.json`;
const needsInstall =
  !existsSync(installedMarker) || statSync(lockFile).mtimeMs > statSync(installedMarker).mtimeMs;
if (needsInstall) {
  console.error("setup: installing dependencies with npm ci");
  run(npm, ["ci", "--no-audit", "--no-fund"]);
}
run(process.execPath, [`${root}/node_modules/typescript/bin/tsc`, "-p", "tsconfig.json"]);
