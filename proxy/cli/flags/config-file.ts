import { readFileSync } from "node:fs";
import { dirname, extname, resolve } from "node:path";
import { toOneLine } from "../../common/errors.js";
import { findClosestName } from "./closest-name.js";
import { allFlags, type FlagSpec } from "./flag-table.js";
import type { FlagValue, FlagValues } from "./flag-values.js";

/** The flags a config file gave, and its problems (one line each). */
export interface ConfigFileFlags {
  readonly values: FlagValues;
  readonly problems: readonly string[];
}

const fileFlags = new Map(
  allFlags.filter((flag) => flag.only === undefined).map((flag) => [flag.name, flag]),
);

/**
 * Reads the flags in a config file (`--config FILE`): a JSON or YAML mapping whose keys are flag
 * names (`socks-proxy: 127.0.0.1:1080`), a list (or one value) for a repeatable flag, true or
 * false for an on/off flag, a number of seconds for --upstream-timeout. Files and directories are
 * relative to the file's own directory. `.json` is JSON, `.yaml`/`.yml` YAML, and any other file
 * JSON when it starts with `{`, else YAML. An unknown key is a problem, as an unknown flag is.
 * YAML's parser is loaded only to read a YAML file. `name` is how messages name the file's flag:
 * `--config`, or `IAM_AUTH_PROXY_CONFIG`.
 *
 * @example await readConfigFile("proxy.yaml", "--config") // { values: Map { bind → { value: ":9000", … } }, problems: [] }
 */
export async function readConfigFile(path: string, name: string): Promise<ConfigFileFlags> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    return fail(`${name} cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? "unreadable"}`);
  }
  const format = detectFormat(path, text);
  let content: unknown;
  try {
    content = format === "JSON" ? JSON.parse(text) : (await import("yaml")).parse(text);
  } catch (error) {
    const reason = toOneLine((error as Error).message.split("\n")[0] ?? "").replace(/:$/, "");
    return fail(`${name} ${path} is not valid ${format}: ${reason}`);
  }
  // An empty YAML file holds no flags.
  if (content === null || content === undefined) return { values: new Map(), problems: [] };
  if (typeof content !== "object" || Array.isArray(content)) {
    return fail(`${name} ${path} must hold a mapping of flag names to values, as in {"bind": ":8080"}`);
  }
  return readFlags(content as Record<string, unknown>, path);
}

function fail(problem: string): ConfigFileFlags {
  return { values: new Map(), problems: [problem] };
}

function detectFormat(path: string, text: string): "JSON" | "YAML" {
  const extension = extname(path).toLowerCase();
  if (extension === ".json") return "JSON";
  if (extension === ".yaml" || extension === ".yml") return "YAML";
  return text.trimStart().startsWith("{") ? "JSON" : "YAML";
}

function readFlags(content: Readonly<Record<string, unknown>>, path: string): ConfigFileFlags {
  const values = new Map<string, FlagValue>();
  const problems: string[] = [];
  const source = { kind: "config file", path } as const;
  for (const [key, raw] of Object.entries(content)) {
    const flag = fileFlags.get(key);
    if (flag === undefined) {
      problems.push(describeUnknownKey(key, path));
      continue;
    }
    const value = readValue(flag, raw);
    if (typeof value === "object" && "problem" in value) {
      problems.push(`${key} in ${path} ${value.problem}`);
      continue;
    }
    const resolved = flag.path === true ? resolvePaths(value, dirname(path)) : value;
    values.set(key, { value: resolved, source });
  }
  return { values, problems };
}

function describeUnknownKey(key: string, path: string): string {
  if (key === "config") return `config in ${path}: a config file cannot name another one`;
  const closest = findClosestName(key, [...fileFlags.keys()]);
  return `Unknown key ${key} in ${path}${closest === undefined ? "" : `: did you mean ${closest}?`}`;
}

/** The value as the command line would give it, or why it cannot be one. */
function readValue(flag: FlagSpec, raw: unknown): FlagValue["value"] | { readonly problem: string } {
  const shown = flag.secret === true ? `a ${typeof raw}` : (JSON.stringify(raw) ?? String(raw));
  if (raw === null) return { problem: "needs a value" };
  if (flag.kind === "boolean") {
    return typeof raw === "boolean" ? raw : { problem: `must be true or false (got ${shown})` };
  }
  if (flag.kind === "number") {
    return typeof raw === "number" || typeof raw === "string"
      ? String(raw)
      : { problem: `must be a number (got ${shown})` };
  }
  if (flag.kind === "list") {
    const items: readonly unknown[] = Array.isArray(raw) ? raw : [raw];
    if (items.every((item): item is string => typeof item === "string")) return items;
    return {
      problem: `must be a list of texts, each in quotes if it could be read as a number (got ${shown})`,
    };
  }
  if (typeof raw === "string") return raw;
  // YAML reads `mfa-token-code: 012345` as the number 12345: the quotes keep what was meant.
  return { problem: `must be text: put it in quotes (got ${shown})` };
}

function resolvePaths(value: FlagValue["value"], directory: string): FlagValue["value"] {
  if (typeof value === "boolean") return value;
  if (typeof value === "string") return value === "" ? value : resolve(directory, value);
  return value.map((each) => (each === "" ? each : resolve(directory, each)));
}
