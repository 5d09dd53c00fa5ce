import { createServer, type AddressInfo } from "node:net";

/**
 * A port free on 127.0.0.1 now, for programs that cannot listen on port 0 and report the port
 * they got (nginx, redis-server). Another process could take it before they do; tests accept that.
 */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
