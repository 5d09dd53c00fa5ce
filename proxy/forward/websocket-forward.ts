import type { IncomingMessage, OutgoingHttpHeaders } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { isIamChallenge } from "../signin/challenge-answerer.js";
import type { CookieJar, StoredCookie } from "../signin/cookie-jar.js";
import { ProxyError } from "../common/errors.js";
import {
  formatResponseHead,
  keepUpgradeHeaders,
  prepareUpgradeRequestHeaders,
  removeHopByHopHeaders,
  writeRawPlainText,
} from "../http/http-messages.js";
import type { ProxyLogger } from "../common/log.js";
import { originOf, parseAbsoluteTarget, type ForwardTarget } from "../http/request-target.js";
import { loginLoop, type SelfLogin } from "../signin/self-login.js";
import { mergeCookieHeader, pathMatches } from "../http/set-cookie.js";
import { logUpstreamFailure, toUpstreamFailure } from "../upstream/upstream-connections.js";
import { openUpstreamRequest, type UpstreamAgents } from "../upstream/sender.js";

export interface UpgradeForwarderOptions {
  readonly agents: UpstreamAgents;
  /** Session cookies per app: an upgrade carries the app's session like any request. */
  readonly jar: CookieJar;
  /** Signs in when the handshake itself is answered with an IAM challenge. */
  readonly selfLogin: SelfLogin;
  /** Whether the proxy signs in to this app (the --host patterns). */
  readonly signsInTo: (target: ForwardTarget) => boolean;
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

type UpgradeAnswer =
  | {
      readonly kind: "upgraded";
      readonly response: IncomingMessage;
      readonly socket: Socket;
      readonly head: Buffer;
    }
  | { readonly kind: "response"; readonly response: IncomingMessage };

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
      writeRawPlainText(client, error.status, error.message);
      return;
    }
    forward(req, client, head, target);
  };
}

/**
 * Forwards protocol upgrades (websockets) in every mode: plain HTTP, inside intercepted HTTPS
 * tunnels, through SOCKS. The handshake carries the app's session cookie from the jar (when the
 * client sends none of its own). A handshake answered with an IAM challenge is signed in to, as
 * a page request would be (always by the proxy itself: a websocket client cannot follow the
 * redirect flow's 302), and then sent once more with the new session; the client gets the
 * app's `101` with the session's Set-Cookie lines and the two connections are joined. Any other
 * answer is relayed as it is and the connection closed.
 *
 * @example server.on("upgrade", createProxyUpgradeHandler(createUpgradeForwarder({ agents, jar, selfLogin, signsInTo, logger, openSockets })))
 */
export function createUpgradeForwarder(options: UpgradeForwarderOptions): UpgradeHandler {
  const { jar, selfLogin, logger, openSockets } = options;

  async function forward(
    req: IncomingMessage,
    client: Duplex,
    head: Buffer,
    target: ForwardTarget,
  ): Promise<void> {
    const aborted = new AbortController();
    client.once("close", () => aborted.abort());
    prepareUpgradeRequestHeaders(req.headers, target.host);
    const clientCookie = req.headers.cookie;
    const headers: OutgoingHttpHeaders = { ...req.headers };
    const origin = originOf(target);
    const send = (cookies: readonly StoredCookie[], mode: "fill" | "replace"): Promise<UpgradeAnswer> => {
      delete headers.cookie;
      const cookie = mergeCookieHeader(clientCookie, cookies, mode);
      if (cookie !== undefined) headers.cookie = cookie;
      return sendUpgrade(req.method ?? "GET", target, headers, aborted.signal);
    };

    let answer = await send(jar.cookiesFor(origin, target.path), "fill");
    let setCookies: readonly string[] = [];
    if (answer.kind === "response" && isIamChallenge(answer.response) && options.signsInTo(target)) {
      const outcome = await selfLogin.signIn(answer.response, target);
      if (outcome.kind === "refused") {
        writeRawPlainText(client, outcome.status, outcome.message);
        return;
      }
      setCookies = outcome.setCookies;
      answer = await send(
        outcome.cookies.filter((cookie) => pathMatches(cookie.path, target.path)),
        "replace",
      );
      if (answer.kind === "response" && isIamChallenge(answer.response)) {
        answer.response.resume();
        const loop = loginLoop(target);
        logger.warn("login-loop", { host: target.host, code: loop.code, reason: loop.message });
        writeRawPlainText(client, loop.status, loop.message);
        return;
      }
    }
    const { response } = answer;
    const appSetCookies = response.headersDistinct["set-cookie"];
    if (appSetCookies !== undefined) jar.store(origin, target.path, appSetCookies, { onlyKnownNames: true });
    const added = setCookies.flatMap((line) => ["Set-Cookie", line]);
    if (answer.kind === "response") {
      logger.info("upgrade", { host: target.host, outcome: "refused", status: response.statusCode });
      relayRefusal(response, client, added);
      return;
    }
    const upstream = answer.socket;
    upstream.on("error", () => upstream.destroy());
    if (client.destroyed) {
      upstream.destroy();
      return;
    }
    track(upstream);
    logger.info("upgrade", { host: target.host, outcome: "upgraded", protocol: req.headers.upgrade });
    client.write(
      formatResponseHead(response.statusCode ?? 101, response.statusMessage, [
        ...added,
        ...keepUpgradeHeaders(response.rawHeaders),
      ]),
    );
    if (answer.head.length > 0) client.write(answer.head);
    if (head.length > 0) upstream.write(head);
    // Once either side is gone the other is closed too; pipe() forwards half-closes until then.
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  }

  function sendUpgrade(
    method: string,
    target: ForwardTarget,
    headers: OutgoingHttpHeaders,
    signal: AbortSignal,
  ): Promise<UpgradeAnswer> {
    return new Promise((resolve, reject) => {
      const req = openUpstreamRequest(options.agents, { target, method, path: target.path }, headers, signal);
      req.once("upgrade", (response: IncomingMessage, socket: Socket, head: Buffer) => {
        resolve({ kind: "upgraded", response, socket, head });
      });
      req.once("response", (response: IncomingMessage) => resolve({ kind: "response", response }));
      req.on("error", reject);
      req.end();
    });
  }

  /** Relays a handshake the app did not accept (status, fields, body) and closes the connection. */
  function relayRefusal(response: IncomingMessage, client: Duplex, added: readonly string[]): void {
    response.on("error", () => client.destroy());
    const fields = [...added, ...removeHopByHopHeaders(response.rawHeaders), "Connection", "close"];
    client.write(formatResponseHead(response.statusCode ?? 502, response.statusMessage, fields));
    // Without Transfer-Encoding the body is delimited by closing the connection (RFC 9112 §6.3).
    response.pipe(client);
  }

  function track(socket: Duplex): void {
    openSockets.add(socket);
    socket.once("close", () => openSockets.delete(socket));
  }

  return (req, client, head, target) => {
    client.on("error", () => client.destroy());
    // Node hands over an upgrade with the bytes after its head unparsed: a body cannot be framed
    // and sent on, and an app left waiting for one would hang. Websocket handshakes are GETs.
    const length = req.headers["content-length"];
    if (req.headers["transfer-encoding"] !== undefined || (length !== undefined && length !== "0")) {
      const error = new ProxyError(
        "UPGRADE_WITH_BODY",
        "The proxy forwards Upgrade requests without a body only; send this request without Upgrade",
      );
      writeRawPlainText(client, error.status, error.message);
      return;
    }
    track(client);
    forward(req, client, head, target).catch((error: unknown) => {
      if (client.destroyed) return;
      const failure = toUpstreamFailure(error, target);
      if (failure === undefined) {
        logger.warn("upgrade", { host: target.host, outcome: "internal-error", reason: String(error) });
        writeRawPlainText(
          client,
          500,
          "The proxy failed to handle this request (internal error; see the proxy log)",
        );
        return;
      }
      logUpstreamFailure(logger, "upgrade", target.host, failure);
      writeRawPlainText(client, failure.status, failure.message);
    });
  };
}
