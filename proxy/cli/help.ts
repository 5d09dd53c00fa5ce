import type { CliCommand } from "./command.js";
import { ENV_PREFIX, PROGRAM_NAME, requireFlag, type FlagSpec } from "./flags/flag-table.js";

/** What --help says after the flags: the two other ways to give them, and which wins. */
const sources = [
  `Every flag can also be set in the environment as ${ENV_PREFIX}<FLAG> (${ENV_PREFIX}BIND for --bind, ` +
    "a repeatable flag's values separated by commas, true or false for an on/off flag), or in a JSON or YAML " +
    "file given with --config (its keys are the flag names). A flag on the command line wins over the " +
    "environment, which wins over the file, which wins over the default.",
  "Exit codes: 0 after --help, --version, ca or Ctrl-C; 1 when the proxy cannot listen or cannot use its " +
    "local CA; 2 for a bad flag, variable or config file. exec exits with its command's code (128 + the " +
    "signal's number when a signal ended it, 127 when the command was not found).",
].join("\n\n");

/**
 * The text of `iam-auth-proxy [command] --help`, as yargs renders it from the commands and the
 * flag table: usage, the commands, the command's flags by group with their defaults, then how
 * the environment and a config file give flags. yargs is loaded only here: it is not needed to
 * read the command line (yargs-parser does), and loading it would slow every start.
 *
 * @example process.stdout.write(await renderHelp([runCommand, caCommand], caCommand, "0.1.0", 100))
 */
export async function renderHelp(
  commands: readonly CliCommand[],
  command: CliCommand,
  version: string,
  width: number,
): Promise<string> {
  const { default: yargs } = await import("yargs");
  let program = yargs()
    .scriptName(PROGRAM_NAME)
    .locale("en")
    .usage(
      `Usage: $0 [command] [flags]\n\n` +
        "A local HTTP proxy that signs you in to IAM-protected web apps with your AWS identity.",
    )
    .wrap(width)
    .exitProcess(false)
    .help("help", requireFlag("help").describe)
    .alias("h", "help")
    .version("version", requireFlag("version").describe, version)
    .alias("v", "version")
    .option("config", describeOption(requireFlag("config"), false))
    .epilogue(sources);
  for (const each of commands) {
    // The default command's many flags are grouped; another command's few are simply listed.
    const grouped = each.name === undefined;
    program = program.command(each.name ?? "$0", each.describe, (builder) => {
      for (const name of each.flags) builder.option(name, describeOption(requireFlag(name), grouped));
      return builder;
    });
  }
  const args = command.name === undefined ? ["--help"] : [command.name, "--help"];
  // With a callback, yargs hands over the help text instead of printing it.
  let text = "";
  let failure: Error | undefined;
  await program.parseAsync(args, {}, (error, _argv, output) => {
    failure = error ?? undefined;
    text = output;
  });
  if (failure !== undefined) throw failure;
  return `${text}\n`;
}

/** How yargs shows a flag: its description ending with its default, under its group's heading if `grouped`. */
function describeOption(flag: FlagSpec, grouped: boolean): { describe: string; group?: string } {
  // In the text rather than as yargs' [default: …] column, which can run into a long description.
  const describe =
    flag.defaultDescription === undefined
      ? flag.describe
      : `${flag.describe}. Default: ${flag.defaultDescription}`;
  return grouped ? { describe, group: `${flag.group}:` } : { describe };
}
