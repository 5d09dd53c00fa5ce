import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkProxyServerOptions } from "../../../../proxy/forward/proxy-options.js";
import { parseBindAddress } from "../../../../proxy/http/bind-address.js";
import { parseHostPattern } from "../../../../proxy/http/host-pattern.js";
import { parseSocksEndpoint } from "../../../../proxy/upstream/socks-connector.js";
import { createTestCa } from "../../../helpers/tls-fixtures.js";
import { createFakeAws, createMemoryLogger } from "../fakes.js";

const base = { login: createFakeAws().deps, logger: createMemoryLogger() };

describe("checkProxyServerOptions", () => {
  it("fills in the defaults: loopback :8080, no apps, a 30 s upstream timeout", () => {
    const checked = checkProxyServerOptions(base);
    assert.equal(Object.isFrozen(checked), true);
    assert.deepEqual(
      [checked.bind, checked.hosts, checked.upstreamCa, checked.socks, checked.upstreamTimeoutMs],
      [{ kind: "loopback", port: 8080 }, [], [], undefined, 30_000],
    );
  });

  it("takes the values the parse functions return, as they are, and copies them", () => {
    const bind = parseBindAddress("[::1]:0");
    const host = parseHostPattern("*.corp.example.com");
    const socks = parseSocksEndpoint("127.0.0.1:1080");
    const checked = checkProxyServerOptions({
      ...base,
      bind,
      hosts: [host],
      ca: {} as never,
      socks,
      upstreamTimeoutMs: 600_000,
    });
    assert.deepEqual(
      [checked.bind, checked.hosts, checked.socks, checked.upstreamTimeoutMs],
      [bind, [host], socks, 600_000],
    );
    assert.notEqual(checked.bind, bind);
    assert.notEqual(checked.hosts[0], host);
  });

  it("splits upstreamCa, PEM texts or Buffers, into one certificate each", async () => {
    const [one, two] = await Promise.all([createTestCa("forward CA 1"), createTestCa("forward CA 2")]);
    const checked = checkProxyServerOptions({
      ...base,
      upstreamCa: [Buffer.from(`${one.certPem}${two.certPem}`)],
    });
    assert.deepEqual(checked.upstreamCa, [one.certPem.trim(), two.certPem.trim()]);
  });

  it("refuses strings where parsed values belong, naming the option (never a command-line flag)", () => {
    assert.throws(
      () =>
        checkProxyServerOptions({
          ...base,
          bind: ":8080" as never,
          hosts: ["app.example.com" as never],
          socks: "127.0.0.1:1080" as never,
          upstreamCa: ["/etc/corp/ca.pem"],
          upstreamTimeoutMs: 0,
        }),
      {
        name: "TypeError",
        message:
          "Invalid proxy server options: " +
          'bind: must be a BindAddress such as parseBindAddress(":8080") returns (got ":8080"); ' +
          'hosts[0]: must be a HostPattern such as parseHostPattern("*.corp.example.com") returns (got "app.example.com"); ' +
          "ca: needed with hosts, to issue their certificates (see loadOrCreateCa); " +
          "upstreamCa[0]: holds no PEM certificate (-----BEGIN CERTIFICATE-----); " +
          'socks: must be a SocksEndpoint such as parseSocksEndpoint("127.0.0.1:1080") returns (got "127.0.0.1:1080"); ' +
          "upstreamTimeoutMs: must be a whole number of milliseconds from 1 to 600000 (got 0)",
      },
    );
  });

  it("refuses a typed value that no parse function would return", () => {
    assert.throws(
      () =>
        checkProxyServerOptions({
          ...base,
          bind: { kind: "address", host: "::1", port: 70_000 },
          hosts: [{ kind: "exact", host: "App.Example.com", port: undefined }],
          ca: {} as never,
        }),
      {
        name: "TypeError",
        message:
          "Invalid proxy server options: " +
          'bind: must be a BindAddress such as parseBindAddress(":8080") returns (got {"kind":"address","host":"::1","port":70000}); ' +
          'hosts[0]: must be a HostPattern such as parseHostPattern("*.corp.example.com") returns (got {"kind":"exact","host":"App.Example.com"})',
      },
    );
  });
});
