/** The environment a benchmark reads its settings from. */
export type SettingsEnvironment = Readonly<Record<string, string | undefined>>;

/** One numeric environment variable: its name and the values it may take. */
export interface NumberVariable {
  readonly variable: string;
  readonly min: number;
  readonly max: number;
  readonly integer: boolean;
}

/**
 * The number `rule.variable` holds, or undefined when it is unset or empty (the caller's default
 * applies). A bad value is reported to `problems` as "VAR: must be an integer from 1 to 10 (got "x")"
 * and also gives undefined, so every problem of a run is reported at once.
 *
 * @example readNumberVariable({ BENCH_ROUNDS: "3" }, { variable: "BENCH_ROUNDS", min: 1, max: 10, integer: true }, problems) // 3
 */
export function readNumberVariable(
  env: SettingsEnvironment,
  rule: NumberVariable,
  problems: string[],
): number | undefined {
  const text = env[rule.variable];
  if (text === undefined || text.trim() === "") return undefined;
  const value = Number(text);
  if (
    !Number.isFinite(value) ||
    (rule.integer && !Number.isInteger(value)) ||
    value < rule.min ||
    value > rule.max
  ) {
    problems.push(
      `${rule.variable}: must be ${rule.integer ? "an integer" : "a number"} from ${rule.min} to ${rule.max} (got ${JSON.stringify(text)})`,
    );
    return undefined;
  }
  return value;
}

/**
 * The names a comma-separated variable selects (`BENCH_ONLY=forward,login`), in the order of
 * `names` and each once; undefined when it is unset or empty, or names something unknown (reported
 * to `problems`).
 *
 * @example readNameList({ SOAK_ONLY: "gateway" }, "SOAK_ONLY", ["example-server", "gateway"], problems) // ["gateway"]
 */
export function readNameList<T extends string>(
  env: SettingsEnvironment,
  variable: string,
  names: readonly T[],
  problems: string[],
): readonly T[] | undefined {
  const text = env[variable];
  if (text === undefined || text.trim() === "") return undefined;
  const words = text.split(",").map((word) => word.trim().toLowerCase());
  const unknown = words.filter((word) => !(names as readonly string[]).includes(word));
  if (unknown.length > 0) {
    problems.push(
      `${variable}: comma-separated names from ${names.join(", ")} (unknown: ${unknown.map((w) => JSON.stringify(w)).join(", ")})`,
    );
    return undefined;
  }
  return Object.freeze(names.filter((name) => words.includes(name)));
}
