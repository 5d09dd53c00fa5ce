import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { describeUpstreamOriginProblem } from "../../../../proxy/reverse/index.js";

describe("describeUpstreamOriginProblem", () => {
  it("accepts an http(s) origin, with or without a port", () => {
    for (const origin of ["https://app.example.com", "http://10.0.0.5:3000/", "https://[::1]:8443"]) {
      assert.equal(describeUpstreamOriginProblem(new URL(origin)), undefined, origin);
    }
  });
  const refused: readonly [string, string][] = [
    ["ftp://app.example.com", "it is not an http(s) URL"],
    ["https://user:pw@app.example.com", "it has user credentials"],
    ["https://app.example.com/app", "it has a path"],
    ["https://app.example.com/?tenant=1", "it has a path"],
    ["https://app.example.com/#top", "it has a path"],
  ];
  for (const [origin, problem] of refused) {
    it(`refuses ${origin}: ${problem}`, () => {
      assert.equal(describeUpstreamOriginProblem(new URL(origin)), problem);
    });
  }
});
