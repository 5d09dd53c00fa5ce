import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  describeHostPatternProblem,
  formatHostPattern,
  isCertifiableHost,
  matchesAnyHost,
  matchesHostPattern,
  normaliseHost,
  parseHostPattern,
} from "../../../../proxy/http/host-pattern.js";

describe("parseHostPattern", () => {
  const good: [string, ReturnType<typeof parseHostPattern>][] = [
    ["app.example.com", { kind: "exact", host: "app.example.com", port: undefined }],
    ["App.Example.COM.", { kind: "exact", host: "app.example.com", port: undefined }],
    ["app.example.com:8443", { kind: "exact", host: "app.example.com", port: 8443 }],
    ["intranet", { kind: "exact", host: "intranet", port: undefined }],
    ["*.corp.example.com", { kind: "subdomains", host: "corp.example.com", port: undefined }],
    ["*.Corp.Example.com.:443", { kind: "subdomains", host: "corp.example.com", port: 443 }],
    ["10.0.0.5", { kind: "exact", host: "10.0.0.5", port: undefined }],
    ["10.0.0.5:8443", { kind: "exact", host: "10.0.0.5", port: 8443 }],
    ["[::1]", { kind: "exact", host: "::1", port: undefined }],
    ["[0:0::1]:8443", { kind: "exact", host: "::1", port: 8443 }],
    ["[FD00::A]", { kind: "exact", host: "fd00::a", port: undefined }],
  ];
  for (const [text, expected] of good) {
    it(`reads ${JSON.stringify(text)}`, () => {
      assert.deepEqual(parseHostPattern(text), expected);
    });
  }

  const bad: [string, string][] = [
    ["", 'must name a host, as in app.example.com, *.corp.example.com or 10.0.0.5:8443 (got "")'],
    [" app.example.com", 'must not contain spaces (got " app.example.com")'],
    ["app .example.com", 'must not contain spaces (got "app .example.com")'],
    [
      "https://app.example.com",
      'takes a host, not a URL: leave out the scheme (got "https://app.example.com")',
    ],
    ["app.example.com/admin", 'takes a host, not a URL: leave out the path (got "app.example.com/admin")'],
    ["app.example.com?x", 'takes a host, not a URL: leave out the path (got "app.example.com?x")'],
    [
      "*",
      '* alone would intercept every HTTPS site; name the apps\' domain, as in *.corp.example.com (got "*")',
    ],
    [
      "*:443",
      '* alone would intercept every HTTPS site; name the apps\' domain, as in *.corp.example.com (got "*:443")',
    ],
    ["*.com", 'needs a domain of at least two labels after *., as in *.corp.example.com (got "*.com")'],
    ["a*b.com", 'may only use * as the whole first label, as in *.corp.example.com (got "a*b.com")'],
    [
      "*app.example.com",
      'may only use * as the whole first label, as in *.corp.example.com (got "*app.example.com")',
    ],
    [
      "app.*.example.com",
      'may only use * as the whole first label, as in *.corp.example.com (got "app.*.example.com")',
    ],
    [
      "*.*.example.com",
      'may only use * as the whole first label, as in *.corp.example.com (got "*.*.example.com")',
    ],
    ["*.10.0.0.1", 'has an invalid domain name after "*." (got "*.10.0.0.1")'],
    ["*.-bad.com", 'has an invalid domain name after "*." (got "*.-bad.com")'],
    ["app.example.com:0", 'port must be a number from 1 to 65535 (got "app.example.com:0")'],
    ["app.example.com:65536", 'port must be a number from 1 to 65535 (got "app.example.com:65536")'],
    ["app.example.com:", 'port must be a number from 1 to 65535 (got "app.example.com:")'],
    ["app.example.com:https", 'port must be a number from 1 to 65535 (got "app.example.com:https")'],
    ["::1", 'needs brackets around an IPv6 address, as in [::1] or [::1]:8443 (got "::1")'],
    ["[::1", 'has an unclosed [ around an IPv6 address (got "[::1")'],
    ["[::1]8443", 'must be [IPV6] or [IPV6]:PORT (got "[::1]8443")'],
    ["[zz::1]", 'has an invalid IPv6 address (got "[zz::1]")'],
    ["[fe80::1%eth0]", 'has an invalid IPv6 address (got "[fe80::1%eth0]")'],
    ["10.0.0.256", 'has an invalid IPv4 address (got "10.0.0.256")'],
    ["10.0.0", 'has an invalid IPv4 address (got "10.0.0")'],
    [
      "bad_host.example.com",
      'has an invalid host name, expected a host as in app.example.com, *.corp.example.com or 10.0.0.5:8443 (got "bad_host.example.com")',
    ],
    [
      "user@app.example.com",
      'has an invalid host name, expected a host as in app.example.com, *.corp.example.com or 10.0.0.5:8443 (got "user@app.example.com")',
    ],
    [
      "app..example.com",
      'has an invalid host name, expected a host as in app.example.com, *.corp.example.com or 10.0.0.5:8443 (got "app..example.com")',
    ],
  ];
  for (const [text, message] of bad) {
    it(`rejects ${JSON.stringify(text)} with a TypeError saying why and showing the pattern`, () => {
      assert.throws(() => parseHostPattern(text), { name: "TypeError", message });
    });
  }

  it("rejects a label longer than 63 characters", () => {
    const text = `${"a".repeat(64)}.example.com`;
    assert.throws(() => parseHostPattern(text), {
      name: "TypeError",
      message: /^has an invalid host name/,
    });
    assert.equal(parseHostPattern(`${"a".repeat(63)}.example.com`).host, `${"a".repeat(63)}.example.com`);
  });
});

describe("describeHostPatternProblem", () => {
  it("accepts what parseHostPattern returns", () => {
    for (const text of ["app.example.com", "*.corp.example.com:8443", "10.0.0.5", "[::1]:8443"]) {
      assert.equal(describeHostPatternProblem(parseHostPattern(text)), undefined, text);
    }
  });
  it("says what is expected for anything else, showing it", () => {
    const expected = 'must be a HostPattern such as parseHostPattern("*.corp.example.com") returns';
    const bad: [unknown, string][] = [
      ["app.example.com", '"app.example.com"'],
      [{ kind: "exact", host: "App.example.com" }, '{"kind":"exact","host":"App.example.com"}'],
      [{ kind: "exact", host: "bad_host.example.com" }, '{"kind":"exact","host":"bad_host.example.com"}'],
      [{ kind: "subdomains", host: "com" }, '{"kind":"subdomains","host":"com"}'],
      [
        { kind: "exact", host: "app.example.com", port: 0 },
        '{"kind":"exact","host":"app.example.com","port":0}',
      ],
      [{ kind: "prefix", host: "app.example.com" }, '{"kind":"prefix","host":"app.example.com"}'],
    ];
    for (const [value, shown] of bad)
      assert.equal(describeHostPatternProblem(value), `${expected} (got ${shown})`);
  });
});

describe("matchesAnyHost", () => {
  const table: [pattern: string, host: string, port: number, matches: boolean][] = [
    ["app.example.com", "app.example.com", 443, true],
    ["app.example.com", "APP.Example.com", 443, true],
    ["app.example.com", "app.example.com.", 443, true],
    ["app.example.com", "app.example.com", 8443, true],
    ["app.example.com", "other.example.com", 443, false],
    ["app.example.com", "x.app.example.com", 443, false],
    ["app.example.com", "app.example.com.evil.net", 443, false],
    ["app.example.com:8443", "app.example.com", 8443, true],
    ["app.example.com:8443", "app.example.com", 443, false],
    ["*.corp.example.com", "app.corp.example.com", 443, true],
    ["*.corp.example.com", "a.b.corp.example.com", 443, true],
    ["*.corp.example.com", "App.Corp.Example.com.", 443, true],
    ["*.corp.example.com", "corp.example.com", 443, false],
    ["*.corp.example.com", "evilcorp.example.com", 443, false],
    ["*.corp.example.com", "corp.example.com.evil.net", 443, false],
    ["*.corp.example.com", ".corp.example.com", 443, false],
    ["*.corp.example.com:443", "app.corp.example.com", 443, true],
    ["*.corp.example.com:443", "app.corp.example.com", 8443, false],
    ["10.0.0.5", "10.0.0.5", 443, true],
    ["10.0.0.5", "10.0.0.50", 443, false],
    ["10.0.0.5:8443", "10.0.0.5", 443, false],
    ["[::1]", "::1", 443, true],
    ["[::1]", "[::1]", 443, true],
    ["[::1]", "[0:0:0:0:0:0:0:1]", 443, true],
    ["[::1]:8443", "::1", 443, false],
    ["[fd00::a]", "FD00::A", 443, true],
  ];
  for (const [pattern, host, port, expected] of table) {
    it(`${pattern} ${expected ? "matches" : "does not match"} ${host} port ${port}`, () => {
      assert.equal(matchesAnyHost([parseHostPattern(pattern)], host, port), expected);
      assert.equal(matchesHostPattern(parseHostPattern(pattern), host, port), expected);
    });
  }

  it("matches when any of several patterns does, and never with no patterns", () => {
    const patterns = ["a.example.com", "*.corp.example.com:8443"].map(parseHostPattern);
    assert.equal(matchesAnyHost(patterns, "a.example.com", 443), true);
    assert.equal(matchesAnyHost(patterns, "x.corp.example.com", 8443), true);
    assert.equal(matchesAnyHost(patterns, "x.corp.example.com", 443), false);
    assert.equal(matchesAnyHost([], "a.example.com", 443), false);
  });
});

describe("formatHostPattern", () => {
  it("writes each pattern back in the form parseHostPattern reads", () => {
    for (const text of [
      "app.example.com",
      "app.example.com:8443",
      "*.corp.example.com",
      "[::1]:8443",
      "10.0.0.5",
    ]) {
      const pattern = parseHostPattern(text);
      assert.equal(formatHostPattern(pattern), text);
      assert.deepEqual(parseHostPattern(formatHostPattern(pattern)), pattern);
    }
  });
});

describe("normaliseHost and isCertifiableHost", () => {
  it("lower-cases, drops a trailing dot and brackets, and canonicalises IPv6", () => {
    assert.equal(normaliseHost("App.Example.COM."), "app.example.com");
    assert.equal(normaliseHost("[0:0::1]"), "::1");
    assert.equal(normaliseHost("::FFFF:127.0.0.1"), "::ffff:7f00:1");
  });
  it("accepts DNS names and IP literals, refuses anything else", () => {
    for (const host of ["app.example.com", "intranet", "127.0.0.1", "::1"])
      assert.ok(isCertifiableHost(host), host);
    for (const host of ["", "bad_host", "a b", "*.example.com", "fe80::1%eth0", "1.2.3", "x".repeat(64)]) {
      assert.ok(!isCertifiableHost(host), host);
    }
  });
});
