import type { IncomingMessage, ServerResponse } from "node:http";
import { formatHostPort } from "./bind-address.js";
import { ProxyError } from "./errors.js";
import type { HostPattern } from "./host-pattern.js";
import { sendPlainText } from "./http-messages.js";
import { pacContentType, renderPacFile } from "./pac-file.js";

export interface DirectRequestOptions {
  /** The --host patterns: the PAC file sends these through the proxy. */
  readonly hostPatterns: readonly HostPattern[];
}

/** Answers one request addressed to the proxy itself. */
type DirectRoute = (req: IncomingMessage, res: ServerResponse, self: string) => void;

/**
 * Handles requests addressed to the proxy itself (origin-form, `GET /proxy.pac`) rather than
 * through it. Routes are looked up by exact path (the query is ignored); anything else gets
 * 400 NOT_A_PROXY_REQUEST saying how to use the proxy. Each route is one entry in `routes`.
 *
 * - `GET /proxy.pac`: a proxy auto-config file that sends the --host apps through this proxy and
 *   everything else DIRECT (every http:// URL when no --host is given). Point the browser's
 *   "automatic proxy configuration URL" at it.
 *
 * @example http.createServer(createDirectRequestHandler({ hostPatterns: [parseHostPattern("*.corp.example.com")] }))
 */
export function createDirectRequestHandler(
  options: DirectRequestOptions,
): (req: IncomingMessage, res: ServerResponse) => void {
  const hostPatterns = [...options.hostPatterns];
  const routes = new Map<string, DirectRoute>([
    [
      "/proxy.pac",
      (req, res, self) => {
        const body = renderPacFile({ proxyAddress: self, hostPatterns });
        res.writeHead(200, {
          "Content-Type": pacContentType,
          "Content-Length": String(Buffer.byteLength(body)),
          // Browsers read it at start-up and when the settings change; a changed --host must show at once.
          "Cache-Control": "no-cache",
        });
        res.end(req.method === "HEAD" ? undefined : body);
      },
    ],
  ]);

  return (req, res) => {
    const self = ownAddress(req);
    const path = (req.url ?? "/").split("?", 1)[0] ?? "/";
    const route = routes.get(path);
    if (route === undefined) {
      const error = new ProxyError(
        "NOT_A_PROXY_REQUEST",
        `This is an HTTP proxy: configure it as your proxy (e.g. curl -x http://${self} …)`,
      );
      sendPlainText(res, error.status, error.message);
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      sendPlainText(res, 405, `${path} answers GET and HEAD only`, { Allow: "GET, HEAD" });
      return;
    }
    route(req, res, self);
  };
}

/** `host:port` the client reached the proxy on (the listening address it connected to). */
function ownAddress(req: IncomingMessage): string {
  const address = (req.socket.localAddress ?? "127.0.0.1").replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, "");
  return formatHostPort(address, req.socket.localPort ?? 8080);
}
