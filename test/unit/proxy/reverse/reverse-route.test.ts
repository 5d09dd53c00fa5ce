import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { rewriteForBrowser } from "../../../../proxy/reverse/reverse-route.js";

const route = { origin: "https://app.example.com", hostname: "app.example.com" };
const mappings = [{ upstream: "https://app.example.com", local: "http://localhost:8080" }];
const rewriteResponseHeaders = rewriteForBrowser(route, mappings);

describe("rewriteForBrowser", () => {
  it("rewrites Location and every Set-Cookie, keeps other fields, names and order", () => {
    assert.deepEqual(
      rewriteResponseHeaders(
        [
          "Content-Type",
          "text/html",
          "location",
          "https://app.example.com/next",
          "Set-Cookie",
          "a=1; Domain=app.example.com; Secure",
          "set-cookie",
          "b=2; Domain=elsewhere.example.org",
          "Set-Cookie",
          "c=3; Path=/x",
        ],
        [],
      ),
      [
        "Content-Type",
        "text/html",
        "location",
        "http://localhost:8080/next",
        "Set-Cookie",
        "a=1",
        "Set-Cookie",
        "c=3; Path=/x",
      ],
    );
  });

  it("puts the sign-in's cookies first, rewritten too", () => {
    assert.deepEqual(
      rewriteResponseHeaders(["Set-Cookie", "sid=new; Secure"], ["sid=signed-in; Path=/; Secure; HttpOnly"]),
      ["Set-Cookie", "sid=signed-in; Path=/; HttpOnly", "Set-Cookie", "sid=new"],
    );
  });

  it("leaves a Location to another site alone", () => {
    assert.deepEqual(rewriteResponseHeaders(["Location", "https://sso.example.com/"], []), [
      "Location",
      "https://sso.example.com/",
    ]);
  });
});
