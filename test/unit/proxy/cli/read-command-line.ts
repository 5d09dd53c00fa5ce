import assert from "node:assert/strict";
import type { CliEnvironment } from "../../../../proxy/cli/command.js";
import { readCommandLine } from "../../../../proxy/cli/command-line.js";
import type { CaCommandOptions } from "../../../../proxy/cli/commands/ca.js";
import { commands } from "../../../../proxy/cli/main.js";
import type { RunOptions } from "../../../../proxy/cli/run/run-options.js";

/** The run command's options for this command line and environment; fails the test on a usage error. */
export async function readRunOptions(argv: readonly string[], env: CliEnvironment = {}): Promise<RunOptions> {
  const line = await readCommandLine(argv, env, commands);
  if (line.kind !== "ready" || line.command.name !== undefined) assert.fail(JSON.stringify(line));
  return line.prepared.options as RunOptions;
}

/** The ca command's options; fails the test on a usage error. */
export async function readCaOptions(
  argv: readonly string[],
  env: CliEnvironment = {},
): Promise<CaCommandOptions> {
  const line = await readCommandLine(["ca", ...argv], env, commands);
  if (line.kind !== "ready" || line.command.name !== "ca") assert.fail(JSON.stringify(line));
  return line.prepared.options as CaCommandOptions;
}

/** The problems reported for this command line and environment (none: the test fails). */
export async function readProblems(
  argv: readonly string[],
  env: CliEnvironment = {},
): Promise<readonly string[]> {
  const line = await readCommandLine(argv, env, commands);
  if (line.kind !== "usage error") assert.fail(`no usage error: ${JSON.stringify(line)}`);
  return line.problems;
}
