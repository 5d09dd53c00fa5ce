import { formatHostPort } from "../http/bind-address.js";
import { ProxyError, toOneLine } from "../common/errors.js";
import type { ProxyLogger } from "../common/log.js";
import { describeTlsFailure } from "./upstream-tls.js";
import { ResponseSyntaxError } from "./response-reader.js";
import { ConnectionClosedError } from "./upstream-exchange.js";

/** The app a failure is about: where the proxy connected, and the authority the client addressed. */
export interface FailedTarget {
  readonly hostname: string;
  readonly port: number;
  /** `host[:port]` as the client addressed it. */
  readonly host: string;
}

/**
 * THE mapping from a failed exchange with an app to what the client is told, for every mode
 * (forward, intercepted HTTPS, websockets, reverse) and every connection (direct, SOCKS, TLS):
 * - a ProxyError (SOCKS failures, the head timeout) as it is;
 * - a TLS failure: 502 UPSTREAM_CERTIFICATE_INVALID or UPSTREAM_TLS_FAILED (see describeTlsFailure);
 * - a response that is not HTTP the proxy can relay (see ResponseReader): 502 UPSTREAM_BAD_RESPONSE;
 * - the connection closing before a complete response: 502 UPSTREAM_UNREACHABLE saying so;
 * - any other error: 502 UPSTREAM_UNREACHABLE naming the socket error's code.
 * Whatever an app does, the answer is never a 500: that is kept for the proxy's own bugs.
 *
 * @example describeUpstreamFailure(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }), { hostname: "app", port: 80, host: "app" }).message
 * // "Cannot reach app: ECONNREFUSED"
 */
export function describeUpstreamFailure(error: unknown, target: FailedTarget): ProxyError {
  if (error instanceof ProxyError) return error;
  const tls = describeTlsFailure(error, formatHostPort(target.hostname, target.port), target.hostname);
  if (tls !== undefined) return tls;
  if (error instanceof ResponseSyntaxError) {
    return new ProxyError(
      "UPSTREAM_BAD_RESPONSE",
      `${target.host} sent a response the proxy cannot read: ${error.code} (${error.message})`,
      { cause: error },
    );
  }
  if (error instanceof ConnectionClosedError) {
    return new ProxyError("UPSTREAM_UNREACHABLE", `Cannot reach ${target.host}: ${error.message}`, {
      cause: error,
    });
  }
  const code = errorCode(error);
  const message = error instanceof Error ? toOneLine(error.message, 200) : String(error);
  return new ProxyError("UPSTREAM_UNREACHABLE", `Cannot reach ${target.host}: ${code ?? message}`, {
    cause: error,
  });
}

/**
 * Logs a failure from describeUpstreamFailure, once, the same way in every mode:
 * `<event> host=… outcome=upstream-failed code=<ProxyError code> cause=<socket code> reason=…`.
 *
 * @example logUpstreamFailure(logger, "forward", "app:3000", failure)
 */
export function logUpstreamFailure(
  logger: ProxyLogger,
  event: string,
  host: string,
  failure: ProxyError,
): void {
  logger.warn(event, {
    host,
    outcome: "upstream-failed",
    code: failure.code,
    cause: errorCode(failure.cause),
    reason: failure.message,
  });
}

/** The `code` of a Node error or of the sender's own (`ECONNRESET`, `UPSTREAM_CLOSED`, `HEADER_LINE_INVALID`, …), if it has one. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === "string" ? code : undefined;
}
