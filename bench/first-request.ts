import type { FreshRequestTiming } from "./https-probe.js";
import { measuredFigure, type Figure } from "./report.js";
import { median } from "./stats.js";

/*
 * What the first request to a new intercepted host costs: the proxy must issue a certificate
 * for it before it answers the CONNECT. Each new host is compared with a request to a host
 * whose certificate the proxy already has, measured right next to it. Pure.
 */

/** The requests measured around one new host, each on a fresh connection. */
export interface NewHostSample {
  readonly host: string;
  /** Through the proxy to a host it has a certificate for. */
  readonly cached: FreshRequestTiming;
  /** Through the proxy to `host`, the first time: the proxy issues its certificate. */
  readonly first: FreshRequestTiming;
  /** Through the proxy to `host` again, right after `first`. */
  readonly second: FreshRequestTiming;
  /** Straight to the app. */
  readonly direct: FreshRequestTiming;
}

export interface FirstRequestSamples {
  /** The proxy's very first intercepted request after it started, and the cached-host requests. */
  readonly firstAfterStart: FreshRequestTiming;
  readonly newHosts: readonly NewHostSample[];
}

type Phase = keyof FreshRequestTiming;
const phases: readonly Phase[] = ["connectMs", "tlsMs", "requestMs", "totalMs"];

/** The median of each phase over `timings` (NaN without any). */
export function medianTiming(timings: readonly FreshRequestTiming[]): FreshRequestTiming {
  const of = (phase: Phase): number => median(timings.map((timing) => timing[phase]));
  return {
    connectMs: of("connectMs"),
    tlsMs: of("tlsMs"),
    requestMs: of("requestMs"),
    totalMs: of("totalMs"),
  };
}

/**
 * The median over the new hosts of (`pick`'s total − the cached host's total measured next to it).
 *
 * @example medianExtraMs(samples, (sample) => sample.first) // 4.2
 */
export function medianExtraMs(
  samples: readonly NewHostSample[],
  pick: (sample: NewHostSample) => FreshRequestTiming,
): number {
  return median(samples.map((sample) => pick(sample).totalMs - sample.cached.totalMs));
}

/**
 * Rows: the first request to a new host − a cached host's (target ≤ 5 ms: issuing its
 * certificate), the second request to that host − a cached host's (the certificate is cached:
 * about 0), the first intercepted request after start − a cached host's (target ≤ 50 ms), and a
 * fresh connection to a cached host, ours ÷ direct.
 *
 * @example firstRequestFigures({ firstAfterStart, newHosts })
 */
export function firstRequestFigures(samples: FirstRequestSamples): Figure[] {
  const { newHosts } = samples;
  const count = newHosts.length;
  const cached = medianTiming(newHosts.map((sample) => sample.cached));
  const first = medianTiming(newHosts.map((sample) => sample.first));
  const second = medianTiming(newHosts.map((sample) => sample.second));
  const direct = medianTiming(newHosts.map((sample) => sample.direct));
  const show = (timing: FreshRequestTiming): string =>
    phases.map((phase) => `${phase.replace(/Ms$/, "")} ${timing[phase].toFixed(2)}`).join(", ");
  return [
    measuredFigure({
      id: "intercept.new-host.extra",
      label: `Intercepted HTTPS, first request to a new host: ms more than to a cached host (median of ${count} hosts)`,
      ours: { value: medianExtraMs(newHosts, (sample) => sample.first), unit: "ms" },
      target: { subject: "value", comparison: "<=", limit: 5 },
      note: `First request to a new host, medians in ms (new connection, CONNECT, TLS, GET): first ${show(first)}; cached host ${show(cached)}. The proxy answers CONNECT once it has the certificate, so issuing it shows in "connect".`,
    }),
    measuredFigure({
      id: "intercept.same-host-again.extra",
      label: "Intercepted HTTPS, second request to that host (new connection): ms more than to a cached host",
      ours: { value: medianExtraMs(newHosts, (sample) => sample.second), unit: "ms" },
      note: `Second request to the same host, medians in ms: ${show(second)}.`,
    }),
    measuredFigure({
      id: "intercept.first-after-start.extra",
      label:
        "Intercepted HTTPS, first intercepted request after the proxy starts: ms more than to a cached host",
      ours: { value: samples.firstAfterStart.totalMs - cached.totalMs, unit: "ms" },
      target: { subject: "value", comparison: "<=", limit: 50 },
      note: `First intercepted request after start (one sample, ms): ${show(samples.firstAfterStart)}.`,
    }),
    measuredFigure({
      id: "intercept.fresh-connection.vs-direct",
      label: "Intercepted HTTPS, new connection + 1 request to a cached host: ms, ours ÷ direct",
      ours: { value: cached.totalMs, unit: "ms" },
      reference: { name: "direct", value: direct.totalMs, unit: "ms" },
      note: `New connection + one request straight to the app, medians in ms: ${show(direct)}.`,
    }),
  ];
}
