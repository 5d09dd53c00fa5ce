import type { IncomingMessage, ServerResponse } from "node:http";
import { isAllowedLocalHost } from "../http/allowed-local-host.js";
import { formatHostPort } from "../http/bind-address.js";
import { ProxyError } from "../common/errors.js";
import type { HostPattern } from "../http/host-pattern.js";
import { sendPlainText, sendProxyError } from "../http/http-messages.js";
import type { LoginHistory } from "../signin/login-history.js";
import type { LoginFlow, LoginMethodPreference } from "../aws/types.js";
import type { LocalCa } from "../mitm/index.js";
import { pacContentType, renderPacFile } from "./pac-file.js";
import { renderStatusPage, STATUS_PAGE_CONTENT_SECURITY_POLICY } from "./status-page.js";

export interface DirectRequestOptions {
  /** The --host patterns: the PAC file sends these through the proxy. */
  readonly hostPatterns: readonly HostPattern[];
  /**
   * Host names the proxy is bound to (`--bind devbox.lan:8080`): requests naming them in Host are
   * served, besides IP addresses, localhost and *.localhost. Default none.
   */
  readonly boundHostNames?: readonly string[];
  /** The local CA when HTTPS interception is on: its certificate is served at /ca.pem. Default: off (404). */
  readonly ca?: Pick<LocalCa, "certPem" | "fingerprintSha256" | "notAfter"> | undefined;
  /** The sign-ins and credential status (whose, where from, until when) the status page shows. Default: none recorded. */
  readonly history?: Pick<LoginHistory, "logins" | "credentials"> | undefined;
  /** The `--method` setting, for the status page. Default `"auto"`. */
  readonly method?: LoginMethodPreference | undefined;
  /** The `--login-flow` setting, for the status page. Default `"proxy"`. */
  readonly loginFlow?: LoginFlow | undefined;
  /** The current time in ms. Default Date.now. */
  readonly clock?: () => number;
}

/** Answers one GET or HEAD addressed to the proxy itself. */
type DirectRoute = (req: IncomingMessage, res: ServerResponse, self: string) => void;

/**
 * Handles requests addressed to the proxy itself (origin-form, `GET /proxy.pac`) rather than
 * through it. Routes are looked up by exact path (the query is ignored); anything else gets
 * 400 NOT_A_PROXY_REQUEST saying how to use the proxy. Each route is one entry in `routes`:
 *
 * - `GET /`: the status page (renderStatusPage): the identity, where its credentials come from
 *   and when they expire, the apps and proof method, the last sign-ins, links to the PAC file and
 *   the CA certificate.
 * - `GET /proxy.pac`: a proxy auto-config file that sends the --host apps through this proxy and
 *   everything else DIRECT (every http:// URL when no --host is given). Point the browser's
 *   "automatic proxy configuration URL" at it.
 * - `GET /ca.pem`: the local CA's certificate (never its key) when HTTPS interception is on, so
 *   a person can download it to trust it; 404 otherwise.
 *
 * These pages are read by anything that can reach the proxy, so they hold nothing secret. They
 * are still refused (403) to a Host header that is not an IP address, localhost, *.localhost or a
 * bound host name: a web page could otherwise point a DNS name it controls at 127.0.0.1 (DNS
 * rebinding) and read the person's identity and the apps they use as its own origin.
 *
 * @example http.createServer(createDirectRequestHandler({ hostPatterns: [parseHostPattern("*.corp.example.com")] }))
 */
export function createDirectRequestHandler(
  options: DirectRequestOptions,
): (req: IncomingMessage, res: ServerResponse) => void {
  const hostPatterns = [...options.hostPatterns];
  const boundHostNames = new Set(options.boundHostNames ?? []);
  const { ca, history } = options;
  const clock = options.clock ?? Date.now;
  const routes = new Map<string, DirectRoute>([
    [
      "/",
      (req, res, self) => {
        const body = renderStatusPage({
          now: new Date(clock()),
          proxyAddress: self,
          credentials: history?.credentials() ?? {
            identity: undefined,
            source: undefined,
            expiration: undefined,
            problem: undefined,
            checkedAt: undefined,
          },
          hostPatterns,
          method: options.method ?? "auto",
          loginFlow: options.loginFlow ?? "proxy",
          logins: history?.logins() ?? [],
          ca,
        });
        send(req, res, body, {
          "Content-Type": "text/html; charset=utf-8",
          // It shows the latest sign-ins, and who the person is: never kept by a cache.
          "Cache-Control": "no-store",
          "Content-Security-Policy": STATUS_PAGE_CONTENT_SECURITY_POLICY,
          "X-Frame-Options": "DENY",
          "Referrer-Policy": "no-referrer",
        });
      },
    ],
    [
      "/proxy.pac",
      (req, res, self) => {
        send(req, res, renderPacFile({ proxyAddress: self, hostPatterns }), {
          "Content-Type": pacContentType,
          // Browsers read it at start-up and when the settings change; a changed --host must show at once.
          "Cache-Control": "no-cache",
        });
      },
    ],
    [
      "/ca.pem",
      (req, res) => {
        if (ca === undefined) {
          sendPlainText(
            res,
            404,
            "HTTPS interception is off (no --host), so there is no CA certificate to trust",
          );
          return;
        }
        send(req, res, ca.certPem, {
          // The type browsers offer to import as a certificate authority (Firefox asks what to trust it for).
          "Content-Type": "application/x-x509-ca-cert",
          "Cache-Control": "no-cache",
        });
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
      sendProxyError(res, error);
      return;
    }
    if (!isAllowedLocalHost(req.headers.host, boundHostNames)) {
      sendProxyError(
        res,
        new ProxyError(
          "HOST_NOT_ALLOWED",
          `Refusing a request for host ${JSON.stringify((req.headers.host ?? "").slice(0, 200))}: the proxy's own ` +
            "pages answer only to localhost, *.localhost, IP addresses and the host it is bound to " +
            "(a web page may be trying to read them through DNS rebinding)",
        ),
      );
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      sendPlainText(res, 405, `${path} answers GET and HEAD only`, { Allow: "GET, HEAD" });
      return;
    }
    route(req, res, self);
  };
}

/** Ends `res` with 200 and `body` (without it for HEAD), nosniff, and `headers`. */
function send(
  req: IncomingMessage,
  res: ServerResponse,
  body: string,
  headers: Readonly<Record<string, string>>,
): void {
  res.writeHead(200, {
    ...headers,
    "Content-Length": String(Buffer.byteLength(body)),
    "X-Content-Type-Options": "nosniff",
  });
  res.end(req.method === "HEAD" ? undefined : body);
}

/** `host:port` the client reached the proxy on (the listening address it connected to). */
function ownAddress(req: IncomingMessage): string {
  const address = (req.socket.localAddress ?? "127.0.0.1").replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, "");
  return formatHostPort(address, req.socket.localPort ?? 8080);
}
