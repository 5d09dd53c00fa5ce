import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { writeRawProxyError } from "../http/http-messages.js";
import { NO_REQUEST_BODY } from "../http/request-body.js";
import { answerUpgrade, answerUpgradeFailure, track } from "../signin/client-answer.js";
import {
  logRefusedRequest,
  prepareUpstreamRequest,
  rewriteForBrowser,
  type ReverseRoute,
} from "./reverse-route.js";

/**
 * Handles `Upgrade` requests (websockets) to one upstream's local address: the handshake goes
 * through the one exchange every mode uses (the session, the sign-in policy — never for another
 * site's page, so no cross-site websocket hijacking — and a sign-in and replay for a challenged
 * handshake), and once the upstream answers `101` the two connections are joined byte for byte.
 *
 * @example server.on("upgrade", createReverseUpgradeHandler(route))
 */
export function createReverseUpgradeHandler(
  route: ReverseRoute,
): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  const { logger, openSockets } = route;
  return (req, clientStream, head) => {
    // The 'upgrade' event hands over the raw socket with Node's own error handling detached.
    const socket = clientStream as Socket;
    socket.on("error", () => socket.destroy());
    track(openSockets, socket);
    // Read before prepareUpstreamRequest drops the hop-by-hop fields (Upgrade among them) in place.
    const protocol = req.headers.upgrade ?? "";
    const prepared = prepareUpstreamRequest(req, route);
    if (prepared.kind === "refused") {
      logRefusedRequest(route, prepared.error);
      writeRawProxyError(socket, prepared.error);
      return;
    }
    const aborted = new AbortController();
    socket.once("close", () => aborted.abort());
    const log = { logger, event: "reverse-upgrade", target: route };
    route
      .exchange({
        ...prepared.request,
        body: NO_REQUEST_BODY,
        upgrade: protocol,
        signal: aborted.signal,
      })
      .then(
        (outcome) =>
          answerUpgrade(socket, head, outcome, rewriteForBrowser(route, prepared.mappings), openSockets, log),
        (error: unknown) => answerUpgradeFailure(socket, error, log),
      );
  };
}
