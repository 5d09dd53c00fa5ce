import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  firstRequestFigures,
  medianExtraMs,
  medianTiming,
  type NewHostSample,
} from "../../../bench/first-request.js";
import type { FreshRequestTiming } from "../../../bench/https-probe.js";
import type { Figure, MeasuredFigure } from "../../../bench/report.js";

const timing = (totalMs: number, connectMs = 1): FreshRequestTiming => ({
  connectMs,
  tlsMs: 2,
  requestMs: totalMs - connectMs - 2,
  totalMs,
});

const host = (name: string, cached: number, first: number, second: number): NewHostSample => ({
  host: name,
  cached: timing(cached),
  first: timing(first, first - cached + 1),
  second: timing(second),
  direct: timing(4),
});

function measured(figures: readonly Figure[], id: string): MeasuredFigure {
  const figure = figures.find((f) => f.id === id);
  assert.ok(figure?.kind === "measured", `no measured figure ${id}`);
  return figure;
}

describe("medianExtraMs", () => {
  it("subtracts each host's own cached-host request, then takes the median", () => {
    // Extras 5, 30, 7: a slow cached request next to one host does not leak into the others.
    const samples = [host("a", 10, 15, 10), host("b", 40, 70, 40), host("c", 12, 19, 12)];
    assert.equal(
      medianExtraMs(samples, (s) => s.first),
      7,
    );
  });
});

describe("medianTiming", () => {
  it("takes the median of each phase separately", () => {
    assert.deepEqual(medianTiming([timing(10, 1), timing(20, 5), timing(30, 3)]), {
      connectMs: 3,
      tlsMs: 2,
      requestMs: 13,
      totalMs: 20,
    });
  });
});

describe("firstRequestFigures", () => {
  const newHosts = [host("a", 10, 15, 10.5), host("b", 12, 40, 12), host("c", 11, 20, 10)];
  const figures = firstRequestFigures({ firstAfterStart: timing(311), newHosts });

  it("holds the first request to a new host to at most 5 ms more than to a cached host", () => {
    const fast = firstRequestFigures({
      firstAfterStart: timing(311),
      newHosts: [host("a", 10, 13, 10), host("b", 10, 15, 10)],
    });
    const figure = measured(fast, "intercept.new-host.extra");
    assert.deepEqual(figure.ours, { value: 4, unit: "ms" });
    assert.deepEqual(figure.target, { subject: "value", comparison: "<=", limit: 5 });
    assert.equal(figure.met, true);
  });

  it("when a new host costs more than 5 ms extra, counts the target as missed", () => {
    const figure = measured(figures, "intercept.new-host.extra");
    assert.deepEqual(figure.ours, { value: 9, unit: "ms" });
    assert.equal(figure.met, false);
  });

  it("reports the second request to the same host against a cached host", () => {
    assert.equal(measured(figures, "intercept.same-host-again.extra").ours.value, 0);
  });

  it("holds the first request after start to at most 50 ms more than the median cached-host request", () => {
    const figure = measured(figures, "intercept.first-after-start.extra");
    assert.equal(figure.ours.value, 300);
    assert.deepEqual(figure.target, { subject: "value", comparison: "<=", limit: 50 });
    assert.equal(figure.met, false);
  });

  it("compares a fresh connection to a cached host with one straight to the app", () => {
    const figure = measured(figures, "intercept.fresh-connection.vs-direct");
    assert.equal(figure.ours.value, 11);
    assert.equal(figure.reference?.value, 4);
  });
});
