import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkReturnUrl, MAX_RETURN_URL_LENGTH, ProtocolError } from "../../../protocol/index.js";

const appOrigin = "https://app.example.com";

// Values an attacker might put in return_url to bounce a freshly signed-in person to
// their own site: network-path references, backslashes (read as "/" by browsers),
// whitespace and control characters (tab/newline are stripped by URL parsers),
// schemes, userinfo tricks, and percent-encoded variants of each.
const hostile = [
  "//evil.example",
  "//evil.example/",
  "///evil.example",
  "////evil.example",
  "/\\evil.example",
  "\\/evil.example",
  "\\\\evil.example",
  "/\\/evil.example",
  "/x\\..\\..\\evil",
  "https://evil.example",
  "http://evil.example/",
  "HTTPS://evil.example",
  "javascript:alert(1)",
  "JaVaScRiPt:alert(1)",
  "data:text/html,<script>alert(1)</script>",
  "vbscript:msgbox(1)",
  "evil.example",
  "evil.example/path",
  "@evil.example",
  ":@evil.example",
  "https:evil.example",
  "https:/evil.example",
  "http:\\\\evil.example",
  "/\t/evil.example",
  "/\n/evil.example",
  "/\r/evil.example",
  "\t//evil.example",
  " //evil.example",
  "/ /evil.example",
  "/\u0000/evil.example",
  "/\u000b/evil.example",
  "/\u000c/evil.example",
  "/\u007f/evil.example",
  "/\u00a0/evil.example",
  "/\u2028/evil.example",
  "/\u3000/evil.example",
  "/\ufeff/evil.example",
  "/ｅｖｉｌ.example",
  "/%2F/evil.example",
  "/%2f/evil.example",
  "/%2F%2Fevil.example",
  "%2F%2Fevil.example",
  "/%5Cevil.example",
  "/%5cevil.example",
  "/%5C%5Cevil.example",
  "/%09/evil.example",
  "/%0a/evil.example",
  "/%0D%0A/evil.example",
  "/%00/evil.example",
  "/%20/evil.example",
  "/%252F/evil.example",
  "/%252f%252fevil.example",
  "/%255Cevil.example",
  "/%E2%80%A8/evil.example",
  "/%C0%AF/evil.example",
  "/%",
  "/%zz",
  "/%E0%A4%A",
  "https%3A%2F%2Fevil.example",
  "%2Fevil.example",
  "/." + "\\".repeat(2) + "evil.example",
  "",
  "?next=//evil.example",
  "#//evil.example",
  "/" + "a".repeat(MAX_RETURN_URL_LENGTH),
  "/a/".repeat(1000),
];

describe("checkReturnUrl", () => {
  it("has a corpus of at least 60 hostile values", () => {
    assert.ok(hostile.length >= 60, `only ${hostile.length}`);
  });

  for (const value of hostile) {
    it(`refuses ${JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value)} or keeps it on the app's origin`, () => {
      let accepted: string | undefined;
      try {
        accepted = checkReturnUrl(value);
      } catch (error) {
        assert.ok(error instanceof ProtocolError);
        assert.equal(error.code, "RETURN_URL_UNSAFE");
        assert.match(error.message, /^return_url must be a path on this site: /);
        return;
      }
      // Accepted: whatever a browser makes of it, it must stay on the app's origin.
      assert.equal(new URL(accepted, appOrigin).origin, appOrigin);
    });
  }

  const safe = [
    "/",
    "/reports",
    "/reports?q=a%20b&page=2",
    "/a/b/../c",
    "/search?next=%2Fhome",
    "/x#frag",
    "/~user/",
    "/a:b@c",
    // The query and fragment are the app's data: the original Flask server accepts these, and
    // only the path decides where a browser goes (regression: each was RETURN_URL_UNSAFE).
    "/?q=50%25off",
    "/?p=C%3A%5CUsers",
    "/?q=line1%0Aline2",
    "/?q=%09tab",
    "/?p=C:\\Users\\me",
    "/files?path=%5C%5Cserver%5Cshare",
    "/?next=//evil.example",
    "/?q=%2F%2Fevil.example",
    "/x#%5Cfrag%0A",
    "/x#a\\b",
    "/?q=100%",
    "/?q=%zz&r=%E0%A4%A",
    "/search?q=%25252F",
  ];
  for (const value of safe) {
    it(`accepts ${JSON.stringify(value)} unchanged`, () => {
      assert.equal(checkReturnUrl(value), value);
    });
  }

  for (const value of ["/?q=a b", "/?q=\n", "/?q=\r\nSet-Cookie:x=1", "/#\t", "/?q=é"]) {
    it(`refuses ${JSON.stringify(value)}: raw whitespace, control or non-ASCII anywhere`, () => {
      assert.throws(() => checkReturnUrl(value), {
        code: "RETURN_URL_UNSAFE",
        message:
          "return_url must be a path on this site: it contains whitespace, control or non-ASCII characters",
      });
    });
  }

  it("names the reason", () => {
    assert.throws(() => checkReturnUrl("https://evil.example"), {
      message: 'return_url must be a path on this site: it does not start with "/"',
    });
    assert.throws(() => checkReturnUrl("/%5Cevil"), {
      message: "return_url must be a path on this site: it contains a backslash",
    });
    assert.throws(() => checkReturnUrl("/\t/evil"), {
      message:
        "return_url must be a path on this site: it contains whitespace, control or non-ASCII characters",
    });
  });
});
