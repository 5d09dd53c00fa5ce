import assert from "node:assert/strict";
import type { IncomingHttpHeaders } from "node:http";
import { describe, it } from "node:test";
import { classifyRequestSite } from "../../../../proxy/signin/request-site.js";
import { localOriginMappings, rewriteRequestOrigins } from "../../../../proxy/reverse/browser-request.js";

describe("classifyRequestSite", () => {
  const isLocal = (origin: string): boolean => origin.startsWith("http://localhost");
  const table: readonly [string, string, IncomingHttpHeaders, string][] = [
    ["curl (no fetch metadata, no Origin)", "POST", {}, "same-site"],
    [
      "the app's own form post",
      "POST",
      { "sec-fetch-site": "same-origin", "sec-fetch-mode": "navigate" },
      "same-site",
    ],
    [
      "a page on another localhost port",
      "POST",
      { "sec-fetch-site": "same-site", "sec-fetch-mode": "cors" },
      "same-site",
    ],
    ["a typed-in URL", "GET", { "sec-fetch-site": "none", "sec-fetch-mode": "navigate" }, "same-site"],
    [
      "a link from another site",
      "GET",
      { "sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate" },
      "cross-site-navigation",
    ],
    [
      "a cross-site HEAD navigation",
      "HEAD",
      { "sec-fetch-site": "Cross-Site", "sec-fetch-mode": "Navigate" },
      "cross-site-navigation",
    ],
    [
      "a form another site posts",
      "POST",
      { "sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate" },
      "cross-site-subrequest",
    ],
    [
      "another site's fetch",
      "GET",
      { "sec-fetch-site": "cross-site", "sec-fetch-mode": "cors" },
      "cross-site-subrequest",
    ],
    [
      "another site's image",
      "GET",
      { "sec-fetch-site": "cross-site", "sec-fetch-mode": "no-cors" },
      "cross-site-subrequest",
    ],
    [
      "another site's websocket",
      "GET",
      { "sec-fetch-site": "cross-site", "sec-fetch-mode": "websocket" },
      "cross-site-subrequest",
    ],
    [
      "an old browser's post from another site",
      "POST",
      { origin: "https://attacker.example" },
      "cross-site-subrequest",
    ],
    ["an old browser's post from a sandboxed frame", "POST", { origin: "null" }, "cross-site-subrequest"],
    ["an old browser's post from the local origin", "POST", { origin: "http://localhost:8080" }, "same-site"],
    [
      "fetch metadata over Origin",
      "POST",
      { "sec-fetch-site": "same-origin", origin: "https://attacker.example" },
      "same-site",
    ],
  ];
  for (const [what, method, headers, expected] of table) {
    it(`classifies ${what} as ${expected}`, () => {
      assert.equal(classifyRequestSite(method, headers, isLocal), expected);
    });
  }
});

describe("rewriteRequestOrigins", () => {
  const mappings = [
    { upstream: "https://app.example.com", local: "http://localhost:8080" },
    { upstream: "https://b.example.com", local: "http://localhost:8081" },
  ];

  it("points a local Origin and Referer at the upstream they stand for", () => {
    const headers: IncomingHttpHeaders = {
      origin: "http://localhost:8081",
      referer: "http://localhost:8080/a/b?c=1",
    };
    rewriteRequestOrigins(headers, mappings);
    assert.deepEqual(headers, {
      origin: "https://b.example.com",
      referer: "https://app.example.com/a/b?c=1",
    });
  });

  it("leaves other origins alone", () => {
    const headers: IncomingHttpHeaders = {
      origin: "https://attacker.example",
      referer: "http://localhost:9999/",
    };
    rewriteRequestOrigins(headers, mappings);
    assert.deepEqual(headers, { origin: "https://attacker.example", referer: "http://localhost:9999/" });
  });

  it("leaves an unparseable Referer and a missing Origin alone", () => {
    const headers: IncomingHttpHeaders = { referer: "not a url" };
    rewriteRequestOrigins(headers, mappings);
    assert.deepEqual(headers, { referer: "not a url" });
  });
});

describe("localOriginMappings", () => {
  const ports = new Map([
    ["https://a.example.com", 8081],
    ["https://b.example.com", 8082],
  ]);

  it("maps the current upstream to the Host as sent, the others to their ports on that host name", () => {
    assert.deepEqual(localOriginMappings("a.localhost:9000", "https://a.example.com", ports), [
      { upstream: "https://a.example.com", local: "http://a.localhost:9000" },
      { upstream: "https://b.example.com", local: "http://a.localhost:8082" },
    ]);
  });

  it("keeps IPv6 brackets and drops port 80", () => {
    assert.deepEqual(localOriginMappings("[::1]", "https://b.example.com", ports), [
      { upstream: "https://b.example.com", local: "http://[::1]" },
      { upstream: "https://a.example.com", local: "http://[::1]:8081" },
    ]);
  });
});
