import { createServer, type Server } from "node:http";
import { Counter, type Registry } from "prom-client";
import { formatHostPort, type BindAddress } from "./bind-address.js";
import type { Health } from "./health.js";

/** Where the metrics server serves them. */
export const METRICS_PATH = "/metrics";

/** The gateway's own metrics, next to the middleware's in the same registry. */
export interface GatewayMetrics {
  /** iam_auth_gateway_requests_total{status_class}: answers of the app passed on, by 1xx … 5xx. */
  readonly proxied: Counter<"status_class">;
  /** iam_auth_gateway_upstream_errors_total{code}: the app could not be reached or did not answer in time. */
  readonly upstreamErrors: Counter<"code">;
}

// Bounded label values: what Node reports when an upstream fails; anything else is "other".
const upstreamCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
  "ECONNABORTED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "CERT_HAS_EXPIRED",
]);

/**
 * Registers the gateway's metrics in `registry`.
 *
 * @example const metrics = createGatewayMetrics(registry); metrics.proxied.inc({ status_class: "2xx" });
 */
export function createGatewayMetrics(registry: Registry): GatewayMetrics {
  return {
    proxied: new Counter({
      name: "iam_auth_gateway_requests_total",
      help: "Requests passed to the app, by the status class of its answer (1xx, 2xx, 3xx, 4xx, 5xx).",
      labelNames: ["status_class"],
      registers: [registry],
    }),
    upstreamErrors: new Counter({
      name: "iam_auth_gateway_upstream_errors_total",
      help: "Requests the app did not answer (the client got 502), by error code (ECONNREFUSED, ETIMEDOUT, …; other).",
      labelNames: ["code"],
      registers: [registry],
    }),
  };
}

/** `2xx` for 204: the status_class label. */
export function statusClassOf(status: number): string {
  return status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : "other";
}

/** The code label of an upstream failure: Node's error code when it is a known one, else `other`. */
export function upstreamErrorLabel(code: string | undefined): string {
  return code !== undefined && upstreamCodes.has(code) ? code : "other";
}

/** A listening metrics server. */
export interface MetricsServer {
  readonly server: Server;
  /** `http://host:port`, the port really bound. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` (Prometheus text format, from `registry`), `/healthz` and `/readyz` on
 * their own address, apart from the port people use, so the numbers stay internal. Rejects when
 * it cannot listen.
 *
 * @example const metrics = await startMetricsServer({ host: "127.0.0.1", port: 9090 }, registry, health);
 */
export async function startMetricsServer(
  bind: BindAddress,
  registry: Registry,
  health: Health,
): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    if (health.answer(req, res)) return;
    const path = (req.url ?? "").split("?")[0];
    if (path !== METRICS_PATH || (req.method !== "GET" && req.method !== "HEAD")) {
      res
        .writeHead(404, { "Content-Type": "text/plain; charset=utf-8" })
        .end(`not found: try ${METRICS_PATH}\n`);
      return;
    }
    registry.metrics().then(
      (text) => {
        res.writeHead(200, { "Content-Type": registry.contentType, "Cache-Control": "no-store" });
        res.end(req.method === "HEAD" ? undefined : text);
      },
      () => res.writeHead(500, { "Content-Type": "text/plain; charset=utf-8" }).end("metrics failed\n"),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(bind.port, bind.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : bind.port;
  return {
    server,
    url: `http://${formatHostPort(bind.host, port)}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
