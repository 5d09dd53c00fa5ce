import { once } from "node:events";
import { connect, type Socket } from "node:net";

/**
 * A TCP connection to `endpoint` (its host and port): straight there when `proxy` is undefined,
 * else a tunnel through the HTTP proxy `proxy` opened with a raw `CONNECT` (answered 200; any
 * bytes after the answer are handed back). The socket is paused; from the moment it exists an
 * error destroys it, so whoever waits on it sees `close`.
 *
 * @example const socket = await openStream(new URL("tcp://127.0.0.1:4000"), new URL(proxy.url))
 */
export async function openStream(endpoint: URL, proxy: URL | undefined): Promise<Socket> {
  const via = proxy ?? endpoint;
  const socket = connect({ host: via.hostname, port: Number(via.port) });
  socket.on("error", () => socket.destroy());
  await Promise.race([
    once(socket, "connect"),
    once(socket, "close").then(() => {
      throw new Error(`cannot connect to ${via.host}`);
    }),
  ]);
  if (proxy === undefined) return socket;
  socket.write(`CONNECT ${endpoint.host} HTTP/1.1\r\nHost: ${endpoint.host}\r\n\r\n`);
  const head = await new Promise<Buffer>((resolve, reject) => {
    let received = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      received = Buffer.concat([received, chunk]);
      if (received.includes("\r\n\r\n")) {
        socket.off("data", onData).off("close", onClose).pause();
        resolve(received);
      } else if (received.length > 8192) {
        reject(new Error("the proxy's answer to CONNECT has no end of header"));
      }
    };
    const onClose = (): void =>
      reject(new Error(`the proxy closed the connection: ${received.toString("latin1")}`));
    socket.on("data", onData).once("close", onClose);
  });
  const status = head.subarray(0, head.indexOf("\r\n")).toString("latin1");
  if (!/^HTTP\/1\.[01] 200\b/.test(status)) {
    socket.destroy();
    throw new Error(`CONNECT ${endpoint.host} answered "${status}"`);
  }
  const end = head.indexOf("\r\n\r\n") + 4;
  if (end < head.length) socket.unshift(head.subarray(end));
  return socket;
}
