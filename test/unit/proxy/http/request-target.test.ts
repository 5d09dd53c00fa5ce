import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  originOf,
  parseAbsoluteTarget,
  parseConnectTarget,
  tunnelTarget,
} from "../../../../proxy/http/request-target.js";

describe("parseAbsoluteTarget", () => {
  it("keeps the path and query exactly, and normalises the host", () => {
    assert.deepEqual(parseAbsoluteTarget("http://App.Internal:3000/a//b?c=%2F"), {
      scheme: "http",
      hostname: "app.internal",
      port: 3000,
      host: "app.internal:3000",
      path: "/a//b?c=%2F",
    });
  });

  it("defaults the port to 80 and the path to /", () => {
    assert.deepEqual(parseAbsoluteTarget("http://app"), {
      scheme: "http",
      hostname: "app",
      port: 80,
      host: "app",
      path: "/",
    });
    assert.equal(parseAbsoluteTarget("http://app?x=1").path, "/?x=1");
  });

  it("normalises the host as the URL parser does, whether or not it is already canonical", () => {
    const parsed = (target: string): [string, number, string] => {
      const { hostname, port, host } = parseAbsoluteTarget(target);
      return [hostname, port, host];
    };
    assert.deepEqual(parsed("http://127.0.0.1:8080/"), ["127.0.0.1", 8080, "127.0.0.1:8080"]);
    // IPv4 numbers in other forms are IPv4 addresses (WHATWG URL host parsing), not names.
    assert.deepEqual(parsed("http://127.1/"), ["127.0.0.1", 80, "127.0.0.1"]);
    assert.deepEqual(parsed("http://0x7f.1:3000/"), ["127.0.0.1", 3000, "127.0.0.1:3000"]);
    assert.deepEqual(parsed("http://010.0.0.1/"), ["8.0.0.1", 80, "8.0.0.1"]);
    // The default port is left out of host, however it is written.
    assert.deepEqual(parsed("http://app:80/"), ["app", 80, "app"]);
    assert.deepEqual(parsed("http://app:080/"), ["app", 80, "app"]);
    assert.deepEqual(parsed("http://my-app.internal:65535"), [
      "my-app.internal",
      65535,
      "my-app.internal:65535",
    ]);
    // Punycode labels are left to the URL parser, whose verdict differs by Node.js version: 20's
    // rejects the malformed `xn--a`, 24's (a newer Ada) passes ASCII `xn--` labels through unchecked.
    const urlParser = (() => {
      try {
        return new URL("http://xn--a/").hostname;
      } catch {
        return undefined;
      }
    })();
    if (urlParser === undefined) {
      assert.throws(() => parseAbsoluteTarget("http://xn--a/"), { code: "REQUEST_TARGET_INVALID" });
    } else {
      assert.deepEqual(parsed("http://xn--a/"), [urlParser, 80, urlParser]);
    }
    assert.throws(() => parseAbsoluteTarget("http://256.1.1.1/"), { code: "REQUEST_TARGET_INVALID" });
  });

  it("drops the fragment, which is never sent", () => {
    assert.equal(parseAbsoluteTarget("http://app/a?b#c").path, "/a?b");
    assert.equal(parseAbsoluteTarget("http://app#c").path, "/");
  });

  it("connects to IPv6 literals without brackets but keeps them in host", () => {
    const target = parseAbsoluteTarget("http://[::1]:3000/");
    assert.equal(target.hostname, "::1");
    assert.equal(target.host, "[::1]:3000");
  });

  const bad: [string, string][] = [
    ["*", 'The request target must be an absolute http:// URL (got "*")'],
    ["app:80", 'The request target must be an absolute http:// URL (got "app:80")'],
    ["ftp://app/", 'Only http:// URLs can be forwarded (got "ftp://app/")'],
    [
      "http://user:pw@app/",
      'The request target must not contain user credentials (got "http://user:pw@app/")',
    ],
    ["http://app:99999/", 'The request target has an invalid host or port (got "http://app:99999/")'],
    ["http:///x", 'The request target has an invalid host or port (got "http:///x")'],
  ];
  for (const [value, message] of bad) {
    it(`rejects ${JSON.stringify(value)} with 400 REQUEST_TARGET_INVALID`, () => {
      assert.throws(() => parseAbsoluteTarget(value), {
        name: "ProxyError",
        code: "REQUEST_TARGET_INVALID",
        status: 400,
        message,
      });
    });
  }
});

describe("parseConnectTarget", () => {
  it("reads host:port and [v6]:port, keeping the port even when it is a default one", () => {
    assert.deepEqual(parseConnectTarget("app.internal:443"), {
      hostname: "app.internal",
      port: 443,
      host: "app.internal:443",
    });
    assert.deepEqual(parseConnectTarget("app:80"), { hostname: "app", port: 80, host: "app:80" });
    assert.deepEqual(parseConnectTarget("[::1]:8443"), { hostname: "::1", port: 8443, host: "[::1]:8443" });
  });

  for (const value of ["app", "app:0", "app:70000", "http://app:443", "[::1]", ":443"]) {
    it(`rejects ${JSON.stringify(value)}`, () => {
      assert.throws(() => parseConnectTarget(value), {
        code: "REQUEST_TARGET_INVALID",
        message: `CONNECT needs a host:port target with a port from 1 to 65535 (got ${JSON.stringify(value)})`,
      });
    });
  }
});

describe("tunnelTarget", () => {
  it("takes host and port from the CONNECT target and drops the scheme's default port", () => {
    const tunnel = parseConnectTarget("App.Example.com:443");
    assert.deepEqual(tunnelTarget("https", tunnel, "/a?b"), {
      scheme: "https",
      hostname: "app.example.com",
      port: 443,
      host: "app.example.com",
      path: "/a?b",
    });
    assert.equal(tunnelTarget("http", tunnel, "/").host, "app.example.com:443");
    assert.equal(tunnelTarget("http", parseConnectTarget("app:80"), "/").host, "app");
  });

  it("keeps other ports, and IPv6 brackets", () => {
    assert.equal(tunnelTarget("https", parseConnectTarget("app:8443"), "/").host, "app:8443");
    assert.equal(tunnelTarget("https", parseConnectTarget("[::1]:443"), "/").host, "[::1]");
    assert.equal(tunnelTarget("https", parseConnectTarget("[::1]:8443"), "/").host, "[::1]:8443");
  });
});

describe("originOf", () => {
  it("keys plain-http apps by host[:port] and https apps by https://host[:port]", () => {
    assert.equal(originOf({ scheme: "http", host: "app:3000" }), "app:3000");
    assert.equal(originOf({ host: "app:3000" }), "app:3000");
    assert.equal(originOf({ scheme: "https", host: "app:3000" }), "https://app:3000");
  });
});
