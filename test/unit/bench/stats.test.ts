import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { median, percentile, roundOrder } from "../../../bench/stats.js";

describe("percentile", () => {
  it("picks an observed value by nearest rank", () => {
    const samples = [5, 1, 3, 2, 4, 6, 8, 7, 10, 9];
    assert.equal(percentile(samples, 50), 5);
    assert.equal(percentile(samples, 90), 9);
    assert.equal(percentile(samples, 99), 10);
    assert.equal(percentile(samples, 0), 1);
  });

  it("is NaN without samples", () => {
    assert.ok(Number.isNaN(percentile([], 50)));
  });
});

describe("median", () => {
  it("takes the middle of an odd count and the mean of the middle two of an even count", () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
  });

  it("does not reorder the caller's samples", () => {
    const samples = [3, 1, 2];
    median(samples);
    assert.deepEqual(samples, [3, 1, 2]);
  });
});

describe("roundOrder", () => {
  it("reverses the order every other round", () => {
    assert.deepEqual(
      [0, 1, 2].map((round) => roundOrder(["direct", "ours", "peer"], round)),
      [
        ["direct", "ours", "peer"],
        ["peer", "ours", "direct"],
        ["direct", "ours", "peer"],
      ],
    );
  });
});
