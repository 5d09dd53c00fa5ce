import { Agent, request } from "node:http";
import type { LoadTarget } from "./load.js";
import { percentile } from "./stats.js";

/*
 * Latency without load: requests sent one at a time on one keep-alive connection, each timed
 * with performance.now(). autocannon's histograms count whole milliseconds, too coarse for the
 * fraction of a millisecond a proxy adds to one request on loopback.
 */

export interface LatencySamples {
  readonly name: string;
  readonly samplesMs: readonly number[];
  /** Requests that failed or were answered with anything but a 2xx and the expected body. */
  readonly failures: number;
}

export interface LatencySummary {
  readonly name: string;
  readonly requests: number;
  readonly failures: number;
  readonly p50: number;
  readonly p99: number;
  readonly mean: number;
}

function timeOneRequest(agent: Agent, target: LoadTarget): Promise<number | undefined> {
  const via = new URL(target.connectTo);
  return new Promise((resolve) => {
    const started = performance.now();
    const req = request(
      { host: via.hostname, port: via.port, path: target.path, headers: target.headers, agent },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => void (body += chunk));
        res.on("error", () => resolve(undefined));
        res.on("end", () => {
          const ok =
            (res.statusCode ?? 0) < 300 && (target.expectBody === undefined || body === target.expectBody);
          resolve(ok ? performance.now() - started : undefined);
        });
      },
    );
    req.setTimeout(10_000, () => req.destroy());
    req.on("error", () => resolve(undefined));
    req.end();
  });
}

/**
 * Sends requests to `target` one after another on one keep-alive connection for `seconds`.
 *
 * @example const { samplesMs } = await probeLatency(target, 2)
 */
export async function probeLatency(target: LoadTarget, seconds: number): Promise<LatencySamples> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const samplesMs: number[] = [];
  let failures = 0;
  const deadline = performance.now() + seconds * 1000;
  try {
    while (performance.now() < deadline) {
      const ms = await timeOneRequest(agent, target);
      if (ms === undefined) failures += 1;
      else samplesMs.push(ms);
    }
  } finally {
    agent.destroy();
  }
  return { name: target.name, samplesMs, failures };
}

/** A target's rounds joined: all samples, all failures. */
export function joinLatencySamples(rounds: readonly LatencySamples[]): LatencySamples {
  const first = rounds[0];
  if (first === undefined) throw new TypeError("joinLatencySamples: no rounds to join");
  return {
    name: first.name,
    samplesMs: rounds.flatMap((round) => round.samplesMs),
    failures: rounds.reduce((sum, round) => sum + round.failures, 0),
  };
}

/** p50, p99 and mean of the samples (NaN without any). */
export function summarizeLatency(samples: LatencySamples): LatencySummary {
  const { samplesMs } = samples;
  const mean = samplesMs.length === 0 ? NaN : samplesMs.reduce((sum, ms) => sum + ms, 0) / samplesMs.length;
  return {
    name: samples.name,
    requests: samplesMs.length,
    failures: samples.failures,
    p50: percentile(samplesMs, 50),
    p99: percentile(samplesMs, 99),
    mean,
  };
}
