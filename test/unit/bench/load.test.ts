import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { joinLatencySamples, summarizeLatency } from "../../../bench/latency-probe.js";
import {
  combineRounds,
  compareInRounds,
  cpuMicrosecondsPerRequest,
  describeLoadProblems,
  type LoadResult,
} from "../../../bench/load.js";

function round(overrides: Partial<LoadResult>): LoadResult {
  return {
    name: "ours",
    connections: 50,
    durationSeconds: 2,
    requestsPerSecond: 0,
    responses2xx: 0,
    otherResponses: 0,
    errors: 0,
    timeouts: 0,
    mismatches: 0,
    latencyMs: { p50: 0, p99: 0, mean: 0 },
    served: undefined,
    cpuSeconds: undefined,
    ...overrides,
  };
}

describe("combineRounds", () => {
  it("takes the rate over all responses and all the time, not the mean of the rounds' rates", () => {
    const combined = combineRounds([
      round({ durationSeconds: 1, responses2xx: 1000 }),
      round({ durationSeconds: 3, responses2xx: 1000 }),
    ]);
    assert.equal(combined.requestsPerSecond, 500);
    assert.equal(combined.durationSeconds, 4);
  });

  it("weighs each round's latency percentiles by its responses", () => {
    const combined = combineRounds([
      round({ responses2xx: 300, latencyMs: { p50: 10, p99: 40, mean: 12 } }),
      round({ responses2xx: 100, latencyMs: { p50: 20, p99: 80, mean: 24 } }),
    ]);
    assert.deepEqual(combined.latencyMs, { p50: 12.5, p99: 50, mean: 15 });
  });

  it("sums served requests and CPU time only when every round measured them", () => {
    const both = combineRounds([
      round({ served: 10, cpuSeconds: 0.5 }),
      round({ served: 5, cpuSeconds: 0.25 }),
    ]);
    const one = combineRounds([round({ served: 10 }), round({})]);
    assert.deepEqual([both.served, both.cpuSeconds], [15, 0.75]);
    assert.deepEqual([one.served, one.cpuSeconds], [undefined, undefined]);
  });

  it("refuses an empty list", () => {
    assert.throws(() => combineRounds([]), {
      name: "TypeError",
      message: "combineRounds: no rounds to combine",
    });
  });
});

describe("cpuMicrosecondsPerRequest", () => {
  it("divides the CPU time by the 2xx responses", () => {
    assert.equal(cpuMicrosecondsPerRequest(round({ cpuSeconds: 1.5, responses2xx: 5000 })), 300);
  });

  it("is undefined when CPU time was not measured or nothing was answered", () => {
    assert.equal(cpuMicrosecondsPerRequest(round({ responses2xx: 5000 })), undefined);
    assert.equal(cpuMicrosecondsPerRequest(round({ cpuSeconds: 1 })), undefined);
  });
});

describe("describeLoadProblems", () => {
  it("is empty for a clean run", () => {
    assert.deepEqual(describeLoadProblems(round({ responses2xx: 10, served: 10 })), []);
  });

  it("names every problem of the run", () => {
    assert.deepEqual(
      describeLoadProblems(
        round({ responses2xx: 10, otherResponses: 2, errors: 3, timeouts: 1, mismatches: 4, served: 8 }),
      ),
      [
        "ours: 2 non-2xx responses",
        "ours: 3 connection errors (1 timeouts)",
        "ours: 4 responses with an unexpected body",
        "ours: the app served 8 requests but 10 were answered 2xx",
      ],
    );
  });
});

describe("compareInRounds", () => {
  it("warms each target up, then measures them in alternating order, a share of the duration each", async () => {
    const calls: string[] = [];
    const results = await compareInRounds(
      [{ name: "a" }, { name: "b" }],
      { warmupSeconds: 1, durationSeconds: 4, rounds: 2 },
      (target, seconds) => {
        calls.push(`${target.name}:${seconds}`);
        return Promise.resolve([seconds]);
      },
      (rounds) => rounds.flat(),
    );
    assert.deepEqual(calls, ["a:1", "b:1", "a:2", "b:2", "b:2", "a:2"]);
    assert.deepEqual(results, { a: [2, 2], b: [2, 2] });
  });
});

describe("latency samples", () => {
  it("joins a target's rounds and summarizes them", () => {
    const joined = joinLatencySamples([
      { name: "ours", samplesMs: [1, 2, 3], failures: 0 },
      { name: "ours", samplesMs: [4], failures: 2 },
    ]);
    assert.deepEqual(summarizeLatency(joined), {
      name: "ours",
      requests: 4,
      failures: 2,
      p50: 2,
      p99: 4,
      mean: 2.5,
    });
  });
});
