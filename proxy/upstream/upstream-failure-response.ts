import type { ServerResponse } from "node:http";
import type { ProxyError } from "../common/errors.js";
import { sendPlainText } from "../http/http-messages.js";
import type { ProxyLogger } from "../common/log.js";
import { errorCode } from "./upstream-connections.js";

/** What the client is told when the proxy itself failed: no details, the proxy's log has them. */
export const INTERNAL_ERROR_MESSAGE =
  "The proxy failed to handle this request (internal error; see the proxy log)";

/** Where and how a failed exchange with an app is logged. */
export interface UpstreamFailureLog {
  readonly logger: ProxyLogger;
  /** The log event: `forward`, `reverse`. */
  readonly event: string;
  /** The app, `host[:port]`. */
  readonly host: string;
  /** Logs a failure the client is told about (e.g. logUpstreamFailure). */
  readonly logFailure: (logger: ProxyLogger, event: string, host: string, failure: ProxyError) => void;
}

/**
 * Answers a client whose exchange with an app failed with `error`. `failure` is what the client
 * is told (see toUpstreamFailure); undefined means the error is not a connection failure but a
 * bug: a 500 without details, and the log says what happened. When the app failed mid-response,
 * all the client can be told is that the body is cut short: its response is destroyed.
 *
 * @example sendUpstreamFailure(res, error, toUpstreamFailure(error, target), { logger, event: "forward", host, logFailure: logUpstreamFailure })
 */
export function sendUpstreamFailure(
  res: ServerResponse,
  error: unknown,
  failure: ProxyError | undefined,
  log: UpstreamFailureLog,
): void {
  const { logger, event, host } = log;
  if (failure === undefined) {
    logger.warn(event, { host, outcome: "internal-error", reason: String(error) });
    sendPlainText(res, 500, INTERNAL_ERROR_MESSAGE);
    return;
  }
  if (res.headersSent) {
    logger.warn(event, { host, outcome: "upstream-aborted", code: errorCode(error) });
    res.destroy();
    return;
  }
  log.logFailure(logger, event, host, failure);
  sendPlainText(res, failure.status, failure.message);
}
