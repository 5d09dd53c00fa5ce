import { randomBytes } from "node:crypto";
import { createWriteStream, mkdirSync, writeFileSync } from "node:fs";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import express, { type RequestHandler } from "express";
import { demoAccount } from "../../local-aws/demo-account.js";
import { iamAuth } from "../../server-middleware/index.js";
import { testLogsDir } from "./service.js";
import { createTestCa, startTlsApp } from "./tls-app.js";
import { attachWebsocketEcho } from "./websocket-app.js";

/** One request as the app received it, and what the app answered (for a handshake it upgraded: no status). */
export interface SeenRequest {
  readonly path: string;
  /** The `probe` query parameter: which test sent it. */
  readonly probe: string | null;
  /** The Cookie header exactly as it arrived. */
  readonly cookie: string | undefined;
  readonly upgrade: boolean;
  status?: number;
  wwwAuthenticate?: string;
  setCookie?: string[];
}

/** An app behind the middleware (STS method, the local AWS) that challenges pages and websocket handshakes. */
export interface RecordingApp {
  /** `http://127.0.0.1:PORT` or `https://localhost:PORT`. */
  readonly origin: string;
  /** Its STS server-id: the authority clients address it by. */
  readonly authority: string;
  /** For https: its CA certificate's file, for the proxy's `--upstream-ca`. */
  readonly caFile: string | undefined;
  /** Every request it received, in order. */
  readonly seen: readonly SeenRequest[];
  /** The requests a test marked with `?probe=<probe>`. */
  probed(probe: string): SeenRequest[];
  close(): Promise<void>;
}

export interface RecordingAppOptions {
  readonly scheme: "http" | "https";
  /** The local AWS whose STS verifies the proofs. */
  readonly localAwsUrl: string;
  /** The middleware's log under test-logs/ (the log audit reads it). */
  readonly logName: string;
  /** https: where its CA certificate file is written. */
  readonly dir: string;
}

/**
 * Starts the middleware's app on 127.0.0.1, port 0: `GET /` answers the caller's ARN; `/ws` is
 * a websocket echo (see attachWebsocketEcho) behind the same sign-in. Before the middleware runs,
 * each request's Cookie header is recorded, and when the answer is sent, its status, challenge
 * and Set-Cookie: what reached the app and what it said, whatever the proxy made of it.
 * Over https it is `localhost` with a certificate from a CA made for this run.
 *
 * @example const app = await startRecordingApp({ scheme: "http", localAwsUrl: aws.url, logName: "suite/app.log", dir })
 */
export async function startRecordingApp(options: RecordingAppOptions): Promise<RecordingApp> {
  const seen: SeenRequest[] = [];
  const web = express();
  web.disable("x-powered-by");
  let server: http.Server;
  let origin: string;
  let authority: string;
  let caFile: string | undefined;
  let closeServer: () => Promise<void>;
  if (options.scheme === "https") {
    const ca = await createTestCa();
    caFile = join(options.dir, "recording-app-ca.pem");
    writeFileSync(caFile, ca.certPem);
    const tlsApp = await startTlsApp(ca, "localhost");
    tlsApp.setHandler(web);
    ({ server, origin, authority } = tlsApp);
    closeServer = () => tlsApp.close();
  } else {
    server = http.createServer(web);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    authority = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    origin = `http://${authority}`;
    closeServer = () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
  }

  const logFile = join(testLogsDir, options.logName);
  mkdirSync(dirname(logFile), { recursive: true });
  const log = createWriteStream(logFile, { flags: "a" });
  const iam = iamAuth({
    accountId: demoAccount.accountId,
    sts: { serverId: authority, testStsEndpoint: options.localAwsUrl },
    sessionSecrets: [randomBytes(32).toString("hex")],
    logger: (line) => void log.write(`${line}\n`),
  });
  const gate: RequestHandler = (req, res, next) => {
    record(seen, req, res);
    iam(req, res, next);
  };
  web.use(gate);
  web.get("/", (req, res) => res.type("text/plain").send(`${req.iamIdentity?.arn ?? "nobody"}\n`));
  attachWebsocketEcho(server, gate);

  return {
    origin,
    authority,
    caFile,
    seen,
    probed: (probe) => seen.filter((request) => request.probe === probe),
    async close() {
      await closeServer();
      await new Promise<void>((resolve) => log.end(resolve));
    },
  };
}

function record(seen: SeenRequest[], req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? "/", "http://app.test");
  const entry: SeenRequest = {
    path: url.pathname,
    probe: url.searchParams.get("probe"),
    cookie: req.headers.cookie,
    upgrade: req.headers.upgrade !== undefined,
  };
  seen.push(entry);
  res.once("finish", () => {
    entry.status = res.statusCode;
    const challenge = res.getHeader("www-authenticate");
    if (typeof challenge === "string") entry.wwwAuthenticate = challenge;
    const setCookie = res.getHeader("set-cookie");
    if (setCookie !== undefined) entry.setCookie = Array.isArray(setCookie) ? setCookie : [String(setCookie)];
  });
}
