import { Agent, request, type RequestOptions } from "node:https";
import { isIP } from "node:net";
import type { Duplex } from "node:stream";
import { connect as connectTls } from "node:tls";
import type { LoadResult } from "./load.js";
import { percentile } from "./stats.js";
import { openStream } from "./tunnel-client.js";
import { withTimeout } from "./with-timeout.js";

/*
 * A keep-alive HTTPS load generator that can go through an intercepting proxy, which autocannon
 * cannot: each connection is a CONNECT tunnel through the proxy with TLS inside it, trusting
 * only the CA given (the proxy's for an intercepted app: a blind tunnel would fail the
 * handshake), or TLS straight to the app trusting the app's CA.
 */

/** One HTTPS load target: the app directly, or the app through a proxy's CONNECT. */
export interface HttpsLoadTarget {
  /** Key in the results, e.g. "direct", "ours". */
  readonly name: string;
  /** The app: an IP literal (no SNI is sent for it) or a name, and its port. */
  readonly host: string;
  readonly port: number;
  /** undefined: straight to the app. */
  readonly proxy: URL | undefined;
  /** The only CA the client trusts, PEM. */
  readonly ca: string;
  readonly path: string;
  /** A 2xx response whose body differs counts as a mismatch. */
  readonly expectBody: string;
  /** Reads how many requests the app has served so far: proves the load reached it. */
  readonly countServed?: () => Promise<number>;
  /** Reads the CPU seconds used so far by the process under test. */
  readonly readCpuSeconds?: () => Promise<number>;
}

/** How one request ended. */
export type RequestOutcome =
  | { readonly kind: "ok"; readonly ms: number }
  | { readonly kind: "status"; readonly status: number }
  | { readonly kind: "mismatch" }
  | { readonly kind: "error"; readonly timeout: boolean };

const REQUEST_TIMEOUT_MS = 10_000;

/** An agent whose every connection is TLS inside a CONNECT tunnel through `proxy`. */
class TunnelAgent extends Agent {
  constructor(
    private readonly proxy: URL,
    options: ConstructorParameters<typeof Agent>[0],
  ) {
    super(options);
  }

  override createConnection(
    options: RequestOptions,
    callback?: (error: Error | null, stream: Duplex) => void,
  ): Duplex | undefined {
    const host = String(options.host);
    openStream(new URL(`tcp://${host}:${String(options.port)}`), this.proxy).then(
      (socket) => {
        socket.resume();
        const secure = connectTls({
          socket,
          host,
          ca: this.options.ca,
          // No SNI for an IP literal (RFC 6066 §3); the certificate is still checked against `host`.
          ...(isIP(host) === 0 ? { servername: host } : {}),
          ALPNProtocols: ["http/1.1"],
        });
        callback?.(null, secure);
      },
      (error: Error) => callback?.(error, undefined as unknown as Duplex),
    );
    return undefined;
  }
}

function createAgent(target: HttpsLoadTarget, connections: number): Agent {
  const options = { keepAlive: true, maxSockets: connections, ca: target.ca };
  return target.proxy === undefined ? new Agent(options) : new TunnelAgent(target.proxy, options);
}

function sendRequest(agent: Agent, target: HttpsLoadTarget): Promise<RequestOutcome> {
  return new Promise((resolve) => {
    const started = performance.now();
    const req = request(
      { agent, host: target.host, port: target.port, path: target.path, ca: target.ca },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => void (body += chunk));
        res.on("error", () => resolve({ kind: "error", timeout: false }));
        res.on("end", () => {
          const status = res.statusCode ?? 0;
          if (status < 200 || status >= 300) resolve({ kind: "status", status });
          else if (body !== target.expectBody) resolve({ kind: "mismatch" });
          else resolve({ kind: "ok", ms: performance.now() - started });
        });
      },
    );
    req.setTimeout(REQUEST_TIMEOUT_MS, () => {
      req.destroy();
      resolve({ kind: "error", timeout: true });
    });
    req.on("error", () => resolve({ kind: "error", timeout: false }));
    req.end();
  });
}

/**
 * The LoadResult of a run from its request outcomes: 2xx per second over `seconds`, latency
 * percentiles of the successful requests (NaN without any). Pure.
 *
 * @example summarizeOutcomes("ours", 50, 2, outcomes, { served: 1000, cpuSeconds: 0.4 })
 */
export function summarizeOutcomes(
  name: string,
  connections: number,
  seconds: number,
  outcomes: readonly RequestOutcome[],
  measured: { readonly served: number | undefined; readonly cpuSeconds: number | undefined },
): LoadResult {
  const latencies: number[] = [];
  let otherResponses = 0;
  let errors = 0;
  let timeouts = 0;
  let mismatches = 0;
  for (const outcome of outcomes) {
    if (outcome.kind === "ok") latencies.push(outcome.ms);
    else if (outcome.kind === "status") otherResponses += 1;
    else if (outcome.kind === "mismatch") mismatches += 1;
    else {
      errors += 1;
      if (outcome.timeout) timeouts += 1;
    }
  }
  const responses2xx = latencies.length + mismatches;
  const mean = latencies.length === 0 ? NaN : latencies.reduce((sum, ms) => sum + ms, 0) / latencies.length;
  return {
    name,
    connections,
    durationSeconds: seconds,
    // A 2xx with the wrong body is not throughput either: the app did not answer it.
    requestsPerSecond: seconds > 0 ? latencies.length / seconds : 0,
    responses2xx,
    otherResponses,
    errors,
    timeouts,
    mismatches,
    latencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), mean },
    served: measured.served,
    cpuSeconds: measured.cpuSeconds,
  };
}

/**
 * Opens `connections` keep-alive connections to `target` (one untimed request each: the figure
 * is requests over open connections, not handshakes), then has each send requests one after
 * another for `durationSeconds`. Failed requests are counted, not thrown.
 *
 * @example await runHttpsLoad({ name: "ours", host: "127.0.0.1", port, proxy, ca, path: "/", expectBody: "ok\n" }, { connections: 50, durationSeconds: 2 })
 */
export async function runHttpsLoad(
  target: HttpsLoadTarget,
  options: { readonly connections: number; readonly durationSeconds: number },
): Promise<LoadResult> {
  const { connections } = options;
  const agent = createAgent(target, connections);
  try {
    const opened = await withTimeout(
      Promise.all(Array.from({ length: connections }, () => sendRequest(agent, target))),
      30_000,
      `opening ${connections} HTTPS connections (${target.name})`,
    );
    const failed = opened.filter((outcome) => outcome.kind !== "ok").length;
    if (failed > 0) {
      throw new Error(
        `${target.name}: ${failed} of ${connections} first requests failed (${JSON.stringify(opened.find((o) => o.kind !== "ok"))})`,
      );
    }
    const servedBefore = await target.countServed?.();
    const cpuBefore = await target.readCpuSeconds?.();
    const outcomes: RequestOutcome[] = [];
    const started = performance.now();
    const deadline = started + options.durationSeconds * 1000;
    await withTimeout(
      Promise.all(
        Array.from({ length: connections }, async () => {
          while (performance.now() < deadline) outcomes.push(await sendRequest(agent, target));
        }),
      ),
      options.durationSeconds * 1000 + 2 * REQUEST_TIMEOUT_MS,
      `HTTPS load on ${target.name}`,
    );
    const seconds = (performance.now() - started) / 1000;
    const cpuAfter = await target.readCpuSeconds?.();
    const servedAfter = await target.countServed?.();
    return summarizeOutcomes(target.name, connections, seconds, outcomes, {
      served:
        servedBefore === undefined || servedAfter === undefined ? undefined : servedAfter - servedBefore,
      cpuSeconds: cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore,
    });
  } finally {
    agent.destroy();
  }
}
