import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isPublicPath } from "../../../server-middleware/public-paths.js";

describe("isPublicPath", () => {
  const patterns = ["/health", "/static/*"];

  it("matches an exact path exactly", () => {
    assert.equal(isPublicPath("/health", patterns), true);
    assert.equal(isPublicPath("/health/", patterns), false);
    assert.equal(isPublicPath("/healthz", patterns), false);
    assert.equal(isPublicPath("/Health", patterns), false);
  });

  it("matches a prefix pattern for everything below it, not the folder itself", () => {
    assert.equal(isPublicPath("/static/", patterns), true);
    assert.equal(isPublicPath("/static/css/app.css", patterns), true);
    assert.equal(isPublicPath("/static", patterns), false);
    assert.equal(isPublicPath("/staticfiles/x", patterns), false);
  });

  it("when the path has dot segments, encoded slashes or backslashes, never matches", () => {
    for (const path of [
      "/static/../admin",
      "/static/./x",
      "/static/%2e%2e/admin",
      "/static/%2E./admin",
      "/static/..%2fadmin",
      "/static/..%5Cadmin",
      "/static/..\\admin",
    ]) {
      assert.equal(isPublicPath(path, patterns), false, path);
    }
  });

  it("with /*, everything unambiguous is public", () => {
    assert.equal(isPublicPath("/anything/at/all", ["/*"]), true);
  });

  it("with no patterns, nothing is public", () => {
    assert.equal(isPublicPath("/", []), false);
  });
});
