import http, { type IncomingHttpHeaders } from "node:http";
import type { LoginDependencies } from "../../../proxy/index.js";
import { listenOnLoopback } from "./fakes.js";

export interface ProxiedResponse {
  status: number;
  statusMessage: string;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  body: string;
}

/** Sends an absolute-form request through the proxy, as `curl -x` does. */
export function requestThroughProxy(
  proxyPort: number,
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<ProxiedResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port: proxyPort,
        method: options.method ?? "GET",
        path: url,
        headers: { host: new URL(url).host, ...options.headers },
        agent: false,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            statusMessage: res.statusMessage ?? "",
            headers: res.headers,
            rawHeaders: res.rawHeaders,
            body,
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

/** What the upstream app saw. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A loopback app that records every request and answers with `respond` (settable per test). */
export interface RecordingApp {
  readonly host: string;
  readonly port: number;
  readonly seen: SeenRequest[];
  respond: (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;
  /** TCP connections accepted since the last reset(). */
  connections: number;
  reset(): void;
  close(): Promise<void>;
}

export async function startRecordingApp(): Promise<RecordingApp> {
  const app: RecordingApp = {
    host: "",
    port: 0,
    seen: [],
    respond: (_req, res) => res.end("ok"),
    connections: 0,
    reset() {
      app.seen.length = 0;
      app.connections = 0;
      app.respond = (_req, res) => res.end("ok");
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server = http.createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (body += chunk));
    req.on("end", () => {
      app.seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      app.respond(req, res, body);
    });
  });
  server.on("connection", () => app.connections++);
  const port = await listenOnLoopback(server);
  return Object.assign(app, { port, host: `127.0.0.1:${port}` });
}

/** Login dependencies that call whatever `current()` returns now, so a test can swap the fake before requesting. */
export function delegatingLogin(current: () => LoginDependencies): LoginDependencies {
  return {
    resolveCredentials: () => current().resolveCredentials(),
    sts: {
      getCallerIdentity: () => current().sts.getCallerIdentity(),
      getSessionToken: (input) => current().sts.getSessionToken(input),
    },
    kms: { encrypt: (input) => current().kms.encrypt(input) },
    stsProofTarget: () => current().stsProofTarget(),
  };
}

/** Writes the headers of a fake challenge head onto a response and ends it with "Please log in". */
export function sendChallenge(
  res: http.ServerResponse,
  head: { headersDistinct: Record<string, string[] | undefined> },
): void {
  const headers: [string, string][] = [];
  for (const [name, values] of Object.entries(head.headersDistinct)) {
    for (const value of values ?? []) headers.push([name, value]);
  }
  res.writeHead(401, headers);
  res.end("Please log in");
}
