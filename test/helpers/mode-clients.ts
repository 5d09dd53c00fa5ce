import http, { type ClientRequest, type IncomingHttpHeaders, type IncomingMessage } from "node:http";
import https from "node:https";
import WebSocket from "ws";
import { AbsoluteFormAgent, connectThroughProxy } from "./proxy-clients.js";

/**
 * How a client reaches an app through the proxy, one per way requests arrive there:
 * - `forward`: plain http and ws:// sent to the proxy in absolute-form (`GET http://app/ HTTP/1.1`);
 * - `tunnel`: CONNECT to the proxy, then TLS inside trusting only `ca` (the proxy's local CA for
 *   an intercepted app), then https or wss;
 * - `direct`: straight to the URL, a reverse-mode listener of the proxy.
 */
export type Via =
  | { readonly kind: "forward"; readonly proxyUrl: string }
  | { readonly kind: "tunnel"; readonly proxyUrl: string; readonly ca: string }
  | { readonly kind: "direct" };

/** What the client ended with. */
export interface Answer {
  /** The response status; 101 when a websocket opened. */
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The response body; for an opened websocket, the first message the app sent back. */
  readonly body: string;
  /** False when the connection was cut before the body was complete. */
  readonly complete: boolean;
}

/** How long a client waits for an answer before the test fails (the proxy hung). */
const answerTimeoutMs = 10_000;

/**
 * One request (a page, or a websocket handshake and one message) to `url` through `via`, with
 * `headers`. Resolves with what the client ended with, also when the body was cut short; rejects
 * only when no response head arrived at all.
 *
 * @example await exchange("http://127.0.0.1:3000/", { kind: "forward", proxyUrl }, { "sec-fetch-site": "cross-site" }, false)
 */
export function exchange(
  url: string,
  via: Via,
  headers: Readonly<Record<string, string>>,
  websocket: boolean,
): Promise<Answer> {
  return websocket ? exchangeWebSocket(url, via, headers) : exchangeHttp(url, via, headers);
}

function exchangeHttp(url: string, via: Via, headers: Readonly<Record<string, string>>): Promise<Answer> {
  const target = new URL(url);
  const host = target.hostname.replace(/^\[|\]$/g, "");
  return new Promise((resolve, reject) => {
    let req: ClientRequest;
    let answered = false;
    const onResponse = (res: IncomingMessage): void => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      // A cut connection shows as `aborted` here and in `complete` below.
      res.on("error", () => undefined);
      res.on("close", () => {
        clearTimeout(timer);
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString("utf8"),
          complete: res.complete,
        });
      });
    };
    if (via.kind === "tunnel") {
      req = https.request(
        {
          host,
          port: target.port === "" ? 443 : Number(target.port),
          path: `${target.pathname}${target.search}`,
          headers,
          // No agent: node:http then uses createConnection.
          createConnection: connectThroughProxy(via.proxyUrl, { ca: via.ca }),
        } as https.RequestOptions,
        onResponse,
      );
    } else {
      const to = via.kind === "forward" ? new URL(via.proxyUrl) : target;
      req = http.request(
        {
          host: to.hostname.replace(/^\[|\]$/g, ""),
          port: to.port,
          path: via.kind === "forward" ? target.href : `${target.pathname}${target.search}`,
          headers: { host: target.host, ...headers },
          agent: false,
        },
        onResponse,
      );
    }
    const timer = setTimeout(
      () => req.destroy(new Error(`no answer to GET ${url} within ${answerTimeoutMs} ms`)),
      answerTimeoutMs,
    );
    req.on("error", (error) => {
      if (answered) return;
      clearTimeout(timer);
      reject(error);
    });
    req.end();
  });
}

function exchangeWebSocket(
  url: string,
  via: Via,
  headers: Readonly<Record<string, string>>,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, {
      headers,
      ...(via.kind === "forward" ? { agent: new AbsoluteFormAgent(via.proxyUrl) } : {}),
      ...(via.kind === "tunnel"
        ? { createConnection: connectThroughProxy(via.proxyUrl, { ca: via.ca }) }
        : {}),
    });
    // ws's own handshakeTimeout does not cover a connection made through createConnection.
    const timer = setTimeout(() => {
      reject(new Error(`no answer to the websocket handshake for ${url} within ${answerTimeoutMs} ms`));
      ws.terminate();
    }, answerTimeoutMs);
    const settle = (answer: Answer): void => {
      clearTimeout(timer);
      resolve(answer);
    };
    let upgraded: IncomingHttpHeaders = {};
    ws.on("upgrade", (res: IncomingMessage) => (upgraded = res.headers));
    ws.on("open", () => ws.send("hello"));
    ws.on("message", (data: Buffer) => {
      settle({ status: 101, headers: upgraded, body: data.toString("utf8"), complete: true });
      ws.close();
    });
    ws.on("unexpected-response", (_req, res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", () => undefined);
      res.on("close", () => {
        settle({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString("utf8"),
          complete: res.complete,
        });
        ws.terminate();
      });
    });
    ws.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}
