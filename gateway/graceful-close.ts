import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";

/** Closes an HTTP server the way SIGTERM should: no new work, the work in flight finished. */
export interface GracefulCloser {
  /**
   * Stops accepting connections and lets the requests in flight finish, then resolves true;
   * after `timeoutMs` it cuts what is still open (long downloads, websockets) and resolves false.
   */
  close(timeoutMs: number): Promise<boolean>;
  /** Cuts every connection now. */
  closeNow(): void;
}

/**
 * Watches `server`'s connections and responses from now on, so it can later be closed
 * gracefully. Node's `server.close()` alone waits for kept-alive connections to time out
 * (5 s) and never ends websockets: here each response in flight is told to close its
 * connection, and each connection is closed as soon as it is idle.
 *
 * @example const closer = watchConnections(server); process.once("SIGTERM", () => closer.close(10_000));
 */
export function watchConnections(server: Server): GracefulCloser {
  const sockets = new Set<Socket>();
  const responses = new Set<ServerResponse>();
  let closing = false;
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  const finishOnClose = (res: ServerResponse): void => {
    // Not yet answered: the answer says Connection: close, and Node closes the socket after it.
    if (!res.headersSent) res.shouldKeepAlive = false;
  };
  server.on("request", (_req: IncomingMessage, res: ServerResponse) => {
    responses.add(res);
    if (closing) finishOnClose(res);
    res.once("close", () => {
      responses.delete(res);
      if (closing) server.closeIdleConnections();
    });
  });
  const closeNow = (): void => {
    server.closeAllConnections();
    for (const socket of sockets) socket.destroy();
  };
  return {
    closeNow,
    close: (timeoutMs) =>
      new Promise<boolean>((resolve) => {
        closing = true;
        const timer = setTimeout(() => {
          closeNow();
          resolve(false);
        }, timeoutMs);
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          resolve(true);
        });
        for (const res of responses) finishOnClose(res);
        server.closeIdleConnections();
      }),
  };
}
