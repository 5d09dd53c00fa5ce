import type { AddressInfo, Server } from "node:net";
import { formatLogLine } from "../../protocol/index.js";

/**
 * Listens on 127.0.0.1, port 0, prints `<time> listening url=<scheme>://127.0.0.1:<port>` once
 * ready and `onListening` has settled (the line the bench waits for), and closes on SIGTERM /
 * SIGINT. Every bench helper process starts this way.
 *
 * @example serveOnLoopback(createServer(handler), "http", (port) => mountRoutes(port))
 */
export function serveOnLoopback(
  server: Server,
  scheme: "http" | "https" | "tcp",
  onListening?: (port: number) => void | Promise<void>,
): void {
  const fail = (error: unknown): void => {
    const reason = error instanceof Error ? error.message : String(error);
    process.stderr.write(`${formatLogLine("start-failed", { reason })}\n`);
    process.exit(1);
  };
  server.on("error", fail);
  server.listen(0, "127.0.0.1", () => {
    const { port } = server.address() as AddressInfo;
    Promise.resolve(onListening?.(port)).then(
      () => process.stdout.write(`${formatLogLine("listening", { url: `${scheme}://127.0.0.1:${port}` })}\n`),
      fail,
    );
  });
  const stop = (): void => {
    server.close(() => process.exit(0));
    // Idle keep-alive connections would hold close() open; a bench helper has nothing to finish.
    (server as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
    setTimeout(() => process.exit(0), 1000).unref();
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}
