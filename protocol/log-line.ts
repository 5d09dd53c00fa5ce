/** Values a log field may hold. Secrets must never be passed here: there is no redaction. */
export type LogValue = string | number | boolean | undefined;

const bareValue = /^[A-Za-z0-9_.:/@*+\-,=[\]]+$/;

/**
 * Formats one structured log event as a single line: `<ISO time> <event> key=value …`.
 * Values with spaces, quotes or control characters are JSON-quoted so one event is always one
 * line and a hostile value (a header, a path) cannot forge another event. Undefined fields are left out.
 *
 * @example formatLogLine("login", { host: "app:3000", outcome: "ok" }, new Date(0))
 * // '1970-01-01T00:00:00.000Z login host=app:3000 outcome=ok'
 */
export function formatLogLine(
  event: string,
  fields: Readonly<Record<string, LogValue>>,
  now = new Date(),
): string {
  let line = `${now.toISOString()} ${event}`;
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    const text = String(value);
    line += ` ${key}=${bareValue.test(text) ? text : JSON.stringify(text)}`;
  }
  return line;
}
