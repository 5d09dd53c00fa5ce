import http, { type ClientRequestArgs, type IncomingHttpHeaders } from "node:http";
import https from "node:https";
import net, { type Socket } from "node:net";
import type { Duplex } from "node:stream";
import tls, { type TLSSocket } from "node:tls";

/** What the proxy answered to a CONNECT, and the socket (the tunnel, when it said 200). */
export interface ConnectReply {
  readonly socket: Socket;
  readonly status: number;
  /** The reply head (status line and fields). */
  readonly head: string;
  /** What followed the head: the body of a refusal, or the first tunnelled bytes. */
  readonly rest: Buffer;
}

/** Opens a connection to the HTTP proxy at `proxyUrl` and sends `CONNECT authority`. */
export async function sendConnect(proxyUrl: string, authority: string): Promise<ConnectReply> {
  const proxy = new URL(proxyUrl);
  const socket = net.connect(Number(proxy.port), proxy.hostname.replace(/^\[|\]$/g, ""));
  socket.on("error", () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`);
  let received = Buffer.alloc(0);
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf("\r\n\r\n");
      if (end === -1) return;
      socket.off("data", onData);
      socket.pause();
      const head = received.subarray(0, end).toString("latin1");
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
      resolve({ socket, status, head, rest: received.subarray(end + 4) });
    };
    socket.on("data", onData);
    socket.once("close", () => reject(new Error(`the proxy closed the connection: ${received.toString()}`)));
  });
}

/** Reads a refused CONNECT's body to the end. */
export function readRest(reply: ConnectReply): Promise<string> {
  return new Promise((resolve) => {
    let text = reply.rest.toString("utf8");
    reply.socket.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
    reply.socket.on("close", () => resolve(text));
    reply.socket.resume();
  });
}

type CreateConnection = (
  options: ClientRequestArgs,
  callback: (error: Error | null, stream: Duplex) => void,
) => undefined;

/**
 * A `createConnection` for http(s).request and the `ws` client that reaches the target through
 * a CONNECT tunnel of the proxy; with `tls`, it then speaks TLS over the tunnel trusting only `tls.ca`.
 */
export function connectThroughProxy(
  proxyUrl: string,
  tlsOptions?: { readonly ca: string | readonly string[] },
  onSecure?: (socket: TLSSocket) => void,
): CreateConnection {
  return (options, callback) => {
    const host = String(options.host ?? "localhost").replace(/^\[|\]$/g, "");
    const authority = net.isIPv6(host)
      ? `[${host}]:${String(options.port)}`
      : `${host}:${String(options.port)}`;
    sendConnect(proxyUrl, authority).then(
      (reply) => {
        if (reply.status !== 200) {
          reply.socket.destroy();
          callback(
            new Error(`CONNECT ${authority} answered ${reply.head.split("\r\n")[0] ?? ""}`),
            reply.socket,
          );
          return;
        }
        reply.socket.resume();
        if (tlsOptions === undefined) {
          callback(null, reply.socket);
          return;
        }
        const secure = tls.connect({
          socket: reply.socket,
          ca: tlsOptions.ca as string[],
          ...(net.isIP(host) === 0 ? { servername: host } : {}),
          ALPNProtocols: ["http/1.1"],
        });
        secure.once("secureConnect", () => onSecure?.(secure));
        callback(null, secure);
      },
      (error: Error) => callback(error, undefined as unknown as Duplex),
    );
    return undefined;
  };
}

/** The result of one request through the proxy. */
export interface ProxiedResult {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** For https: the CN of the issuer of the certificate the client was shown. */
  readonly issuer?: string | undefined;
}

/**
 * One HTTPS request through the proxy's CONNECT, as a browser makes it: the client trusts only
 * `ca` (the proxy's CA for an intercepted app, the app's own for a tunnelled one).
 */
export function httpsThroughProxy(
  proxyUrl: string,
  url: string,
  options: {
    readonly ca: string | readonly string[];
    readonly headers?: Record<string, string>;
    readonly method?: string;
  },
): Promise<ProxiedResult> {
  const target = new URL(url);
  let issuer: string | undefined;
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: target.hostname.replace(/^\[|\]$/g, ""),
        port: target.port === "" ? 443 : Number(target.port),
        path: `${target.pathname}${target.search}`,
        method: options.method ?? "GET",
        headers: options.headers ?? {},
        // No agent: node:http then uses createConnection (agent: false would make a fresh agent, which ignores it).
        createConnection: connectThroughProxy(proxyUrl, { ca: options.ca }, (socket) => {
          const cn = socket.getPeerCertificate().issuer?.CN;
          issuer = Array.isArray(cn) ? cn.join(",") : cn;
        }),
      } as https.RequestOptions,
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8"),
            issuer,
          }),
        );
      },
    );
    req.on("error", reject);
    req.end();
  });
}

/**
 * An agent that sends requests to the HTTP proxy in absolute-form (`GET http://app/ws HTTP/1.1`),
 * as HTTP proxy agents do for plain http and ws:// URLs.
 */
export class AbsoluteFormAgent extends http.Agent {
  private readonly proxy: URL;

  constructor(proxyUrl: string) {
    super({ keepAlive: false });
    this.proxy = new URL(proxyUrl);
  }

  /** node:http calls this before it writes the request line, so the path can still change. */
  addRequest(req: http.ClientRequest, options: ClientRequestArgs): void {
    const host = String(options.host ?? "localhost");
    const authority = net.isIPv6(host) ? `[${host}]` : host;
    req.path = `http://${authority}:${String(options.port ?? 80)}${req.path}`;
    const base = http.Agent.prototype as unknown as {
      addRequest(this: http.Agent, req: http.ClientRequest, options: ClientRequestArgs): void;
    };
    base.addRequest.call(this, req, {
      ...options,
      host: this.proxy.hostname.replace(/^\[|\]$/g, ""),
      port: Number(this.proxy.port),
    });
  }
}
