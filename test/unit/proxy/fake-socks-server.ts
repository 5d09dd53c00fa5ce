import net, { type AddressInfo, type Socket } from "node:net";

/** One CONNECT request the fake SOCKS server received. */
export interface SocksRequest {
  /** 1 IPv4, 3 domain name, 4 IPv6 (RFC 1928 §5). */
  readonly addressType: number;
  readonly host: string;
  readonly port: number;
}

export interface FakeSocksServer {
  readonly port: number;
  readonly requests: SocksRequest[];
  /** Where each requested `host:port` really is (the "remote network"); unknown names get reply 4. */
  readonly routes: Map<string, number>;
  /** When set, every request is answered with this reply code (RFC 1928 §6). */
  replyCode: number | undefined;
  close(): Promise<void>;
}

/**
 * A minimal SOCKS5 server (no authentication, CONNECT only) for unit tests: it records what it
 * was asked for and connects names through `routes` to loopback ports, so a test can tell the
 * client sent a host name unresolved.
 */
export async function startFakeSocksServer(): Promise<FakeSocksServer> {
  const requests: SocksRequest[] = [];
  const routes = new Map<string, number>();
  const fake = { requests, routes, replyCode: undefined as number | undefined };
  const server = net.createServer((client) => {
    client.on("error", () => client.destroy());
    let buffer = Buffer.alloc(0);
    let greeted = false;
    const onData = (chunk: Buffer): void => {
      buffer = Buffer.concat([buffer, chunk]);
      if (!greeted) {
        if (buffer.length < 2 || buffer.length < 2 + (buffer[1] ?? 0)) return;
        buffer = buffer.subarray(2 + (buffer[1] ?? 0));
        greeted = true;
        client.write(Buffer.from([5, 0]));
      }
      const request = readRequest(buffer);
      if (request === undefined) return;
      client.off("data", onData);
      requests.push(request);
      connectOnward(client, request, fake.replyCode, routes);
    };
    client.on("data", onData);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return Object.assign(fake, {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

function readRequest(buffer: Buffer): SocksRequest | undefined {
  if (buffer.length < 5) return undefined;
  const addressType = buffer[3] ?? 0;
  let host: string;
  let end: number;
  if (addressType === 1) {
    end = 8;
    host = [...buffer.subarray(4, 8)].join(".");
  } else if (addressType === 3) {
    end = 5 + (buffer[4] ?? 0);
    host = buffer.subarray(5, end).toString("latin1");
  } else {
    end = 20;
    host = "ipv6";
  }
  if (buffer.length < end + 2) return undefined;
  return { addressType, host, port: buffer.readUInt16BE(end) };
}

function reply(client: Socket, code: number): void {
  client.write(Buffer.from([5, code, 0, 1, 127, 0, 0, 1, 0, 0]));
}

function connectOnward(
  client: Socket,
  request: SocksRequest,
  forced: number | undefined,
  routes: Map<string, number>,
): void {
  const port = routes.get(`${request.host}:${request.port}`);
  if (forced !== undefined || port === undefined) {
    reply(client, forced ?? 4);
    client.end();
    return;
  }
  const upstream = net.connect(port, "127.0.0.1");
  upstream.on("error", () => {
    reply(client, 5);
    client.end();
  });
  upstream.once("connect", () => {
    reply(client, 0);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
}
