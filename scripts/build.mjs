// Compiles the TypeScript (tsconfig.json) into dist/, and keeps dist/ exactly what the sources make.
//
//   node scripts/build.mjs                 full build: type-checks and emits every file (`npm run build`, `prepare`)
//   node scripts/build.mjs --incremental   only what changed (scripts/ensure-ready.mjs: before `npm test`,
//                                          `npm run demo` and `npm run bench`)
//
// Either way it first removes compiled files whose source is gone: tsc never deletes an output, and the
// test runner runs every dist/test/**/*.test.js, so a moved test would run twice and a deleted one would
// still run. An incremental build skips tsc altogether when every input (the sources, tsconfig.json,
// package.json, package-lock.json) has the same path, size and modification time as at the last build
// that succeeded: even with its .tsbuildinfo, tsc spends 3–4 s finding out that nothing changed.
// Uses only Node.js built-ins.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, rmSync, rmdirSync, statSync, writeFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = fileURLToPath(new URL("..", import.meta.url));
const dist = join(root, "dist");
/** tsc's record of what it compiled, so a change recompiles only the files it affects. In dist/ so that `rm -rf dist` forgets it too. */
const buildInfoFile = join(dist, ".tsbuildinfo");
/** The inputs as they were when the last successful build started. */
const inputsFile = join(dist, ".build-inputs.json");
/** Files outside the sources whose change can change what tsc emits. */
const configFiles = ["tsconfig.json", "package.json", "package-lock.json"];

/** What tsc writes for a source file, by the source's extension (declaration and sourceMap are on). */
const outputSuffixes = {
  ".ts": [".js", ".js.map", ".d.ts"],
  ".mts": [".mjs", ".mjs.map", ".d.mts"],
  ".cts": [".cjs", ".cjs.map", ".d.cts"],
};
const outputPattern = /\.(?:d\.[mc]?ts(?:\.map)?|[mc]?js(?:\.map)?)$/;

/**
 * The source files tsconfig.json compiles: every .ts/.mts/.cts file under its `include` folders,
 * less its `exclude` patterns. tsc's own list would cost loading TypeScript (about 0.9 s), so this
 * reads the two fields itself and refuses a tsconfig.json it does not understand.
 */
function listSources() {
  const path = join(root, "tsconfig.json");
  let config;
  try {
    config = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new Error(`${path}: scripts/build.mjs reads it as plain JSON (no comments): ${error.message}`);
  }
  const include = config.include ?? [];
  if (include.length === 0 || include.some((entry) => /[*?]/.test(entry))) {
    throw new Error(
      `${path}: "include" must list plain folders for scripts/build.mjs to find the sources; ` +
        `got ${JSON.stringify(config.include)} (teach listSources() the new form)`,
    );
  }
  const excluded = (config.exclude ?? []).map(
    (pattern) =>
      new RegExp(
        `^${pattern
          .replace(/[.+^${}()|[\]\\]/g, "\\$&")
          .replace(/\*\*/g, "\0")
          .replace(/\*/g, "[^/]*")
          .replace(/\?/g, "[^/]")
          .replace(/\0/g, ".*")}(?:/|$)`,
      ),
  );
  const sources = [];
  const walk = (folder) => {
    let entries;
    try {
      entries = readdirSync(join(root, folder), { withFileTypes: true });
    } catch (error) {
      if (error.code === "ENOENT") return;
      throw error;
    }
    for (const entry of entries) {
      const path = `${folder}/${entry.name}`;
      if (excluded.some((pattern) => pattern.test(path))) continue;
      if (entry.isDirectory()) walk(path);
      else if (/\.[mc]?ts$/.test(entry.name)) sources.push(path);
    }
  };
  for (const folder of include) walk(folder.replace(/\/+$/, ""));
  return sources.sort();
}

/** The dist/ paths (relative, with "/") that the sources compile to. */
function listOutputs(sources) {
  const outputs = new Set();
  for (const source of sources) {
    if (/\.d\.[mc]?ts$/.test(source)) continue;
    const extension = /\.[mc]?ts$/.exec(source)[0];
    const stem = source.slice(0, -extension.length);
    for (const suffix of outputSuffixes[extension]) outputs.add(`${stem}${suffix}`);
  }
  return outputs;
}

/** Size and modification time of every input, to compare with the last successful build's. */
function snapshotInputs(sources) {
  const inputs = {};
  for (const path of [...configFiles, ...sources]) {
    try {
      const stats = statSync(join(root, path));
      inputs[path] = [stats.size, stats.mtimeMs];
    } catch (error) {
      if (error.code !== "ENOENT") throw error;
    }
  }
  return inputs;
}

function readLastInputs() {
  try {
    return JSON.parse(readFileSync(inputsFile, "utf8"));
  } catch {
    return undefined;
  }
}

function sameInputs(a, b) {
  const keys = Object.keys(a);
  if (b === undefined || keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => b[key] !== undefined && a[key][0] === b[key][0] && a[key][1] === b[key][1]);
}

/**
 * Deletes every compiled file in dist/ that no source makes any more (and folders left empty).
 * Files tsc does not write (other extensions, the build's own records) are left alone.
 * Returns how many files it removed.
 */
function removeStaleOutputs(outputs) {
  let removed = 0;
  const prune = (folder) => {
    let entries;
    try {
      entries = readdirSync(folder, { withFileTypes: true });
    } catch (error) {
      if (error.code === "ENOENT") return;
      throw error;
    }
    for (const entry of entries) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) {
        prune(path);
        if (readdirSync(path).length === 0) rmdirSync(path);
      } else if (outputPattern.test(entry.name) && !outputs.has(relative(dist, path).split(sep).join("/"))) {
        rmSync(path);
        removed++;
      }
    }
  };
  prune(dist);
  return removed;
}

/**
 * Brings dist/ up to date with the sources. Returns tsc's exit status (0 when nothing needed compiling).
 *
 * @example build({ incremental: true }) // 0, in about 0.1 s when nothing changed
 */
export function build({ incremental }) {
  const sources = listSources();
  const outputs = listOutputs(sources);
  const inputs = snapshotInputs(sources);
  const compiled = [...outputs].filter((path) => path.endsWith("js"));
  const complete = compiled.every((path) => existsSync(join(dist, path)));
  if (incremental && complete && sameInputs(inputs, readLastInputs())) return 0;

  // A full build, or outputs deleted by hand, which tsc's record would not notice: start tsc afresh.
  if (!incremental || !complete) rmSync(buildInfoFile, { force: true });
  rmSync(inputsFile, { force: true });
  const removed = removeStaleOutputs(outputs);
  if (removed > 0) console.error(`build: removed ${removed} compiled files whose source is gone`);

  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  if (!existsSync(tsc)) {
    console.error("build: TypeScript is not installed; run npm ci (the build needs the dev dependencies)");
    return 1;
  }
  const started = Date.now();
  const result = spawnSync(
    process.execPath,
    [tsc, "-p", "tsconfig.json", "--incremental", "--tsBuildInfoFile", buildInfoFile],
    { cwd: root, stdio: "inherit" },
  );
  const status = result.status ?? 1;
  if (status !== 0) {
    console.error(`build: tsc failed (exit ${result.status ?? result.signal}); dist/ may be out of date`);
    return status;
  }
  // The snapshot taken before tsc ran: a file saved while it compiled counts as changed next time.
  writeFileSync(inputsFile, `${JSON.stringify(inputs)}\n`);
  console.error(
    `build: compiled ${incremental ? "what changed" : "everything"} in ${Date.now() - started} ms`,
  );
  return 0;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({ options: { incremental: { type: "boolean", default: false } } });
  process.exit(build({ incremental: values.incremental }));
}
