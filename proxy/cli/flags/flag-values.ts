import { envVariableFor } from "./flag-table.js";

/** Where a flag's value came from; the first source that gives a flag wins, in this order. */
export type FlagSource =
  | { readonly kind: "command line" }
  | { readonly kind: "environment" }
  | { readonly kind: "config file"; readonly path: string };

/**
 * A flag's value as its source gave it: text (a list when a once-only flag was given more than
 * once on the command line), a list for a repeatable flag, or on/off.
 */
export interface FlagValue {
  readonly value: string | readonly string[] | boolean;
  readonly source: FlagSource;
}

/** The flags one source gave, by flag name. */
export type FlagValues = ReadonlyMap<string, FlagValue>;

/** A flag's checked value, and how to name it in a message: as the person wrote it. */
export interface Given<T> {
  readonly value: T;
  /** `--bind`, `IAM_AUTH_PROXY_BIND` or `bind in proxy.yaml`. */
  readonly name: string;
}

/**
 * Reads flag values for a command's checks, adding a problem (naming the flag as it was given)
 * for a value of the wrong shape; every method returns undefined for a flag not given.
 */
export interface FlagReader {
  /** A once-only flag's text: given more than once, or empty, is a problem. */
  text(name: string): Given<string> | undefined;
  /** A repeatable flag's values, in order: an empty one is a problem. */
  list(name: string): Given<readonly string[]> | undefined;
  /** An on/off flag. */
  boolean(name: string): Given<boolean> | undefined;
  /** Adds a problem found by the command's own checks. */
  report(problem: string): void;
}

/**
 * How a message names a flag from `source`: as the person wrote it.
 *
 * @example nameFlag("bind", { kind: "environment" }) // "IAM_AUTH_PROXY_BIND"
 * @example nameFlag("bind", { kind: "config file", path: "proxy.yaml" }) // "bind in proxy.yaml"
 */
export function nameFlag(name: string, source: FlagSource): string {
  if (source.kind === "command line") return `--${name}`;
  if (source.kind === "environment") return envVariableFor(name);
  return `${name} in ${source.path}`;
}

/**
 * One value per flag from several sources, the first source that gives it winning: a list is
 * taken whole from one source, never merged with another's.
 *
 * @example mergeFlagValues([commandLine, environment, configFile]).get("bind")?.source.kind // "command line"
 */
export function mergeFlagValues(sources: readonly FlagValues[]): FlagValues {
  const merged = new Map<string, FlagValue>();
  for (const source of sources) {
    for (const [name, value] of source) if (!merged.has(name)) merged.set(name, value);
  }
  return merged;
}

/**
 * A FlagReader over `values` that adds its problems to `problems`.
 *
 * @example createFlagReader(values, problems).text("bind") // { value: ":9000", name: "--bind" }
 */
export function createFlagReader(values: FlagValues, problems: string[]): FlagReader {
  const given = (name: string): { value: FlagValue["value"]; name: string } | undefined => {
    const found = values.get(name);
    return found === undefined ? undefined : { value: found.value, name: nameFlag(name, found.source) };
  };
  return {
    text(name) {
      const found = given(name);
      if (found === undefined) return undefined;
      if (typeof found.value === "boolean") throw new TypeError(`${name} is not a text flag`);
      if (typeof found.value !== "string") {
        problems.push(`${found.name} was given more than once`);
        return undefined;
      }
      if (found.value === "") {
        problems.push(`${found.name} needs a value`);
        return undefined;
      }
      return { value: found.value, name: found.name };
    },
    list(name) {
      const found = given(name);
      if (found === undefined) return undefined;
      if (typeof found.value === "boolean") throw new TypeError(`${name} is not a list flag`);
      const items = typeof found.value === "string" ? [found.value] : found.value;
      if (items.length === 0 || items.includes("")) {
        problems.push(`${found.name} needs a value`);
        return undefined;
      }
      return { value: items, name: found.name };
    },
    boolean(name) {
      const found = given(name);
      if (found === undefined) return undefined;
      if (typeof found.value !== "boolean") throw new TypeError(`${name} is not an on/off flag`);
      return { value: found.value, name: found.name };
    },
    report(problem) {
      problems.push(problem);
    },
  };
}
