/** Whether a value is a plain object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Describes a bad option value for an error message: strings quoted (and cut short),
 * numbers as is, everything else by its kind.
 *
 * @example describeValue("abc") // '"abc"'
 */
export function describeValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint")
    return String(value);
  return describeSecret(value);
}

/**
 * Describes a value by its kind only, for options that hold secrets: a string's length, never its text.
 *
 * @example describeSecret("hunter2") // "a string of 7 characters"
 */
export function describeSecret(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return value.length === 0 ? "an empty array" : "an array";
  if (typeof value === "object") return Object.keys(value).length === 0 ? "an empty object" : "an object";
  if (typeof value === "string")
    return value === "" ? "an empty string" : `a string of ${value.length} characters`;
  return `a ${typeof value}`;
}
