import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  describeBindAddressProblem,
  formatBindAddress,
  isLoopbackAddress,
} from "../../../../proxy/http/bind-address.js";
import { parseBindAddress } from "../../../../proxy/index.js";

describe("parseBindAddress", () => {
  it("reads a bare :PORT as loopback only (127.0.0.1 and ::1), never all interfaces", () => {
    assert.deepEqual(parseBindAddress(":8080"), { kind: "loopback", port: 8080 });
    assert.deepEqual(parseBindAddress(":0"), { kind: "loopback", port: 0 });
  });

  it("reads HOST:PORT", () => {
    assert.deepEqual(parseBindAddress("127.0.0.1:8080"), { kind: "address", host: "127.0.0.1", port: 8080 });
    assert.deepEqual(parseBindAddress("localhost:8080"), { kind: "address", host: "localhost", port: 8080 });
  });

  it("reads [IPV6]:PORT without the brackets", () => {
    assert.deepEqual(parseBindAddress("[::1]:9000"), { kind: "address", host: "::1", port: 9000 });
  });

  it("reads 0.0.0.0:PORT and [::]:PORT as the address given (all interfaces)", () => {
    assert.deepEqual(parseBindAddress("0.0.0.0:80"), { kind: "address", host: "0.0.0.0", port: 80 });
    assert.deepEqual(parseBindAddress("[::]:80"), { kind: "address", host: "::", port: 80 });
  });

  const bad: [string, string][] = [
    ["8080", 'must be HOST:PORT, :PORT or [IPV6]:PORT (got "8080")'],
    ["", 'must be HOST:PORT, :PORT or [IPV6]:PORT (got "")'],
    [":", 'port must be a number from 0 to 65535 (got ":")'],
    [":65536", 'port must be a number from 0 to 65535 (got ":65536")'],
    [":-1", 'port must be a number from 0 to 65535 (got ":-1")'],
    [":80a", 'port must be a number from 0 to 65535 (got ":80a")'],
    ["::1:9000", 'needs brackets around an IPv6 address, as in [::1]:8080 (got "::1:9000")'],
    ["[::1]9000", 'must be HOST:PORT, :PORT or [IPV6]:PORT (got "[::1]9000")'],
    ["[zz::1]:9000", 'has an invalid IPv6 address (got "[zz::1]:9000")'],
    ["bad host:80", 'has an invalid host: not an IPv4 address or host name (got "bad host:80")'],
    ["-x:80", 'has an invalid host: not an IPv4 address or host name (got "-x:80")'],
  ];
  for (const [value, message] of bad) {
    it(`rejects ${JSON.stringify(value)} with a TypeError saying why and showing the value`, () => {
      assert.throws(() => parseBindAddress(value), { name: "TypeError", message });
    });
  }
});

describe("formatBindAddress", () => {
  it("writes an address the way parseBindAddress reads it", () => {
    for (const text of [":8080", "127.0.0.1:0", "[::1]:9000", "localhost:80", "[::]:80"]) {
      assert.equal(formatBindAddress(parseBindAddress(text)), text);
    }
  });
});

describe("describeBindAddressProblem", () => {
  it("accepts what parseBindAddress returns", () => {
    for (const text of [":0", "0.0.0.0:80", "[::1]:9000", "app.local:65535"]) {
      assert.equal(describeBindAddressProblem(parseBindAddress(text)), undefined, text);
    }
  });
  it("says what is expected for anything else, showing it", () => {
    const expected = 'must be a BindAddress such as parseBindAddress(":8080") returns';
    const bad: [unknown, string][] = [
      [":8080", '":8080"'],
      [undefined, "undefined"],
      [{ kind: "loopback", port: 65_536 }, '{"kind":"loopback","port":65536}'],
      [{ kind: "loopback", port: 1.5 }, '{"kind":"loopback","port":1.5}'],
      [{ kind: "address", host: "bad host", port: 80 }, '{"kind":"address","host":"bad host","port":80}'],
      [{ kind: "any", port: 80 }, '{"kind":"any","port":80}'],
    ];
    for (const [value, shown] of bad)
      assert.equal(describeBindAddressProblem(value), `${expected} (got ${shown})`);
  });
});

describe("isLoopbackAddress", () => {
  it("accepts 127.0.0.0/8, ::1 and IPv4-mapped loopback", () => {
    for (const address of ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"])
      assert.ok(isLoopbackAddress(address), address);
  });
  it("rejects every other address, including all-interfaces", () => {
    for (const address of ["0.0.0.0", "::", "192.168.1.10", "::ffff:10.0.0.1", "fe80::1"]) {
      assert.ok(!isLoopbackAddress(address), address);
    }
  });
});
