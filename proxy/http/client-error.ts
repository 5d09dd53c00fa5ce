import type { ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { describeClientError } from "../../protocol/index.js";
import { writeRawPlainText } from "./http-messages.js";
import { formatProxyErrorLine } from "./proxy-error-page.js";
import type { ProxyLogger } from "../common/log.js";

/**
 * A server's 'clientError' handler: a client that sends garbage (or hangs up) loses its own
 * connection, nothing more. It gets a one-line 400 (431 for a head too big, 408 for a head too
 * slow), coded REQUEST_INVALID (protocol's describeClientError, the gateway's and the example
 * server's answer too), when it can still be answered, and the event is logged without the request's contents.
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
    const answer = describeClientError(error.code);
    writeRawPlainText(socket, answer.status, formatProxyErrorLine(answer), answer.code);
  };
}
