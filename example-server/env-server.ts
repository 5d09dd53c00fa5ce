import { checkServerLimits, type ServerLimits } from "../gateway/index.js";

/** The example server's HTTP server settings as read from the environment. */
export interface ExampleServerEnv {
  /** HEADERS_TIMEOUT, REQUEST_TIMEOUT, KEEP_ALIVE_TIMEOUT (seconds) and MAX_CONNECTIONS; defaults DEFAULT_SERVER_LIMITS. */
  readonly serverLimits: ServerLimits;
  /** TRUST_PROXY: Express's `trust proxy` (`true`, or e.g. `loopback`, `10.0.0.0/8`); default false (no one's X-Forwarded-*). */
  readonly trustProxy: boolean | string;
}

const decimal = /^\d+(?:\.\d+)?$/;

/**
 * Reads the variables that bound the example server's clients (see the gateway's
 * server-limits.ts) and TRUST_PROXY. Problems, one per variable, go to `problems`.
 *
 * @example readServerEnv((name) => process.env[name], problems).serverLimits.headersTimeoutMs // 15000
 */
export function readServerEnv(
  read: (name: string) => string | undefined,
  problems: string[],
): ExampleServerEnv {
  const names = {
    headersTimeoutMs: "HEADERS_TIMEOUT",
    requestTimeoutMs: "REQUEST_TIMEOUT",
    keepAliveTimeoutMs: "KEEP_ALIVE_TIMEOUT",
    maxConnections: "MAX_CONNECTIONS",
  } as const;
  const given: Partial<Record<keyof ServerLimits, unknown>> = {};
  for (const [key, variable] of Object.entries(names) as [keyof ServerLimits, string][]) {
    const text = read(variable);
    // Not a plain decimal number: passed on as text, which checkServerLimits reports with the value.
    if (text !== undefined) given[key] = decimal.test(text) ? Number(text) : text;
  }
  const serverLimits = checkServerLimits(given, names, "s", problems);
  const trustText = read("TRUST_PROXY");
  const trustProxy =
    trustText === undefined || trustText === "false" ? false : trustText === "true" ? true : trustText;
  return Object.freeze({ serverLimits, trustProxy });
}
