import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { rewriteSetCookieForBrowser } from "../../../../proxy/reverse/index.js";

const host = "app.internal.example.com";

describe("rewriteSetCookieForBrowser", () => {
  const table: readonly [string, string, string | undefined][] = [
    [
      "drops Secure and Domain, keeps the rest as written",
      "sid=abc; Path=/; Domain=app.internal.example.com; Secure; HttpOnly; SameSite=Lax; Max-Age=3600",
      "sid=abc; Path=/; HttpOnly; SameSite=Lax; Max-Age=3600",
    ],
    ["drops a parent Domain with a leading dot", "sid=abc; domain=.example.com; path=/", "sid=abc; path=/"],
    ["reads attribute names in any case", "sid=abc; SECURE; DoMaIn=example.com", "sid=abc"],
    ["keeps a cookie without attributes", "theme=dark", "theme=dark"],
    [
      "keeps Expires with its comma",
      "a=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT; Secure",
      "a=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT",
    ],
    ["keeps a value holding = and spaces", "data=a=b c; Secure", "data=a=b c"],
    [
      "turns SameSite=None into Lax (None needs Secure)",
      "sid=1; Secure; SameSite=None",
      "sid=1; SameSite=Lax",
    ],
    [
      "drops Partitioned (it needs Secure)",
      "sid=1; Secure; Partitioned; SameSite=None",
      "sid=1; SameSite=Lax",
    ],
    ["keeps an empty Domain's cookie, without it", "sid=1; Domain=", "sid=1"],
    [
      "keeps Secure on a __Secure- cookie (browsers refuse it without)",
      "__Secure-sid=1; Domain=example.com; Secure; SameSite=None",
      "__Secure-sid=1; Secure; SameSite=None",
    ],
    [
      "keeps Secure on a __Host- cookie",
      "__Host-sid=1; Path=/; Secure; HttpOnly",
      "__Host-sid=1; Path=/; Secure; HttpOnly",
    ],
    ["reads the prefixes in any case", "__HOST-sid=1; Path=/; Secure", "__HOST-sid=1; Path=/; Secure"],
    [
      "drops a cookie for another domain (the browser would)",
      "sid=1; Domain=other.example.org; Secure",
      undefined,
    ],
    ["drops a cookie for a sibling host", "sid=1; Domain=api.internal.example.com", undefined],
  ];
  for (const [what, line, expected] of table) {
    it(what, () => {
      assert.equal(rewriteSetCookieForBrowser(line, host), expected);
    });
  }

  it("compares Domain with an IPv6 upstream without brackets", () => {
    assert.equal(rewriteSetCookieForBrowser("a=1; Domain=::1", "[::1]"), "a=1");
  });
});
