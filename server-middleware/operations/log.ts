import { formatLogLine, type LogValue } from "../../protocol/index.js";

/**
 * A pino-compatible logger: pino's own, or anything whose `info` takes an object of fields and
 * a message. Each event becomes one call, `info({ event, ...fields }, event)`.
 */
export interface StructuredLogger {
  info(fields: Record<string, unknown>, message?: string): void;
}

/**
 * The `logger` option of `iamAuth()` and `createGateway()`: a line writer, called with one
 * `<ISO time> <event> key=value …` line per event (the original form, kept), or a pino-compatible
 * logger, called with one object per event (JSON when it is pino).
 */
export type LoggerOption = ((line: string) => void) | StructuredLogger;

/** Logs one event. Fields must never hold a token, a key, a credential or a cookie. */
export type EventLogger = (event: string, fields: Readonly<Record<string, LogValue>>) => void;

/** Whether `value` can be given as the `logger` option. */
export function isLoggerOption(value: unknown): value is LoggerOption {
  if (typeof value === "function") return true;
  return (
    typeof value === "object" && value !== null && typeof (value as { info?: unknown }).info === "function"
  );
}

/**
 * Binds the configured logger (and, for line writers, the clock) to one call per event.
 *
 * @example createEventLogger(console.log, () => new Date())("auth", { outcome: "signed-in" })
 * @example createEventLogger(pino(), () => new Date())("audit", { action: "sign-in" }) // {"event":"audit","action":"sign-in",…}
 */
export function createEventLogger(logger: LoggerOption, clock: () => Date): EventLogger {
  if (typeof logger === "function") return (event, fields) => logger(formatLogLine(event, fields, clock()));
  return (event, fields) => {
    const record: Record<string, LogValue> = { event };
    for (const [key, value] of Object.entries(fields)) if (value !== undefined) record[key] = value;
    logger.info(record, event);
  };
}
