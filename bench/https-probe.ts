import { once } from "node:events";
import { isIP } from "node:net";
import { connect as connectTls } from "node:tls";
import { openStream } from "./tunnel-client.js";
import { withTimeout } from "./with-timeout.js";

/*
 * One HTTPS request on a fresh connection, its phases timed: what a browser's first request to
 * an app costs. Through a proxy that intercepts, the CONNECT answer waits for the certificate
 * it shows the client (proxy/https-intercept.ts), so a certificate issue shows in `connectMs`.
 */

export interface FreshRequestTarget {
  /** The app: an IP literal (no SNI is sent for it) or a name, and its port. */
  readonly host: string;
  readonly port: number;
  /** undefined: straight to the app. */
  readonly proxy: URL | undefined;
  /** The only CA the client trusts, PEM. */
  readonly ca: string;
  readonly path: string;
  readonly expectBody: string;
}

/** Milliseconds from the start of the connection to the end of each phase's own part. */
export interface FreshRequestTiming {
  /** TCP connect, plus CONNECT and its answer through a proxy. */
  readonly connectMs: number;
  /** The TLS handshake. */
  readonly tlsMs: number;
  /** The request and the whole response. */
  readonly requestMs: number;
  readonly totalMs: number;
}

/**
 * Connects (through `target.proxy`'s CONNECT, if any), completes TLS trusting only `target.ca`,
 * sends `GET <path>` with `Connection: close` and reads the response to its end. Rejects when
 * any phase fails or the answer is not `200` with `expectBody`.
 *
 * @example const { totalMs } = await timeFreshRequest({ host: "127.0.0.2", port, proxy, ca, path: "/close", expectBody: "ok\n" })
 */
export async function timeFreshRequest(
  target: FreshRequestTarget,
  timeoutMs = 10_000,
): Promise<FreshRequestTiming> {
  const authority = `${target.host}:${target.port}`;
  const started = performance.now();
  const socket = await withTimeout(
    openStream(new URL(`tcp://${authority}`), target.proxy),
    timeoutMs,
    `connecting to ${authority}`,
  );
  const connected = performance.now();
  const secure = connectTls({
    socket,
    host: target.host,
    ca: target.ca,
    ...(isIP(target.host) === 0 ? { servername: target.host } : {}),
    ALPNProtocols: ["http/1.1"],
  });
  secure.on("error", () => secure.destroy());
  try {
    socket.resume();
    await withTimeout(once(secure, "secureConnect"), timeoutMs, `the TLS handshake with ${authority}`);
    const handshaken = performance.now();
    const chunks: Buffer[] = [];
    secure.on("data", (chunk: Buffer) => chunks.push(chunk));
    const ended = new Promise<void>((resolve, reject) => {
      secure.once("end", resolve);
      secure.once("close", () =>
        reject(new Error(`${authority} closed the connection before the response ended`)),
      );
    });
    secure.write(`GET ${target.path} HTTP/1.1\r\nHost: ${authority}\r\nConnection: close\r\n\r\n`);
    await withTimeout(ended, timeoutMs, `GET ${target.path} from ${authority}`);
    const finished = performance.now();
    const response = Buffer.concat(chunks).toString("latin1");
    const statusLine = response.slice(0, response.indexOf("\r\n"));
    if (!/^HTTP\/1\.1 200 /.test(statusLine) || !response.endsWith(`\r\n\r\n${target.expectBody}`)) {
      throw new Error(
        `GET ${target.path} from ${authority} answered ${JSON.stringify(response.slice(0, 300))}`,
      );
    }
    return {
      connectMs: connected - started,
      tlsMs: handshaken - connected,
      requestMs: finished - handshaken,
      totalMs: finished - started,
    };
  } finally {
    secure.destroy();
    socket.destroy();
  }
}
