import { pino } from "pino";
import { formatLogLine, type LogValue } from "../protocol/index.js";
import type { LoggerOption } from "../server-middleware/index.js";

/** How a command writes its log: one JSON object per line (pino), or `<time> <event> key=value …` lines. */
export type LogFormat = "json" | "text";

/** The values --log-format and LOG_FORMAT accept. */
export const LOG_FORMATS: readonly LogFormat[] = ["json", "text"];

/**
 * The logger a command hands to `createGateway`/`iamAuth` for `format`, writing to file
 * descriptor `fd` (1 stdout, 2 stderr). JSON lines carry `level` ("info"), `time` (ISO 8601),
 * `pid`, `hostname`, `event` and the event's fields; they are written synchronously so the
 * last events before an exit are not lost.
 *
 * @example createJsonLogger("json", 2)
 */
export function createJsonLogger(format: LogFormat, fd: 1 | 2): LoggerOption {
  const stream = fd === 1 ? process.stdout : process.stderr;
  if (format === "text") return (line: string) => void stream.write(`${line}\n`);
  return pino(
    {
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    pino.destination({ fd, sync: true }),
  );
}

/**
 * Logs one of a command's own events (listening, shutdown): a text line, or a JSON object whose
 * `msg` is `message`, so `listening url=…` reads the same in both formats.
 */
export function logCommandEvent(
  logger: LoggerOption,
  event: string,
  fields: Readonly<Record<string, LogValue>>,
  message: string = event,
): void {
  if (typeof logger === "function") logger(formatLogLine(event, fields));
  else logger.info({ event, ...fields }, message);
}
