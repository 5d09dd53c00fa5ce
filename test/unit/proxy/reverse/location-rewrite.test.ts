import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { rewriteLocation } from "../../../../proxy/reverse/index.js";

const app = "https://app.internal.example.com";
const mappings = [
  { upstream: app, local: "http://localhost:8080" },
  { upstream: "https://reports.example.com:8443", local: "http://localhost:8081" },
];

describe("rewriteLocation", () => {
  const table: readonly [string, string, string][] = [
    ["an absolute URL on the app", `${app}/x`, "http://localhost:8080/x"],
    [
      "its query and fragment, byte for byte",
      `${app}/a%2Fb?q=%20x&y#frag`,
      "http://localhost:8080/a%2Fb?q=%20x&y#frag",
    ],
    ["the app's origin alone", app, "http://localhost:8080/"],
    ["a query on the origin", `${app}?next=/x`, "http://localhost:8080/?next=/x"],
    ["an explicit default port", "https://app.internal.example.com:443/x", "http://localhost:8080/x"],
    ["another case in scheme and host", "HTTPS://App.Internal.Example.COM/x", "http://localhost:8080/x"],
    ["a scheme-relative URL on the app", "//app.internal.example.com/x", "http://localhost:8080/x"],
    ["a scheme-relative URL with backslashes", "\\\\app.internal.example.com/x", "http://localhost:8080/x"],
    ["user credentials in the URL", "https://user@app.internal.example.com/x", "http://localhost:8080/x"],
    ["extra slashes the URL parser skips", "https:///app.internal.example.com/x", "http://localhost:8080/x"],
    [
      "another configured upstream",
      "https://reports.example.com:8443/r?id=1",
      "http://localhost:8081/r?id=1",
    ],
    ["a relative path (unchanged)", "/login?next=%2F", "/login?next=%2F"],
    ["a relative path without slash (unchanged)", "next/page", "next/page"],
    ["a query alone (unchanged)", "?page=2", "?page=2"],
    [
      "another host (unchanged)",
      "https://sso.example.com/login?app=x",
      "https://sso.example.com/login?app=x",
    ],
    [
      "another scheme on the app's host (unchanged)",
      "http://app.internal.example.com/x",
      "http://app.internal.example.com/x",
    ],
    [
      "another port on the app's host (unchanged)",
      "https://app.internal.example.com:8443/x",
      "https://app.internal.example.com:8443/x",
    ],
    [
      "a subdomain of the app (unchanged)",
      "https://x.app.internal.example.com/",
      "https://x.app.internal.example.com/",
    ],
    [
      "a host that only starts like the app's (unchanged)",
      "https://app.internal.example.com.evil.test/",
      "https://app.internal.example.com.evil.test/",
    ],
    ["a mail link (unchanged)", "mailto:ops@example.com", "mailto:ops@example.com"],
    ["something unparseable (unchanged)", "https://[oops/x", "https://[oops/x"],
  ];
  for (const [what, location, expected] of table) {
    it(`rewrites ${what}`, () => {
      assert.equal(rewriteLocation(location, app, mappings), expected);
    });
  }

  it("reads a scheme-relative URL with the app's scheme, not the browser's", () => {
    const httpApp = "http://app.internal.example.com";
    assert.equal(
      rewriteLocation("//app.internal.example.com/x", httpApp, mappings),
      "//app.internal.example.com/x",
    );
  });
});
