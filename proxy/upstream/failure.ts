import { formatHostPort } from "../http/bind-address.js";
import { ProxyError, toOneLine } from "../common/errors.js";
import type { ProxyLogger } from "../common/log.js";
import { describeTlsFailure } from "./upstream-tls.js";

/** The app a failure is about: where the proxy connected, and the authority the client addressed. */
export interface FailedTarget {
  readonly hostname: string;
  readonly port: number;
  /** `host[:port]` as the client addressed it. */
  readonly host: string;
}

// undici's errors for a response it could not read: the app answered, but not with HTTP/1.1 the
// proxy can relay. (llhttp's HTTPParserError carries an `HPE_…` code only sometimes: its name decides.)
const badResponseCodes: ReadonlySet<string> = new Set([
  "UND_ERR_HEADERS_OVERFLOW",
  "UND_ERR_RES_CONTENT_LENGTH_MISMATCH",
  "UND_ERR_RES_EXCEEDED_MAX_SIZE",
]);
// undici's SocketError messages for an app that broke the protocol rather than the connection.
const badResponseSocketMessages: ReadonlySet<string> = new Set(["bad response", "bad upgrade"]);

/**
 * THE mapping from a failed exchange with an app to what the client is told, for every mode
 * (forward, intercepted HTTPS, websockets, reverse) and every connection (direct, SOCKS, TLS):
 * - a ProxyError (SOCKS failures, the head timeout) as it is;
 * - a TLS failure: 502 UPSTREAM_CERTIFICATE_INVALID or UPSTREAM_TLS_FAILED (see describeTlsFailure);
 * - a response that is not HTTP the proxy can relay (a parser error, headers too large, a
 *   protocol switch nobody asked for): 502 UPSTREAM_BAD_RESPONSE;
 * - undici refusing the request before sending it: 400 REQUEST_INVALID;
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
  const code = errorCode(error);
  const name = (error as { name?: unknown } | null | undefined)?.name;
  const message = error instanceof Error ? toOneLine(error.message, 200) : String(error);
  if (
    name === "HTTPParserError" ||
    (code !== undefined && badResponseCodes.has(code)) ||
    (code === "UND_ERR_SOCKET" && badResponseSocketMessages.has(message))
  ) {
    return new ProxyError(
      "UPSTREAM_BAD_RESPONSE",
      `${target.host} sent a response the proxy cannot read: ${code ?? "malformed HTTP"} (${message})`,
      { cause: error },
    );
  }
  if (code === "UND_ERR_INVALID_ARG") {
    return new ProxyError(
      "REQUEST_INVALID",
      `The request cannot be forwarded to ${target.host}: ${message}`,
      {
        cause: error,
      },
    );
  }
  if (code === "UND_ERR_SOCKET") {
    return new ProxyError(
      "UPSTREAM_UNREACHABLE",
      `Cannot reach ${target.host}: the connection closed before a complete response (${message})`,
      { cause: error },
    );
  }
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

/** The `code` of a Node or undici error (`ECONNRESET`, `UND_ERR_SOCKET`, …), if it has one. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === "string" ? code : undefined;
}
