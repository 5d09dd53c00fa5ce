import { request as httpRequest, type Agent, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import type { Duplex } from "node:stream";
import type { UpstreamSender } from "../upstream/sender.js";
import type { UpstreamResponse } from "../upstream/upstream-response.js";

/** The connection an upstream handed over with `101 Switching Protocols`, and what it sent after the head. */
export interface UpgradedConnection {
  readonly socket: Duplex;
  readonly head: Buffer;
}

/** Sends requests to one upstream; an Upgrade request answered 101 resolves with that 101 response. */
export interface ReverseUpstreamSender {
  readonly send: UpstreamSender;
  /**
   * The connection behind a 101 response `send` resolved with (once; undefined for any other
   * response). Whoever gets a 101 must take it, or the connection stays open.
   */
  takeUpgrade(response: UpstreamResponse): UpgradedConnection | undefined;
}

/**
 * Creates the sender for an upstream reached with `protocol` over `agent` (an https.Agent for
 * `https:`, carrying the trusted CAs; TLS is verified, with the Host field as the server name).
 * Request bodies are framed as createUpstreamSender frames them: a complete body with a
 * Content-Length (so it can be replayed after a sign-in), a streaming one piped through.
 * Rejects with the socket or TLS error when the upstream cannot be reached.
 *
 * @example const { send } = createReverseUpstreamSender("https:", new https.Agent({ keepAlive: true }))
 */
export function createReverseUpstreamSender(
  protocol: "http:" | "https:",
  agent: Agent,
): ReverseUpstreamSender {
  const request = protocol === "https:" ? httpsRequest : httpRequest;
  const upgrades = new WeakMap<UpstreamResponse, UpgradedConnection>();
  const send: UpstreamSender = (upstream, signal) =>
    new Promise((resolve, reject) => {
      const headers = { ...upstream.headers };
      const { body } = upstream;
      if (body?.kind === "complete") {
        const hadBody = headers["content-length"] !== undefined || headers["transfer-encoding"] !== undefined;
        delete headers["transfer-encoding"];
        if (body.bytes.length > 0 || hadBody) headers["content-length"] = String(body.bytes.length);
      }
      const req = request({
        agent,
        host: upstream.target.hostname,
        port: upstream.target.port,
        method: upstream.method,
        path: upstream.path,
        headers,
        signal,
      });
      req.once("response", resolve);
      req.once("upgrade", (response: IncomingMessage, socket: Duplex, head: Buffer) => {
        // Until the caller takes it, an error on the socket must not crash the proxy.
        socket.on("error", () => socket.destroy());
        upgrades.set(response, { socket, head });
        resolve(response);
      });
      // Not once: a socket error after the response is still an error event, and an unhandled one would crash.
      req.on("error", reject);
      if (body?.kind === "streaming") {
        for (const chunk of body.head) req.write(chunk);
        body.rest.pipe(req);
        body.rest.resume();
      } else {
        req.end(body?.bytes);
      }
    });
  return {
    send,
    takeUpgrade(response) {
      const connection = upgrades.get(response);
      upgrades.delete(response);
      return connection;
    },
  };
}
