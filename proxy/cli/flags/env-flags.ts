import { findClosestName } from "./closest-name.js";
import { allFlags, ENV_PREFIX, envVariableFor, type FlagSpec } from "./flag-table.js";
import type { FlagValue, FlagValues } from "./flag-values.js";

/** The flags the environment gave, and its problems (one line each). */
export interface EnvironmentFlags {
  readonly values: FlagValues;
  readonly problems: readonly string[];
}

const fromEnvironment = { kind: "environment" } as const;
const variables = new Map(
  allFlags.filter((flag) => flag.only !== "command line").map((flag) => [envVariableFor(flag.name), flag]),
);

/**
 * Reads the flags given as IAM_AUTH_PROXY_* variables: `IAM_AUTH_PROXY_SOCKS_PROXY=127.0.0.1:1080`
 * for --socks-proxy, a repeatable flag's values separated by commas, an on/off flag as true or
 * false. An empty variable counts as not set. A variable with the prefix that names no flag is a
 * problem, as an unknown flag is: a typo must not silently leave a setting out.
 *
 * @example readEnvironmentFlags({ IAM_AUTH_PROXY_HOST: "a.example.com,*.corp.example.com" }).values.get("host")?.value // ["a.example.com", "*.corp.example.com"]
 */
export function readEnvironmentFlags(env: Readonly<Record<string, string | undefined>>): EnvironmentFlags {
  const values = new Map<string, FlagValue>();
  const problems: string[] = [];
  for (const [variable, text] of Object.entries(env)) {
    if (!variable.startsWith(ENV_PREFIX)) continue;
    const flag = variables.get(variable);
    if (flag === undefined) {
      const closest = findClosestName(
        variable.slice(ENV_PREFIX.length),
        [...variables.keys()].map(unprefixed),
      );
      const suggestion = closest === undefined ? "" : `: did you mean ${ENV_PREFIX}${closest}?`;
      problems.push(`Unknown variable ${variable}${suggestion}`);
      continue;
    }
    if (text === undefined || text === "") continue;
    const value = readValue(flag, variable, text, problems);
    if (value !== undefined) values.set(flag.name, { value, source: fromEnvironment });
  }
  return { values, problems };
}

function readValue(
  flag: FlagSpec,
  variable: string,
  text: string,
  problems: string[],
): FlagValue["value"] | undefined {
  if (flag.kind === "list") {
    return text
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item !== "");
  }
  if (flag.kind !== "boolean") return text;
  if (text === "true" || text === "1") return true;
  if (text === "false" || text === "0") return false;
  problems.push(`${variable} must be true or false (got ${JSON.stringify(text)})`);
  return undefined;
}

function unprefixed(variable: string): string {
  return variable.slice(ENV_PREFIX.length);
}
