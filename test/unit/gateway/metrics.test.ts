import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { statusClassOf, upstreamErrorLabel } from "../../../gateway/metrics.js";

describe("the gateway's metric labels", () => {
  it("statusClassOf: 1xx … 5xx, anything else other", () => {
    assert.deepEqual([101, 200, 204, 302, 404, 503, 0, 600].map(statusClassOf), [
      "1xx",
      "2xx",
      "2xx",
      "3xx",
      "4xx",
      "5xx",
      "other",
      "other",
    ]);
  });

  it("upstreamErrorLabel: a known Node error code as it is, anything else (or none) other", () => {
    assert.equal(upstreamErrorLabel("ECONNREFUSED"), "ECONNREFUSED");
    assert.equal(upstreamErrorLabel("ETIMEDOUT"), "ETIMEDOUT");
    assert.equal(upstreamErrorLabel("arn:aws:iam::1:user/x"), "other");
    assert.equal(upstreamErrorLabel(undefined), "other");
  });
});
