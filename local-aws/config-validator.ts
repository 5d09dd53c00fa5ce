/*
 * A small collector for configuration checks: each method checks one value, records a
 * problem naming the field and the bad value (never a secret's value), and returns what it
 * could read, so one pass reports every problem at once.
 */

/** Collects problems instead of throwing so the caller sees all of them at once. */
export class Validator {
  readonly problems: string[] = [];

  object(value: unknown, at: string, allowed: readonly string[]): Record<string, unknown> | undefined {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      this.problems.push(`${at}: must be an object (got ${describe(value)})`);
      return undefined;
    }
    const record = value as Record<string, unknown>;
    for (const name of Object.keys(record)) {
      if (!allowed.includes(name))
        this.problems.push(`${at}.${name}: unknown field (allowed: ${allowed.join(", ")})`);
    }
    return record;
  }

  array(value: unknown, at: string, required = false): readonly unknown[] {
    if (value === undefined && !required) return [];
    if (!Array.isArray(value)) {
      this.problems.push(`${at}: must be an array (got ${describe(value)})`);
      return [];
    }
    return value as unknown[];
  }

  string(value: unknown, at: string, pattern: RegExp, required: boolean): string | undefined {
    if (value === undefined && !required) return undefined;
    if (typeof value !== "string" || !pattern.test(value)) {
      this.problems.push(`${at}: must be a string matching ${String(pattern)} (got ${describe(value)})`);
      return undefined;
    }
    return value;
  }

  /** Like string(), but never puts the value into a message. */
  secret(value: unknown, at: string, required = true): string | undefined {
    if (value === undefined && !required) return undefined;
    if (typeof value !== "string" || value.length < 16 || value.length > 128) {
      this.problems.push(`${at}: must be a string of 16 to 128 characters (value not shown)`);
      return undefined;
    }
    return value;
  }

  integer(value: unknown, at: string, min: number, max: number): number | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
      this.problems.push(`${at}: must be an integer from ${min} to ${max} (got ${describe(value)})`);
      return undefined;
    }
    return value;
  }

  /** An optional list of strings that each match `pattern`. */
  stringList(value: unknown, at: string, pattern: RegExp): readonly string[] | undefined {
    if (value === undefined) return undefined;
    return this.array(value, at).map((p, i) => this.string(p, `${at}[${i}]`, pattern, true) ?? "");
  }
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object" && value !== null) return "an object";
  const text = JSON.stringify(value) ?? typeof value;
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

export function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
