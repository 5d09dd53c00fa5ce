import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { findClosestName } from "../../../../../proxy/cli/flags/closest-name.js";

const flags = [
  "bind",
  "host",
  "upstream",
  "upstream-ca",
  "upstream-timeout",
  "socks-proxy",
  "ca-dir",
  "region",
];

describe("findClosestName", () => {
  it("finds a name one or two edits away, ignoring case", () => {
    assert.equal(findClosestName("bnd", flags), "bind");
    assert.equal(findClosestName("BIND", flags), "bind");
    assert.equal(findClosestName("hsot", flags), "host", "two letters swapped are one edit");
    assert.equal(findClosestName("regoin", flags), "region");
    assert.equal(findClosestName("upstream-cca", flags), "upstream-ca");
  });
  it("finds a name that starts with what was typed", () => {
    assert.equal(findClosestName("socks", flags), "socks-proxy");
    assert.equal(findClosestName("upstream-t", flags), "upstream-timeout");
  });
  it("prefers the closest of several", () => {
    assert.equal(findClosestName("upstream", flags), "upstream");
    assert.equal(findClosestName("upstrem", flags), "upstream");
  });
  it("finds nothing for a name too far from every known one", () => {
    assert.equal(findClosestName("bogus", flags), undefined);
    assert.equal(findClosestName("x", flags), undefined);
    assert.equal(findClosestName("bindings", flags), undefined);
  });
});
