import { ServerResponse, type IncomingMessage, type Server } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import express, { type RequestHandler } from "express";
import { WebSocketServer } from "ws";

/** What the echo sends back for each message: who the app thinks the caller is, and what it saw. */
export interface EchoReply {
  readonly arn: string | null;
  /** Names of the cookies the handshake carried. */
  readonly cookies: readonly string[];
  readonly message: string;
  /** The address the handshake came from, as the app saw it. */
  readonly remoteAddress: string | null;
}

/**
 * Adds a websocket echo at `/ws` to `server`, behind the app's sign-in: each handshake first
 * runs through `app` (an Express app or middleware using iamAuth), so a handshake without a
 * session gets the IAM challenge (401) exactly as a page would, and one with a session is
 * upgraded. Each message is answered with an EchoReply as JSON.
 *
 * @example attachWebsocketEcho(server, createExampleApp(config))
 */
export function attachWebsocketEcho(server: Server, app: RequestHandler): WebSocketServer {
  const wss = new WebSocketServer({ noServer: true });
  const handshakes = new WeakMap<IncomingMessage, { socket: Duplex; head: Buffer; res: ServerResponse }>();
  const upgrade: RequestHandler = (request) => {
    const handshake = handshakes.get(request);
    if (handshake === undefined) throw new Error("not a websocket handshake");
    const { socket, head, res } = handshake;
    res.detachSocket(socket as Socket);
    const cookies = (request.headers.cookie ?? "")
      .split(";")
      .map((pair) => pair.split("=", 1)[0]?.trim() ?? "")
      .filter((name) => name !== "");
    const arn = request.iamIdentity?.arn ?? null;
    const remoteAddress = request.socket.remoteAddress ?? null;
    wss.handleUpgrade(request, socket, head, (ws) => {
      ws.on("message", (data: Buffer) => {
        const reply: EchoReply = { arn, cookies, message: data.toString("utf8"), remoteAddress };
        ws.send(JSON.stringify(reply));
      });
    });
  };
  // An Express app, not a Router: only an app gives req and res Express's methods, which the middleware uses.
  const router = express();
  router.disable("x-powered-by");
  router.use(app);
  router.get("/ws", upgrade);
  router.use((_request, response) => response.status(404).type("text/plain").send("not a websocket path\n"));

  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => socket.destroy());
    // The handshake is an ordinary GET as far as the middleware is concerned: give it a response
    // on the raw socket, so a challenge or refusal is written there.
    const res = new ServerResponse(req);
    res.assignSocket(socket as Socket);
    res.shouldKeepAlive = false;
    res.on("finish", () => socket.end());
    handshakes.set(req, { socket, head, res });
    router(req as express.Request, res as unknown as express.Response, (error?: unknown) => {
      res.statusCode = 500;
      res.end(error instanceof Error ? error.message : "");
    });
  });
  return wss;
}
