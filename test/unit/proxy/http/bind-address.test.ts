import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isLoopbackAddress } from "../../../../proxy/http/bind-address.js";
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
    ["8080", '--bind must be HOST:PORT, :PORT or [IPV6]:PORT (got "8080")'],
    ["", '--bind must be HOST:PORT, :PORT or [IPV6]:PORT (got "")'],
    [":", '--bind port must be a number from 0 to 65535 (got ":")'],
    [":65536", '--bind port must be a number from 0 to 65535 (got ":65536")'],
    [":-1", '--bind port must be a number from 0 to 65535 (got ":-1")'],
    [":80a", '--bind port must be a number from 0 to 65535 (got ":80a")'],
    ["::1:9000", '--bind needs brackets around an IPv6 address, as in [::1]:8080 (got "::1:9000")'],
    ["[::1]9000", '--bind must be HOST:PORT, :PORT or [IPV6]:PORT (got "[::1]9000")'],
    ["[zz::1]:9000", '--bind has an invalid IPv6 address (got "[zz::1]:9000")'],
    ["bad host:80", '--bind has an invalid host: not an IPv4 address or host name (got "bad host:80")'],
    ["-x:80", '--bind has an invalid host: not an IPv4 address or host name (got "-x:80")'],
  ];
  for (const [value, message] of bad) {
    it(`rejects ${JSON.stringify(value)} with a TypeError naming --bind`, () => {
      assert.throws(() => parseBindAddress(value), { name: "TypeError", message });
    });
  }
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
