import net, { type AddressInfo } from "node:net";

/** A TCP relay on 127.0.0.1 in front of a service, that a test closes (connections refused) and opens again. */
export interface TcpGate {
  /** `http://127.0.0.1:<port>`: where clients are told the service is. */
  readonly url: string;
  readonly port: number;
  /** Stops listening and cuts every relayed connection: the port is closed, as for a dead service. */
  close(): Promise<void>;
  /** Listens again on the same port. */
  open(): Promise<void>;
}

/**
 * Starts a relay from a free port on 127.0.0.1 to `targetPort` on 127.0.0.1. Processes given its
 * URL reach the service only through it, so closing it makes the service unreachable for them
 * (connection refused) while the service itself keeps its state (issued sessions, counters).
 *
 * @example const gate = await startTcpGate(awsPort); await gate.close(); … await gate.open();
 */
export async function startTcpGate(targetPort: number): Promise<TcpGate> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, "127.0.0.1");
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("error", () => socket.destroy());
      socket.on("close", () => sockets.delete(socket));
    }
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  const listen = (port: number): Promise<void> =>
    new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
  await listen(0);
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        if (server.listening) server.close(() => resolve());
        else resolve();
      }),
    open: () => listen(port),
  };
}
