import type { ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { writeRawPlainText } from "./http-messages.js";
import { formatProxyErrorLine } from "./proxy-error-page.js";
import type { ProxyLogger } from "../common/log.js";

/**
 * A server's 'clientError' handler: a client that sends garbage (or hangs up) loses its own
 * connection, nothing more. It gets a one-line 400 (431 for a head too big, 408 for a head too
 * slow), coded REQUEST_INVALID, when it can still be answered, and the event is logged without the request's contents.
 *
 * @example server.on("clientError", createClientErrorHandler(logger))
 */
export function createClientErrorHandler(
  logger: ProxyLogger,
): (error: NodeJS.ErrnoException, socket: Duplex) => void {
  return (error, socket) => {
    const inFlight = (socket as { _httpMessage?: ServerResponse })._httpMessage;
    if (error.code === "ECONNRESET" || !socket.writable || inFlight?.headersSent === true) {
      socket.destroy();
      return;
    }
    logger.info("client-error", { code: error.code ?? error.name });
    const status =
      error.code === "HPE_HEADER_OVERFLOW" ? 431 : error.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : 400;
    // REQUEST_INVALID names what the client did wrong; the status says how (too big, too slow).
    const code = "REQUEST_INVALID";
    const message = `Bad request: ${error.code ?? "malformed HTTP"}`;
    writeRawPlainText(socket, status, formatProxyErrorLine({ message, code }), code);
  };
}
