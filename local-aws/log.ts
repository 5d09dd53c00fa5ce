/*
 * One event per line: `<ISO time> <event> key=value …`. Values containing spaces, quotes or
 * `=` are JSON-quoted so lines stay machine-splittable. Callers must never pass secrets
 * (secret keys, session tokens, signatures, plaintexts, ciphertexts) as values.
 */

export type LogFields = Readonly<Record<string, string | number | boolean | undefined>>;

/** Where log lines go; the default writes to stdout. */
export type LogSink = (line: string) => void;

/**
 * Formats one log line (without the trailing newline).
 *
 * @example formatLogLine(new Date(0), "aws-call", { action: "kms:Encrypt", outcome: "ok" })
 * // "1970-01-01T00:00:00.000Z aws-call action=kms:Encrypt outcome=ok"
 */
export function formatLogLine(time: Date, event: string, fields: LogFields = {}): string {
  const parts = [time.toISOString(), event];
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    parts.push(`${key}=${formatValue(String(value))}`);
  }
  return parts.join(" ");
}

function formatValue(value: string): string {
  return value === "" || /[\s"=\\]|[^\x20-\x7e]/.test(value) ? JSON.stringify(value) : value;
}

/** A logger bound to a sink and a clock. */
export interface Logger {
  log(event: string, fields?: LogFields): void;
}

export function createLogger(sink: LogSink, clock: () => Date): Logger {
  return { log: (event, fields) => sink(formatLogLine(clock(), event, fields)) };
}

/** The default sink: one line per write to stdout. */
export const stdoutSink: LogSink = (line) => {
  process.stdout.write(`${line}\n`);
};
