import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { UpstreamCookieJar } from "../../../../proxy/reverse/upstream-cookie-jar.js";

const names = (jar: UpstreamCookieJar, origin: string): string[] =>
  jar.cookiesFor(origin, "/").map((cookie) => `${cookie.name}=${cookie.value}`);

describe("UpstreamCookieJar", () => {
  const jar = (): UpstreamCookieJar => new UpstreamCookieJar({ tlsOrigins: new Set(["app.example.com"]) });

  it("keeps Secure cookies of an app reached over TLS (regression: login loop with Secure session cookies)", () => {
    const cookies = jar();
    const stored = cookies.store("app.example.com", "/auth", [
      "iam-auth-session=abc; path=/; secure; httponly",
      "__Host-csrf=def; Path=/; Secure",
    ]);
    assert.deepEqual(
      stored.map((cookie) => cookie.setCookie),
      ["iam-auth-session=abc; path=/; httponly", "__Host-csrf=def; Path=/"],
    );
    assert.deepEqual(names(cookies, "app.example.com"), ["iam-auth-session=abc", "__Host-csrf=def"]);
  });

  it("still drops Secure cookies of an app reached over plain http", () => {
    const cookies = jar();
    cookies.store("plain.example.com", "/auth", ["sid=abc; Secure", "theme=dark"]);
    assert.deepEqual(names(cookies, "plain.example.com"), ["theme=dark"]);
  });

  it("passes onlyKnownNames on", () => {
    const cookies = jar();
    cookies.store("app.example.com", "/auth", ["sid=1; Secure"]);
    cookies.store("app.example.com", "/", ["sid=2; Secure", "tracker=x; Secure"], { onlyKnownNames: true });
    assert.deepEqual(names(cookies, "app.example.com"), ["sid=2"]);
  });
});
