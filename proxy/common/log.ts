import { formatLogLine, type LogValue } from "../../protocol/index.js";

/** Fields of one log event. Never put a secret here: there is no redaction. */
export type LogFields = Readonly<Record<string, LogValue>>;

/** Where the proxy reports what it does: one event per line, `<ISO time> <event> key=value …`. */
export interface ProxyLogger {
  info(event: string, fields: LogFields): void;
  /** Something the person should act on (e.g. the proxy is reachable from the network). */
  warn(event: string, fields: LogFields): void;
}

/** Minimal writable the logger needs; process.stdout and test buffers both fit. */
export interface LineSink {
  write(chunk: string): unknown;
}

/**
 * Writes info events to `out` and warnings to `err`, formatted with the protocol's formatLogLine.
 *
 * @example createStreamLogger().info("listening", { url: "http://127.0.0.1:8080" })
 * // 2025-01-01T00:00:00.000Z listening url=http://127.0.0.1:8080
 */
export function createStreamLogger(
  out: LineSink = process.stdout,
  err: LineSink = process.stderr,
): ProxyLogger {
  return {
    info: (event, fields) => void out.write(`${formatLogLine(event, fields)}\n`),
    warn: (event, fields) => void err.write(`${formatLogLine(event, fields)}\n`),
  };
}
