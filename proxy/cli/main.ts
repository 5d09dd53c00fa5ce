#!/usr/bin/env node
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { CliCommand, CliEnvironment, CliOutput } from "./command.js";
import { readCommandLine } from "./command-line.js";
import { caCommand } from "./commands/ca.js";
import { doctorCommand } from "./commands/doctor.js";
import { execCommand } from "./commands/exec.js";
import { policyCommand } from "./commands/policy.js";
import { runCommand } from "./commands/run.js";
import { tokenCommand } from "./commands/token.js";
import { PROGRAM_NAME } from "./flags/flag-table.js";

/** The commands of `iam-auth-proxy`, one file each under commands/; the one without a name runs by default. */
export const commands: readonly CliCommand[] = [
  runCommand,
  caCommand,
  execCommand,
  tokenCommand,
  policyCommand,
  doctorCommand,
];

/** The widest --help is drawn, in columns; a narrower terminal gets its own width. */
const HELP_WIDTH = 100;

/**
 * Runs the iam-auth-proxy command line. Resolves with the exit code: 0 after --help, --version
 * or `ca` (or once a signal has closed the proxy), 1 when the proxy cannot listen or cannot use
 * the local CA, 2 on a usage error (every problem on stderr, one line each).
 *
 * @example await main(["--bind", "127.0.0.1:8080", "--profile", "work"])
 * @example await main(["--upstream", "https://app.internal.example.com"]) // reverse mode on :8080
 */
export async function main(
  argv: readonly string[],
  env: CliEnvironment = process.env,
  output: CliOutput = { out: process.stdout, err: process.stderr },
): Promise<number> {
  const line = await readCommandLine(argv, env, commands);
  switch (line.kind) {
    case "help": {
      const [{ renderHelp }, { readPackageVersion }] = await Promise.all([
        import("./help.js"),
        import("./package-version.js"),
      ]);
      const width = Math.min(HELP_WIDTH, process.stdout.columns ?? HELP_WIDTH);
      output.out.write(await renderHelp(commands, line.command, readPackageVersion(), width));
      return 0;
    }
    case "version": {
      const { readPackageVersion } = await import("./package-version.js");
      output.out.write(`${readPackageVersion()}\n`);
      return 0;
    }
    case "usage error": {
      const lines = line.problems.map((problem) => `${PROGRAM_NAME}: ${problem}\n`);
      output.err.write(`${lines.join("")}Run ${PROGRAM_NAME} --help to see the options.\n`);
      return 2;
    }
    case "ready":
      return line.prepared.run(output);
  }
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    // npm links the bin through a symlink: compare real paths.
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(
        `${PROGRAM_NAME}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exit(1);
    },
  );
}
