import type { CliCommand, CliEnvironment, PreparedCommand } from "./command.js";
import { readCommandLineFlags } from "./flags/argv-flags.js";
import { findClosestName } from "./flags/closest-name.js";
import { readEnvironmentFlags } from "./flags/env-flags.js";
import { allFlags, findFlag } from "./flags/flag-table.js";
import { createFlagReader, mergeFlagValues, type FlagValues } from "./flags/flag-values.js";

/**
 * What the command line asks for: help (for a command), the version, a usage error (every
 * problem, one line each), or a command ready to run with its options read.
 */
export type CommandLine =
  | { readonly kind: "help"; readonly command: CliCommand }
  | { readonly kind: "version" }
  | { readonly kind: "usage error"; readonly problems: readonly string[] }
  | { readonly kind: "ready"; readonly command: CliCommand; readonly prepared: PreparedCommand };

/** Flags every command takes. */
const globalFlags = new Set(allFlags.filter((flag) => flag.only !== undefined).map((flag) => flag.name));
const noFlags: FlagValues = new Map();

/**
 * Reads the command line, the IAM_AUTH_PROXY_* variables of `env` and the `--config` file into
 * the options of the command named first (`commands` holds one command without a name: the
 * default). A flag's value comes from the first of these that gives it: command line, then
 * environment, then config file, else the command's default. Every problem is reported at once,
 * each naming the flag, variable or key as it was written, with a suggestion for a misspelt one.
 *
 * @example await readCommandLine(["--bnd", ":8080"], {}, [runCommand, caCommand]) // { kind: "usage error", problems: ["Unknown flag --bnd: did you mean --bind?"] }
 */
export async function readCommandLine(
  argv: readonly string[],
  env: CliEnvironment,
  commands: readonly CliCommand[],
): Promise<CommandLine> {
  const line = readCommandLineFlags(argv);
  const fallback = commands.find((each) => each.name === undefined);
  if (fallback === undefined) throw new TypeError("readCommandLine: one command must have no name");
  const problems: string[] = [];
  const [word, ...rest] = line.positionals;
  const named = commands.find((each) => each.name !== undefined && each.name === word);
  const command = named ?? fallback;
  if (line.help) return { kind: "help", command };
  if (line.version) return { kind: "version" };

  if (word !== undefined && named === undefined) problems.push(describeUnknownCommand(word, commands));
  const args = rest.slice(0, command.maxArguments ?? 0);
  for (const extra of rest.slice(args.length)) problems.push(`Unknown argument ${extra}`);
  if (command.takesCommand === true && line.afterDoubleDash.length === 0) {
    problems.push(
      `${command.name ?? "this"} needs a command after --, e.g. exec -- curl https://app.example.com/`,
    );
  }
  if (command.takesCommand !== true && line.afterDoubleDash.length > 0) {
    problems.push(
      `Unknown argument -- ${line.afterDoubleDash.join(" ")}: only exec runs a command given after --`,
    );
  }
  const takes = new Set([...command.flags, ...globalFlags]);
  for (const flag of line.unknown) problems.push(describeUnknownFlag(flag, [...takes]));
  for (const name of line.values.keys()) {
    if (!takes.has(name)) problems.push(describeFlagNotTaken(name, command));
  }
  const environment = readEnvironmentFlags(env);
  problems.push(...environment.problems);
  const configFile = await readConfig(mergeFlagValues([line.values, environment.values]), problems);

  const flags = createFlagReader(mergeFlagValues([line.values, environment.values, configFile]), problems);
  const prepared = command.prepare(flags, env, line.afterDoubleDash, args);
  if (problems.length > 0) return { kind: "usage error", problems };
  return { kind: "ready", command, prepared };
}

/** The flags in the `--config` file (or IAM_AUTH_PROXY_CONFIG's), none without one. */
async function readConfig(values: FlagValues, problems: string[]): Promise<FlagValues> {
  const path = createFlagReader(values, problems).text("config");
  if (path === undefined) return noFlags;
  // Loaded only for a config file, as are YAML's parser and everything else only some runs need.
  const { readConfigFile } = await import("./flags/config-file.js");
  const file = await readConfigFile(path.value, path.name);
  problems.push(...file.problems);
  return file.values;
}

function describeUnknownCommand(word: string, commands: readonly CliCommand[]): string {
  const names = commands.flatMap((each) => (each.name === undefined ? [] : [each.name]));
  const closest = findClosestName(word, names);
  return `Unknown command ${word}${closest === undefined ? "" : `: did you mean ${closest}?`}`;
}

/** `--bnd` → "Unknown flag --bnd: did you mean --bind?" (yargs suggests commands, not flags). */
function describeUnknownFlag(typed: string, known: readonly string[]): string {
  if (typed.startsWith("--no-") && findFlag(typed.slice("--no-".length)) !== undefined) {
    return `Unknown flag ${typed}: only an on/off flag such as --aws-via-socks can be turned off with --no-`;
  }
  const closest = findClosestName(typed.replace(/^--?/, ""), known);
  return `Unknown flag ${typed}${closest === undefined ? "" : `: did you mean --${closest}?`}`;
}

function describeFlagNotTaken(name: string, command: CliCommand): string {
  const takes = command.flags.map((each) => `--${each}`);
  const last = takes.pop();
  const listed =
    last === undefined ? "no flags" : takes.length === 0 ? last : `${takes.join(", ")} and ${last}`;
  return `--${name} does not apply to the ${command.name ?? "default"} command (it takes ${listed})`;
}
