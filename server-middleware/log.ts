import { formatLogLine, type LogValue } from "../protocol/index.js";

/** Logs one event as one line. Fields must never hold a token, a key, a credential or a cookie. */
export type EventLogger = (event: string, fields: Readonly<Record<string, LogValue>>) => void;

/**
 * Binds the configured line writer and clock to the project's log format.
 *
 * @example createEventLogger(console.log, () => new Date())("auth", { outcome: "signed-in" })
 */
export function createEventLogger(write: (line: string) => void, clock: () => Date): EventLogger {
  return (event, fields) => write(formatLogLine(event, fields, clock()));
}
