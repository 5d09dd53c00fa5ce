import parseArgv from "yargs-parser";
import { allFlags, findFlag } from "./flag-table.js";
import type { FlagValue, FlagValues } from "./flag-values.js";

/** What the command line holds, read once by yargs-parser (the parser of yargs). */
export interface CommandLineFlags {
  /** The arguments that are not flags, in order: the command's name first, if any. */
  readonly positionals: readonly string[];
  /** Everything after a `--`, untouched: the command `exec` runs. Empty without `--`. */
  readonly afterDoubleDash: readonly string[];
  /** The known flags given, except --help and --version. */
  readonly values: FlagValues;
  /** The flags given that are not ours, as typed: `--bnd`, `-x`, or `--no-bind` (only on/off flags turn off). */
  readonly unknown: readonly string[];
  readonly help: boolean;
  readonly version: boolean;
}

const fromCommandLine = { kind: "command line" } as const;

// Built once from the flag table: yargs-parser reads each flag by its kind.
const parserOptions: parseArgv.Options = {
  string: allFlags.filter((flag) => flag.kind !== "boolean").map((flag) => flag.name),
  array: allFlags.filter((flag) => flag.kind === "list").map((flag) => flag.name),
  boolean: allFlags.filter((flag) => flag.kind === "boolean").map((flag) => flag.name),
  alias: Object.fromEntries(
    allFlags.flatMap((flag) => (flag.alias === undefined ? [] : [[flag.name, [flag.alias]]])),
  ),
  configuration: {
    // Names stay as typed, so an unknown one is shown as typed (and `--a.b` is no object).
    "camel-case-expansion": false,
    "dot-notation": false,
    "strip-aliased": true,
    // Values stay text until checked; a flag's value is the one word after it.
    "parse-numbers": false,
    "parse-positional-numbers": false,
    "greedy-arrays": false,
    // A once-only flag given twice keeps both values, to be reported rather than one silently winning.
    "duplicate-arguments-array": true,
    "flatten-duplicate-arrays": true,
    // Words after `--` belong to the command `exec` runs, never to us.
    "populate--": true,
  },
};

/**
 * Reads the command line: positionals, our flags' values (a list for a once-only flag given
 * more than once), and the flags that are not ours. yargs-parser never throws for a bad
 * argument: every problem is left for the caller to report with the others.
 *
 * @example readCommandLineFlags(["ca", "--bind", ":9000", "--bnd"]) // { positionals: ["ca"], values: Map { bind → ":9000" }, unknown: ["--bnd"], … }
 */
export function readCommandLineFlags(argv: readonly string[]): CommandLineFlags {
  const parsed = parseArgv([...argv], parserOptions);
  const values = new Map<string, FlagValue>();
  const unknown: string[] = [];
  let help = false;
  let version = false;
  for (const [name, value] of Object.entries(parsed)) {
    if (name === "_" || name === "--") continue;
    const flag = findFlag(name);
    if (flag === undefined) unknown.push(name.length === 1 ? `-${name}` : `--${name}`);
    // yargs-parser reads `--no-bind` as bind = false (in a list for `--no-host`): no value to use.
    else if (flag.kind !== "boolean" && [value].flat().some((each) => typeof each === "boolean")) {
      unknown.push(`--no-${name}`);
    } else if (name === "help") help = value === true;
    else if (name === "version") version = value === true;
    else values.set(name, { value: readValue(value), source: fromCommandLine });
  }
  const positionals = parsed._.map(String);
  const afterDoubleDash = ((parsed["--"] as unknown[] | undefined) ?? []).map(String);
  return { positionals, afterDoubleDash, values, unknown, help, version };
}

function readValue(value: unknown): FlagValue["value"] {
  if (typeof value === "boolean" || typeof value === "string") return value;
  return Array.isArray(value) ? value.map(String) : String(value);
}
