import { pino, type Logger } from "pino";
import { formatLogLine, type LogValue } from "../../protocol/index.js";

/** Fields of one log event. Never put a secret here: there is no redaction. */
export type LogFields = Readonly<Record<string, LogValue>>;

/** Where the proxy reports what it does: one event per line, `<ISO time> <event> key=value …` or JSON. */
export interface ProxyLogger {
  info(event: string, fields: LogFields): void;
  /** Something the person should act on (e.g. the proxy is reachable from the network). */
  warn(event: string, fields: LogFields): void;
}

/** Minimal writable the logger needs; process.stdout and test buffers both fit. */
export interface LineSink {
  write(chunk: string): unknown;
}

/** `--log-format`: text lines for a person, JSON lines (pino) for a log collector. */
export type LogFormat = "text" | "json";

/**
 * Writes info events to `out` and warnings to `err`: with `format` "text" (the default) as the
 * protocol's formatLogLine, with "json" as one pino JSON object per line
 * (`{"level":"info","time":"<ISO>","event":"listening","url":…,"msg":"listening url=…"}`; the
 * message repeats the event and its first field so `listening url=` reads the same in both).
 *
 * @example createStreamLogger().info("listening", { url: "http://127.0.0.1:8080" })
 * // 2025-01-01T00:00:00.000Z listening url=http://127.0.0.1:8080
 */
export function createStreamLogger(
  out: LineSink = process.stdout,
  err: LineSink = process.stderr,
  format: LogFormat = "text",
): ProxyLogger {
  if (format === "json") {
    const toOut = createJsonLines(out);
    const toErr = createJsonLines(err);
    return {
      info: (event, fields) => toOut.info({ event, ...fields }, describeEvent(event, fields)),
      warn: (event, fields) => toErr.warn({ event, ...fields }, describeEvent(event, fields)),
    };
  }
  return {
    info: (event, fields) => void out.write(`${formatLogLine(event, fields)}\n`),
    warn: (event, fields) => void err.write(`${formatLogLine(event, fields)}\n`),
  };
}

function createJsonLines(sink: LineSink): Logger {
  return pino(
    {
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    { write: (line: string) => void sink.write(line) },
  );
}

/** `listening url=http://…`: the event and its first field, as the text line starts. */
function describeEvent(event: string, fields: LogFields): string {
  const first = Object.entries(fields).find(([, value]) => value !== undefined);
  // formatLogLine starts with the time; at a fixed date it is 24 characters and a space.
  return first === undefined
    ? event
    : formatLogLine(event, Object.fromEntries([first]), new Date(0)).slice(25);
}
