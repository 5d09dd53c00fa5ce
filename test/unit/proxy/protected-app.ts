import http, { type IncomingHttpHeaders, type IncomingMessage, type Server } from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import { createChallengeHead, createStsChallengeHead } from "./fakes.js";

/** What the app saw: one entry per request or websocket handshake. */
export interface SeenByApp {
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly upgrade: boolean;
}

/** An IAM-protected app (http or https) with a cookie session and a websocket echo at /ws. */
export interface ProtectedApp {
  readonly port: number;
  readonly seen: SeenByApp[];
  /** Requests to /auth so far. */
  authCount(): number;
  close(): Promise<void>;
}

export interface ProtectedAppOptions {
  /** TLS certificate and key: an https app (its session cookie is then Secure, as the middleware sets it). */
  readonly tls?: { readonly cert: string; readonly key: string };
  /** The STS challenge's server-id; undefined: a KMS challenge (the original's). */
  readonly serverId?: (port: number) => string;
  /** Answer every websocket handshake with this status instead. */
  readonly refuseUpgrades?: number;
}

const SESSION = "sid=s1";

/**
 * Starts the app on 127.0.0.1: `/auth` sets the session cookie and redirects to return_url;
 * anything else answers `hello <url>` with a session, else the IAM challenge. `/ws` handshakes
 * are challenged the same way; signed-in ones are echoed (JSON: the message and the Cookie header).
 *
 * @example const app = await startProtectedApp({ tls: { cert, key }, serverId: (port) => `localhost:${port}` })
 */
export async function startProtectedApp(options: ProtectedAppOptions = {}): Promise<ProtectedApp> {
  const seen: SeenByApp[] = [];
  const secure = options.tls !== undefined;
  let port = 0;
  const challenge = (): { headersDistinct: Record<string, string[] | undefined> } =>
    options.serverId === undefined ? createChallengeHead() : createStsChallengeHead(options.serverId(port));
  const challengeHeaders = (): [string, string][] =>
    Object.entries(challenge().headersDistinct).flatMap(([name, values]) =>
      (values ?? []).map((value): [string, string] => [name, value]),
    );
  const signedIn = (req: IncomingMessage): boolean =>
    (req.headers.cookie ?? "").split(/;\s*/).includes(SESSION);

  const handle = (req: IncomingMessage, res: http.ServerResponse): void => {
    seen.push({ url: req.url ?? "", headers: req.headers, upgrade: false });
    const url = new URL(req.url ?? "/", "http://app");
    if (url.pathname === "/auth") {
      const cookie = `${SESSION}; Path=/; HttpOnly${secure ? "; Secure" : ""}`;
      res.writeHead(302, { location: url.searchParams.get("return_url") ?? "/", "set-cookie": cookie }).end();
    } else if (signedIn(req)) {
      res.end(`hello ${req.url ?? ""}`);
    } else {
      res.writeHead(401, challengeHeaders()).end("Please log in");
    }
  };
  const server: Server = secure ? https.createServer({ ...options.tls }, handle) : http.createServer(handle);
  const wss = new WebSocketServer({ noServer: true });
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => socket.destroy());
    seen.push({ url: req.url ?? "", headers: req.headers, upgrade: true });
    const status = options.refuseUpgrades ?? (signedIn(req) ? 101 : 401);
    if (status !== 101) {
      const fields = status === 401 ? challengeHeaders() : [];
      const head = fields.map(([name, value]) => `${name}: ${value}\r\n`).join("");
      socket.end(
        `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ""}\r\n${head}Content-Length: 3\r\n\r\nno\n`,
      );
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on("message", (data: Buffer) =>
        ws.send(JSON.stringify({ message: data.toString("utf8"), cookie: req.headers.cookie ?? null })),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
  return {
    port,
    seen,
    authCount: () => seen.filter((each) => each.url.startsWith("/auth?")).length,
    close: () =>
      new Promise((resolve) => {
        for (const client of wss.clients) client.terminate();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
