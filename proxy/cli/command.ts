import type { LineSink } from "../common/log.js";
import type { FlagReader } from "./flags/flag-values.js";

/** The process environment, or a test's stand-in for it. */
export type CliEnvironment = Readonly<Record<string, string | undefined>>;

/** Where a command writes: its output (stdout) and its failures (stderr). */
export interface CliOutput {
  readonly out: LineSink;
  readonly err: LineSink;
}

/**
 * One command of `iam-auth-proxy`, in a file of its own under commands/: the proxy itself (no
 * command word), `ca`, and later `token`, `policy`, `doctor`. The command line, the environment
 * and a config file are read for it by readCommandLine; it only checks and uses its own flags.
 */
export interface CliCommand {
  /** The word that selects it, e.g. `ca`; undefined for the command run without one. */
  readonly name: string | undefined;
  /** One line for --help's list of commands. */
  readonly describe: string;
  /** The flags it takes (names in the flag table), besides --config, --help and --version. */
  readonly flags: readonly string[];
  /**
   * Whether it runs a command given after `--` (`exec -- curl …`); the words reach `prepare`.
   * Other commands refuse words after `--`.
   */
  readonly takesCommand?: boolean;
  /** How many words it takes after its name (`doctor URL`: 1). Default 0: any word is refused. */
  readonly maxArguments?: number;
  /**
   * Turns its flags into typed options, reporting every problem to `flags` (each naming the
   * flag as it was given); returns them with how to run with them. Runs only if nothing was reported.
   */
  prepare(
    flags: FlagReader,
    env: CliEnvironment,
    commandWords: readonly string[],
    args: readonly string[],
  ): PreparedCommand;
}

/** A command with its options read. */
export interface PreparedCommand {
  /** The typed options (for tests). */
  readonly options: unknown;
  /** Runs the command; resolves with the process's exit code. */
  run(output: CliOutput): Promise<number>;
}
