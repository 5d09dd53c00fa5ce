import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { summarizeOutcomes, type RequestOutcome } from "../../../bench/https-load.js";

describe("summarizeOutcomes", () => {
  const outcomes: RequestOutcome[] = [
    { kind: "ok", ms: 1 },
    { kind: "ok", ms: 3 },
    { kind: "ok", ms: 2 },
    { kind: "ok", ms: 10 },
    { kind: "status", status: 502 },
    { kind: "mismatch" },
    { kind: "error", timeout: true },
    { kind: "error", timeout: false },
  ];
  const result = summarizeOutcomes("ours", 50, 2, outcomes, { served: 5, cpuSeconds: 0.5 });

  it("counts only the answers with the expected body as throughput", () => {
    assert.equal(result.requestsPerSecond, 2);
  });

  it("counts each kind of failure, a wrong body among the 2xx", () => {
    assert.equal(result.responses2xx, 5);
    assert.equal(result.mismatches, 1);
    assert.equal(result.otherResponses, 1);
    assert.equal(result.errors, 2);
    assert.equal(result.timeouts, 1);
  });

  it("takes the latency of the successful requests only", () => {
    assert.deepEqual(result.latencyMs, { p50: 2, p99: 10, mean: 4 });
  });

  it("passes on what the app served and the CPU time", () => {
    assert.equal(result.served, 5);
    assert.equal(result.cpuSeconds, 0.5);
    assert.equal(result.durationSeconds, 2);
    assert.equal(result.connections, 50);
  });
});
