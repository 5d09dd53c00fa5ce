import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CookieJar } from "../../../../proxy/index.js";
import {
  defaultCookiePath,
  mergeCookieHeader,
  parseSetCookie,
  pathMatches,
} from "../../../../proxy/http/set-cookie.js";

const app = "app.internal:3000";
const second = 1000;

function jarAt(start = Date.UTC(2026, 10, 21, 6, 0, 0)): { jar: CookieJar; clock: { now: number } } {
  const clock = { now: start };
  return { jar: new CookieJar({ now: () => clock.now }), clock };
}
const names = (jar: CookieJar, origin: string, path: string): string[] =>
  jar.cookiesFor(origin, path).map((cookie) => `${cookie.name}=${cookie.value}`);

describe("CookieJar", () => {
  describe("store and cookiesFor", () => {
    it("keeps the cookies a response sets, with the line they came from", () => {
      const { jar } = jarAt();
      const stored = jar.store(app, "/auth", [
        "iam-auth-session=abc; path=/; httponly",
        "iam-auth-session.sig=def; path=/",
      ]);
      assert.deepEqual(
        stored.map((cookie) => [cookie.name, cookie.value, cookie.path, cookie.setCookie]),
        [
          ["iam-auth-session", "abc", "/", "iam-auth-session=abc; path=/; httponly"],
          ["iam-auth-session.sig", "def", "/", "iam-auth-session.sig=def; path=/"],
        ],
      );
      assert.deepEqual(names(jar, app, "/reports?q=1"), ["iam-auth-session=abc", "iam-auth-session.sig=def"]);
    });

    it("replaces a cookie of the same name and path", () => {
      const { jar } = jarAt();
      jar.store(app, "/auth", ["sid=1; Path=/"]);
      jar.store(app, "/auth", ["sid=2; Path=/"]);
      assert.deepEqual(names(jar, app, "/"), ["sid=2"]);
    });

    it("ignores lines a browser ignores: no name, no '=', too long", () => {
      const { jar } = jarAt();
      assert.deepEqual(jar.store(app, "/", ["=x", "novalue", `big=${"x".repeat(5000)}`]), []);
    });

    it("keeps Secure cookies only for https origins, and never hands them to plain http", () => {
      const { jar } = jarAt();
      // A plain-http origin cannot set a Secure cookie (RFC 6265bis).
      assert.deepEqual(jar.store(app, "/", ["sid=1; Path=/; Secure"]), []);
      assert.deepEqual(names(jar, app, "/"), []);
      const secureOrigin = `https://${app}`;
      jar.store(secureOrigin, "/auth", ["sid=2; Path=/; Secure; HttpOnly", "theme=dark; Path=/"]);
      assert.deepEqual(names(jar, secureOrigin, "/"), ["sid=2", "theme=dark"]);
      assert.equal(jar.cookiesFor(secureOrigin, "/")[0]?.secure, true);
      // Scheme, host and port key the jar: the same host over plain http is another app.
      assert.deepEqual(names(jar, app, "/"), []);
      assert.equal(jar.generation(app), 0);
    });

    it("accepts origins as host[:port] (plain http) or http(s)://host[:port]", () => {
      const { jar } = jarAt();
      jar.store("http://app.internal:3000", "/", ["sid=1; Domain=app.internal"]);
      assert.deepEqual(names(jar, "http://app.internal:3000", "/"), ["sid=1"]);
      assert.throws(() => jar.store("https://", "/", ["sid=1"]), {
        name: "TypeError",
        message: 'CookieJar: origin must be host[:port] or https://host[:port] (got "https://")',
      });
    });

    it("refuses a Domain the host does not belong to, accepts its own", () => {
      const { jar } = jarAt();
      jar.store("app.internal", "/", [
        "a=1; Domain=evil.example",
        "b=2; Domain=.internal",
        "c=3; Domain=app.internal",
      ]);
      assert.deepEqual(names(jar, "app.internal", "/"), ["b=2", "c=3"]);
    });
  });

  describe("expiry", () => {
    it("honours Max-Age", () => {
      const { jar, clock } = jarAt();
      jar.store(app, "/", ["sid=1; Path=/; Max-Age=60"]);
      clock.now += 59 * second;
      assert.deepEqual(names(jar, app, "/"), ["sid=1"]);
      clock.now += 1 * second;
      assert.deepEqual(names(jar, app, "/"), []);
    });

    it("honours Expires, and Max-Age wins over it", () => {
      const { jar, clock } = jarAt();
      const inOneMinute = new Date(clock.now + 60 * second).toUTCString();
      jar.store(app, "/", [
        `a=1; Path=/; Expires=${inOneMinute}`,
        `b=2; Path=/; Expires=${inOneMinute}; Max-Age=3600`,
      ]);
      clock.now += 61 * second;
      assert.deepEqual(names(jar, app, "/"), ["b=2"]);
    });

    it("deletes on Max-Age=0 or an Expires in the past (sign-out)", () => {
      const { jar } = jarAt();
      jar.store(app, "/", ["a=1; Path=/", "b=2; Path=/"]);
      jar.store(app, "/", ["a=; Path=/; Max-Age=0", "b=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT"]);
      assert.deepEqual(names(jar, app, "/"), []);
    });

    it("keeps a cookie without Max-Age or Expires until the proxy stops", () => {
      const { jar, clock } = jarAt();
      jar.store(app, "/", ["sid=1"]);
      clock.now += 365 * 24 * 3600 * second;
      assert.deepEqual(names(jar, app, "/"), ["sid=1"]);
    });
  });

  describe("Path", () => {
    it("sends a cookie only under its path, longest path first", () => {
      const { jar } = jarAt();
      jar.store(app, "/", ["root=1; Path=/", "docs=2; Path=/docs"]);
      assert.deepEqual(names(jar, app, "/docs/a"), ["docs=2", "root=1"]);
      assert.deepEqual(names(jar, app, "/docsx"), ["root=1"]);
    });

    it("defaults the path to the setting request's directory (RFC 6265 §5.1.4)", () => {
      const { jar } = jarAt();
      jar.store(app, "/admin/login?next=1", ["sid=1"]);
      assert.deepEqual(names(jar, app, "/admin/users"), ["sid=1"]);
      assert.deepEqual(names(jar, app, "/public"), []);
    });
  });

  describe("per-origin isolation", () => {
    it("never sends one app's cookies to another host or another port", () => {
      const { jar } = jarAt();
      jar.store(app, "/", ["sid=1; Path=/"]);
      assert.deepEqual(names(jar, "app.internal:3001", "/"), []);
      assert.deepEqual(names(jar, "other.internal:3000", "/"), []);
    });

    it("updates only names it already holds when asked to (onlyKnownNames)", () => {
      const { jar } = jarAt();
      assert.deepEqual(jar.store(app, "/", ["tracking=1; Path=/"], { onlyKnownNames: true }), []);
      jar.store(app, "/", ["sid=1; Path=/"]);
      jar.store(app, "/", ["sid=2; Path=/", "tracking=1; Path=/"], { onlyKnownNames: true });
      assert.deepEqual(names(jar, app, "/"), ["sid=2"]);
    });
  });

  describe("bounds", () => {
    it("forgets the least recently used app beyond maxOrigins", () => {
      const jar = new CookieJar({ maxOrigins: 2 });
      jar.store("a:1", "/", ["sid=a"]);
      jar.store("b:1", "/", ["sid=b"]);
      jar.cookiesFor("a:1", "/"); // a is now the most recently used
      jar.store("c:1", "/", ["sid=c"]);
      assert.deepEqual(names(jar, "a:1", "/"), ["sid=a"]);
      assert.deepEqual(names(jar, "b:1", "/"), []);
      assert.deepEqual(names(jar, "c:1", "/"), ["sid=c"]);
    });

    it("drops the oldest cookie of an app beyond maxCookiesPerOrigin", () => {
      const jar = new CookieJar({ maxCookiesPerOrigin: 2 });
      jar.store(app, "/", ["a=1", "b=2", "c=3"]);
      assert.deepEqual(names(jar, app, "/"), ["b=2", "c=3"]);
    });
  });

  describe("generation", () => {
    it("changes when an app's cookies change, and only then", () => {
      const { jar } = jarAt();
      assert.equal(jar.generation(app), 0);
      jar.store(app, "/", ["sid=1"]);
      const first = jar.generation(app);
      assert.notEqual(first, 0);
      jar.store(app, "/", ["tracking=1"], { onlyKnownNames: true });
      assert.equal(jar.generation(app), first);
      jar.store(app, "/", ["sid=2"]);
      assert.notEqual(jar.generation(app), first);
      assert.equal(jar.generation("other:1"), 0);
    });
  });
});

describe("mergeCookieHeader", () => {
  const cookies = [
    { name: "sid", value: "jar" },
    { name: "sid.sig", value: "jarsig" },
  ];
  it("fill: adds the jar's cookies a client lacks, and keeps the client's own of the same name", () => {
    assert.equal(mergeCookieHeader(undefined, cookies, "fill"), "sid=jar; sid.sig=jarsig");
    assert.equal(
      mergeCookieHeader("theme=dark; sid=mine", cookies, "fill"),
      "theme=dark; sid=mine; sid.sig=jarsig",
    );
  });
  it("replace: the new session wins over the client's cookies of those names", () => {
    assert.equal(
      mergeCookieHeader("theme=dark; sid=old", cookies, "replace"),
      "theme=dark; sid=jar; sid.sig=jarsig",
    );
  });
  it("is undefined when there is nothing to send", () => {
    assert.equal(mergeCookieHeader(undefined, [], "fill"), undefined);
    assert.equal(mergeCookieHeader("", [], "replace"), undefined);
  });
});

describe("parseSetCookie, defaultCookiePath, pathMatches", () => {
  it("read what RFC 6265 says", () => {
    assert.deepEqual(parseSetCookie("sid=abc; Path=/; Max-Age=60; HttpOnly", "/login", 0), {
      name: "sid",
      value: "abc",
      path: "/",
      expiresAt: 60_000,
      secure: false,
      domain: undefined,
    });
    assert.equal(defaultCookiePath("/"), "/");
    assert.equal(defaultCookiePath("/login"), "/");
    assert.equal(defaultCookiePath("/docs/page?x=1"), "/docs");
    assert.equal(pathMatches("/docs/", "/docs/a"), true);
    assert.equal(pathMatches("/docs", "/docs"), true);
    assert.equal(pathMatches("/docs", "/doc"), false);
  });
});
