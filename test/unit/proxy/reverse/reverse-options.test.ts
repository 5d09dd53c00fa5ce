import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkReverseOptions } from "../../../../proxy/reverse/reverse-options.js";
import { createMemoryLogger } from "../fakes.js";

const logger = createMemoryLogger();
const upstream = { origin: "https://app.example.com", bind: ":8080" };
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
      },
      {
        upstreams: [["https://app.example.com/", { kind: "loopback", port: 8080 }]],
        method: "auto",
        loginFlow: "proxy",
        maxReplayBodyBytes: 1024 * 1024,
        authTimeoutMs: 30_000,
        extraCaPems: [],
      },
    );
  });

  it("accepts a URL object and drops its trailing slash", () => {
    const checked = checkReverseOptions({
      upstreams: [{ origin: new URL("https://App.example.com:443/"), bind: ":0" }],
      logger,
    });
    assert.equal(checked.upstreams[0]?.origin.origin, "https://app.example.com");
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
              { origin: "https://app.example.com/app", bind: ":8080" },
              { origin: "ftp://files.example.com", bind: "8081" },
              { origin: "https://b.example.com", bind: ":8082" },
              { origin: "https://B.example.com", bind: ":8082" },
            ],
            logger,
          }),
        invalid(
          'upstreams[0].origin: must be an http(s) URL with no path: it has a path (got "https://app.example.com/app"); ' +
            'upstreams[1].origin: must be an http(s) URL with no path: it is not an http(s) URL (got "ftp://files.example.com"); ' +
            'upstreams[1].bind: --bind must be HOST:PORT, :PORT or [IPV6]:PORT (got "8081"); ' +
            "upstreams[3].origin: b.example.com is already an upstream; " +
            "upstreams[3].bind: port 8082 is already used by another upstream",
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
          extraCaPems: ["not a certificate", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"],
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
              "extraCaPems\\[0\\]: holds no PEM certificate \\(-----BEGIN CERTIFICATE-----\\); " +
              "extraCaPems\\[1\\]: a certificate cannot be read \\(.+\\)$",
          ),
        );
        return true;
      },
    );
  });
});
