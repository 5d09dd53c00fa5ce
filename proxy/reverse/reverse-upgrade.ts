import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { isIamChallenge } from "../signin/challenge-answerer.js";
import { formatResponseHead, removeHopByHopHeaders, writeRawPlainText } from "../http/http-messages.js";
import { INTERNAL_ERROR_MESSAGE } from "../upstream/upstream-failure-response.js";
import {
  logRefusedRequest,
  prepareUpstreamRequest,
  rewriteResponseHeaders,
  updateJarFromResponse,
  type ReadyRequest,
  type ReverseRoute,
} from "./reverse-route.js";
import { describeUpstreamFailure, logUnreachableUpstream } from "./upstream-failure.js";
import type { UpstreamResponse } from "../upstream/upstream-response.js";

const noBody = { kind: "complete", bytes: Buffer.alloc(0) } as const;

/**
 * Handles `Upgrade` requests (websockets) to one upstream's local address: the handshake goes to
 * the upstream over TLS carrying the session cookie — the browser's, or the one the proxy holds
 * when the browser sends none — and once the upstream answers 101 the two connections are joined
 * byte for byte. A handshake the app challenges is signed in and sent again (proxy login flow);
 * any other answer is relayed and the connection closed. Another site's page gets neither the
 * proxy's session nor a sign-in (cross-site websocket hijacking).
 *
 * @example server.on("upgrade", createReverseUpgradeHandler(route))
 */
export function createReverseUpgradeHandler(
  route: ReverseRoute,
): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  const { logger, openSockets } = route;

  async function upgrade(
    socket: Socket,
    head: Buffer,
    prepared: ReadyRequest,
    signal: AbortSignal,
  ): Promise<void> {
    const { target, method, headers } = prepared;
    let response = await route.sender.send(
      { target, method, path: target.path, headers, body: noBody },
      signal,
    );
    let addedSetCookies: readonly string[] = [];
    if (
      isIamChallenge(response) &&
      prepared.site !== "cross-site-subrequest" &&
      route.loginFlow === "proxy"
    ) {
      const result = await route.selfLogin({
        target,
        method,
        headers,
        clientCookie: prepared.clientCookie,
        body: noBody,
        challenge: response,
        jarGeneration: prepared.jarGeneration,
        signal,
      });
      if (result.kind === "refused") {
        writeRawPlainText(socket, result.status, result.message);
        return;
      }
      response = result.response;
      addedSetCookies = result.setCookies;
    }
    updateJarFromResponse(route, prepared, response);
    const upstream = route.sender.takeUpgrade(response);
    if (upstream === undefined) {
      relayRefusal(socket, response, prepared, addedSetCookies);
      return;
    }
    track(upstream.socket);
    if (socket.destroyed) {
      upstream.socket.destroy();
      return;
    }
    // A 101 keeps Connection and Upgrade: they are the handshake, not hop-by-hop noise.
    const headerLines = rewriteResponseHeaders(
      response.rawHeaders,
      addedSetCookies,
      route,
      prepared.mappings,
    );
    socket.write(formatResponseHead(101, response.statusMessage, headerLines));
    if (upstream.head.length > 0) socket.write(upstream.head);
    if (head.length > 0) upstream.socket.write(head);
    upstream.socket.on("error", () => socket.destroy());
    // When one side is gone, let the other flush what it already has, then close it.
    socket.on("close", () => upstream.socket.destroy());
    upstream.socket.on("close", () => socket.destroySoon());
    socket.pipe(upstream.socket);
    upstream.socket.pipe(socket);
  }

  /** The upstream declined the upgrade (or challenged a request the proxy does not sign in for): relay its answer, then close. */
  function relayRefusal(
    socket: Socket,
    response: UpstreamResponse,
    prepared: ReadyRequest,
    addedSetCookies: readonly string[],
  ): void {
    const headerLines = rewriteResponseHeaders(
      removeHopByHopHeaders(response.rawHeaders),
      addedSetCookies,
      route,
      prepared.mappings,
    );
    socket.write(
      formatResponseHead(response.statusCode ?? 502, response.statusMessage, [
        ...headerLines,
        "Connection",
        "close",
      ]),
    );
    response.on("error", () => socket.destroy());
    response.pipe(socket);
  }

  function track(socket: Duplex): void {
    openSockets.add(socket);
    socket.once("close", () => openSockets.delete(socket));
  }

  return (req, clientStream, head) => {
    // The 'upgrade' event hands over the raw socket with Node's own error handling detached.
    const socket = clientStream as Socket;
    socket.on("error", () => socket.destroy());
    track(socket);
    const protocol = req.headers.upgrade;
    const prepared = prepareUpstreamRequest(req, route);
    if (prepared.kind === "refused") {
      const { error } = prepared;
      logRefusedRequest(route, error);
      writeRawPlainText(socket, error.status, error.message);
      return;
    }
    if (protocol !== undefined) {
      prepared.headers.connection = "Upgrade";
      prepared.headers.upgrade = protocol;
    }
    const client = new AbortController();
    let upgraded = false;
    socket.once("close", () => {
      if (!upgraded) client.abort();
    });
    upgrade(socket, head, prepared, client.signal)
      .then(() => {
        upgraded = true;
      })
      .catch((error: unknown) => {
        if (client.signal.aborted || socket.destroyed) return;
        const { host } = prepared.target;
        const failure = describeUpstreamFailure(error, host);
        if (failure === undefined) {
          logger.warn("reverse", { host, outcome: "internal-error", reason: String(error) });
          writeRawPlainText(socket, 500, INTERNAL_ERROR_MESSAGE);
          return;
        }
        logUnreachableUpstream(logger, "reverse", host, failure);
        writeRawPlainText(socket, failure.status, failure.message);
      });
  };
}
