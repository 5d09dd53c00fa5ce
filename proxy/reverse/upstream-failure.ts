import { ProxyError, toOneLine } from "../common/errors.js";
import type { ProxyLogger } from "../common/log.js";
import { errorCode } from "../upstream/upstream-connections.js";
import { UNTRUSTED_CERTIFICATE_CODES } from "../upstream/upstream-tls.js";

const expiredCodes = new Set(["CERT_HAS_EXPIRED", "CERT_NOT_YET_VALID"]);

/**
 * The 502 the browser gets when the upstream at `host` cannot be reached, naming why: a TLS
 * certificate that is not trusted, has expired or is for another name, a failed TLS handshake,
 * or the socket error's code. Undefined for an error with no string `code` (a bug, not a network failure).
 *
 * @example describeUpstreamFailure(Object.assign(new Error("self-signed certificate"), { code: "DEPTH_ZERO_SELF_SIGNED_CERT" }), "app.example.com")?.message
 * // "Cannot reach app.example.com: its TLS certificate is not trusted (DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate); …"
 */
export function describeUpstreamFailure(error: unknown, host: string): ProxyError | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code !== "string") return undefined;
  const detail = `(${code}: ${toOneLine((error as Error).message, 200)})`;
  let reason: string;
  if (UNTRUSTED_CERTIFICATE_CODES.has(code)) {
    reason =
      `its TLS certificate is not trusted ${detail}; if the app uses a private certificate authority, ` +
      "give the proxy that CA's certificate with --upstream-ca";
  } else if (expiredCodes.has(code)) {
    reason = `its TLS certificate is not valid now ${detail}`;
  } else if (code === "ERR_TLS_CERT_ALTNAME_INVALID") {
    reason = `its TLS certificate is not for ${host} ${detail}`;
  } else if (code === "EPROTO" || code.startsWith("ERR_SSL_") || code.startsWith("ERR_TLS_")) {
    reason = `the TLS handshake failed ${detail}`;
  } else {
    reason = code;
  }
  return new ProxyError("UPSTREAM_UNREACHABLE", `Cannot reach ${host}: ${reason}`, { cause: error });
}

/**
 * Logs a failure from describeUpstreamFailure: `<event> host=… outcome=upstream-unreachable code=… reason=…`.
 *
 * @example logUnreachableUpstream(logger, "reverse", "app.example.com", failure)
 */
export function logUnreachableUpstream(
  logger: ProxyLogger,
  event: string,
  host: string,
  failure: ProxyError,
): void {
  logger.warn(event, {
    host,
    outcome: "upstream-unreachable",
    code: errorCode(failure.cause),
    reason: failure.message,
  });
}
