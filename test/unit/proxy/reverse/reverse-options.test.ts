import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseBindAddress } from "../../../../proxy/http/bind-address.js";
import { checkReverseOptions } from "../../../../proxy/reverse/reverse-options.js";
import { createTestCa } from "../../../helpers/tls-fixtures.js";
import { createMemoryLogger } from "../fakes.js";

const logger = createMemoryLogger();
const upstream = { origin: new URL("https://app.example.com"), bind: parseBindAddress(":8080") };
const invalid = (problems: string): { name: string; message: string } => ({
  name: "TypeError",
  message: `Invalid reverse proxy options: ${problems}`,
});

describe("checkReverseOptions", () => {
  it("fills in the defaults and freezes the result", () => {
    const checked = checkReverseOptions({ upstreams: [upstream], logger });
    assert.equal(Object.isFrozen(checked), true);
    assert.deepEqual(
      {
        upstreams: checked.upstreams.map((each) => [each.origin.href, each.bind]),
        method: checked.method,
        loginFlow: checked.loginFlow,
        maxReplayBodyBytes: checked.maxReplayBodyBytes,
        authTimeoutMs: checked.authTimeoutMs,
        extraCaPems: checked.extraCaPems,
        upstreamTimeoutMs: checked.upstreamTimeoutMs,
      },
      {
        upstreams: [["https://app.example.com/", { kind: "loopback", port: 8080 }]],
        method: "auto",
        loginFlow: "proxy",
        maxReplayBodyBytes: 1024 * 1024,
        authTimeoutMs: 30_000,
        extraCaPems: [],
        upstreamTimeoutMs: 30_000,
      },
    );
  });

  it("keeps the origin alone (no trailing slash, no default port) and copies what it keeps", () => {
    const bind = parseBindAddress(":0");
    const checked = checkReverseOptions({
      upstreams: [{ origin: new URL("https://App.example.com:443/"), bind }],
      logger,
    });
    assert.equal(checked.upstreams[0]?.origin.origin, "https://app.example.com");
    assert.deepEqual(checked.upstreams[0]?.bind, bind);
    assert.notEqual(checked.upstreams[0]?.bind, bind);
  });

  it("splits upstreamCa, PEM texts or Buffers, into one certificate each", async () => {
    const [one, two] = await Promise.all([createTestCa("reverse CA 1"), createTestCa("reverse CA 2")]);
    const checked = checkReverseOptions({
      upstreams: [upstream],
      upstreamCa: [`${one.certPem}${two.certPem}`, Buffer.from(one.certPem)],
      logger,
    });
    assert.deepEqual(checked.extraCaPems, [one.certPem.trim(), two.certPem.trim(), one.certPem.trim()]);
  });

  describe("when upstreams are missing or wrong", () => {
    it("refuses none", () => {
      assert.throws(
        () => checkReverseOptions({ upstreams: [], logger }),
        invalid("upstreams: must list at least one { origin, bind }"),
      );
    });

    it("names each bad upstream, the app or port given twice", () => {
      assert.throws(
        () =>
          checkReverseOptions({
            upstreams: [
              { origin: new URL("https://app.example.com/app"), bind: parseBindAddress(":8080") },
              { origin: "https://files.example.com" as never, bind: "8081" as never },
              { origin: new URL("https://b.example.com"), bind: parseBindAddress(":8082") },
              { origin: new URL("https://B.example.com"), bind: parseBindAddress(":8082") },
              { origin: new URL("ftp://files.example.com"), bind: parseBindAddress(":8083") },
            ],
            logger,
          }),
        invalid(
          'upstreams[0].origin: must be an http(s) URL with no path: it has a path (got "https://app.example.com/app"); ' +
            'upstreams[1].origin: must be an http(s) URL with no path: it is a string, not a URL object (got "https://files.example.com"); ' +
            'upstreams[1].bind: must be a BindAddress such as parseBindAddress(":8080") returns (got "8081"); ' +
            "upstreams[3].origin: b.example.com is already an upstream; " +
            "upstreams[3].bind: port 8082 is already used by another upstream; " +
            'upstreams[4].origin: must be an http(s) URL with no path: it is not an http(s) URL (got "ftp://files.example.com/")',
        ),
      );
    });
  });

  it("reports every other bad option at once", () => {
    assert.throws(
      () =>
        checkReverseOptions({
          upstreams: [upstream],
          method: "password" as never,
          loginFlow: "popup" as never,
          maxReplayBodyBytes: -1,
          authTimeoutMs: 0,
          upstreamCa: ["not a certificate", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"],
          upstreamTimeoutMs: 600_001,
          logger,
        }),
      (error: unknown) => {
        assert.ok(error instanceof TypeError);
        assert.match(
          error.message,
          new RegExp(
            "^Invalid reverse proxy options: " +
              'method: must be "auto", "sts" or "kms" \\(got "password"\\); ' +
              'loginFlow: must be "proxy" or "redirect" \\(got "popup"\\); ' +
              "maxReplayBodyBytes: must be a whole number of bytes, 0 or more \\(got -1\\); " +
              "authTimeoutMs: must be a positive whole number of milliseconds \\(got 0\\); " +
              "upstreamCa\\[0\\]: holds no PEM certificate \\(-----BEGIN CERTIFICATE-----\\); " +
              "upstreamCa\\[1\\]: holds a certificate that cannot be read \\(number 1\\); " +
              "upstreamTimeoutMs: must be a whole number of milliseconds from 1 to 600000 \\(got 600001\\)$",
          ),
        );
        return true;
      },
    );
  });
});
