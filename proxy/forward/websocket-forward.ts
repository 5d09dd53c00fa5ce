import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { ProxyError } from "../common/errors.js";
import type { ProxyLogger } from "../common/log.js";
import { copyForwardedRequestHeaders, writeRawProxyError } from "../http/http-messages.js";
import { NO_REQUEST_BODY } from "../http/request-body.js";
import { parseAbsoluteTarget, type ForwardTarget } from "../http/request-target.js";
import { answerUpgrade, answerUpgradeFailure, KEEP_HEAD, track } from "../signin/client-answer.js";
import type { AppExchange } from "../signin/exchange.js";
import { classifyRequestSite, isOriginOfHost } from "../signin/request-site.js";

export interface UpgradeForwarderOptions {
  /** The one exchange every mode goes through (session, sign-in policy, replay). */
  readonly exchange: AppExchange;
  readonly logger: ProxyLogger;
  /** Upgraded connections (both ends) are added here so the server can tear them down on close. */
  readonly openSockets: Set<Duplex>;
}

/** Forwards one Upgrade request (`Connection: Upgrade`, e.g. a websocket handshake) to `target`. */
export type UpgradeHandler = (
  req: IncomingMessage,
  client: Duplex,
  head: Buffer,
  target: ForwardTarget,
) => void;

/**
 * The proxy server's 'upgrade' listener: absolute-form upgrades (`GET http://app/ws` with
 * `Connection: Upgrade`) are forwarded; anything else addresses the proxy, which has no
 * websockets of its own (400).
 */
export function createProxyUpgradeHandler(
  forward: UpgradeHandler,
): (req: IncomingMessage, client: Duplex, head: Buffer) => void {
  return (req, client, head) => {
    client.on("error", () => client.destroy());
    let target: ForwardTarget;
    try {
      target = parseAbsoluteTarget(req.url ?? "");
    } catch (error) {
      if (!(error instanceof ProxyError)) throw error;
      writeRawProxyError(client, error);
      return;
    }
    forward(req, client, head, target);
  };
}

/**
 * Forwards protocol upgrades (websockets) in forward mode: plain HTTP, inside intercepted HTTPS
 * tunnels, through SOCKS. The handshake goes through the same exchange as any request (the
 * session the proxy holds, the sign-in policy, a sign-in and replay for a challenged handshake —
 * never for another site's page), and once the app answers `101` the two connections are joined.
 *
 * @example server.on("upgrade", createProxyUpgradeHandler(createUpgradeForwarder({ exchange, logger, openSockets })))
 */
export function createUpgradeForwarder(options: UpgradeForwarderOptions): UpgradeHandler {
  const { exchange, logger, openSockets } = options;
  return (req, clientStream, head, target) => {
    // The 'upgrade' event hands over the raw socket (a TLSSocket inside an intercepted tunnel).
    const client = clientStream as Socket;
    client.on("error", () => client.destroy());
    // Node hands over an upgrade with the bytes after its head unparsed: a body cannot be framed
    // and sent on, and an app left waiting for one would hang. Websocket handshakes are GETs.
    const length = req.headers["content-length"];
    if (req.headers["transfer-encoding"] !== undefined || (length !== undefined && length !== "0")) {
      writeRawProxyError(
        client,
        new ProxyError(
          "UPGRADE_WITH_BODY",
          "The proxy forwards Upgrade requests without a body only; send this request without Upgrade",
        ),
      );
      return;
    }
    track(openSockets, client);
    const aborted = new AbortController();
    client.once("close", () => aborted.abort());
    const method = req.method ?? "GET";
    const log = { logger, event: "upgrade", target };
    exchange({
      target,
      method,
      // Connection and Upgrade are hop-by-hop: the sender asks the app for the upgrade itself.
      headers: copyForwardedRequestHeaders(req.headers, target.host),
      clientCookie: req.headers.cookie,
      site: classifyRequestSite(method, req.headers, isOriginOfHost(target.hostname)),
      body: NO_REQUEST_BODY,
      upgrade: req.headers.upgrade ?? "",
      authHost: target.host,
      signal: aborted.signal,
    }).then(
      (outcome) => answerUpgrade(client, head, outcome, KEEP_HEAD, openSockets, log),
      (error: unknown) => answerUpgradeFailure(client, error, log),
    );
  };
}
