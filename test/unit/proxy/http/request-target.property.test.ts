import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { ProxyError } from "../../../../proxy/common/errors.js";
import { parseAbsoluteTarget, parseConnectTarget } from "../../../../proxy/http/request-target.js";
import { readChallenge } from "../../../../proxy/index.js";
import { hostileString, parsesOrRefuses, propertyRuns } from "../../../helpers/hostile-properties.js";

/*
 * Property-based tests of the proxy's request-target parsing and of readChallenge: for any input a
 * valid value or a ProxyError REQUEST_TARGET_INVALID, and a parsed target always agrees with the
 * WHATWG URL parser on where the request goes (the fast path for canonical hosts included).
 */

const hostname = fc.oneof(fc.domain(), fc.ipV4(), fc.constantFrom("localhost", "app", "127.0.0.1"));
const port = fc.integer({ min: 1, max: 65535 });
const path = fc.webPath().map((p) => (p.startsWith("/") ? p : `/${p}`));

describe("parseAbsoluteTarget (property-based)", () => {
  it("goes where the URL parser says: host, port and the path as sent", () => {
    fc.assert(
      fc.property(hostname, fc.option(port, { nil: undefined }), path, (host, p, rest) => {
        const target = `http://${host}${p === undefined ? "" : `:${p}`}${rest}`;
        const url = new URL(target);
        const parsed = parseAbsoluteTarget(target);
        assert.equal(parsed.hostname, url.hostname);
        assert.equal(parsed.port, url.port === "" ? 80 : Number(url.port));
        assert.equal(parsed.host, url.host);
        assert.equal(parsed.path, rest.split("#")[0]);
      }),
      propertyRuns(),
    );
  });

  it("refuses port 0 as the client's mistake (regression: it was taken for an app the proxy could not reach, 502)", () => {
    assert.throws(() => parseAbsoluteTarget("http://127.0.0.1:0/"), {
      name: "ProxyError",
      code: "REQUEST_TARGET_INVALID",
      message: 'The request target needs a port from 1 to 65535 (got "http://127.0.0.1:0/")',
    });
  });

  it("reads any request target as a target on an http URL's host, or REQUEST_TARGET_INVALID", () => {
    const target = fc.oneof(
      hostileString(),
      hostileString().map((s) => `http://${s}`),
      fc.tuple(hostileString(20), hostileString(20)).map(([a, b]) => `http://${a}/${b}`),
      fc
        .tuple(fc.constantFrom("HTTP://", "https://", "ftp://", "http:/", "//", "*"), hostileString(30))
        .map(([scheme, rest]) => `${scheme}${rest}`),
    );
    fc.assert(
      fc.property(target, (value) => {
        parsesOrRefuses(() => parseAbsoluteTarget(value), ProxyError, ["REQUEST_TARGET_INVALID"]);
        try {
          const parsed = parseAbsoluteTarget(value);
          assert.ok(parsed.path.startsWith("/"));
          assert.ok(parsed.port >= 1 && parsed.port <= 65535, String(parsed.port));
          assert.notEqual(parsed.hostname, "");
          // The host the proxy connects to is the one the URL parser reads from the same target.
          const url = new URL(`http://${parsed.host}/`);
          assert.equal(url.hostname.replace(/^\[|\]$/g, ""), parsed.hostname);
        } catch (error) {
          if (!(error instanceof ProxyError)) throw error;
        }
      }),
      propertyRuns(500),
    );
  });
});

describe("parseConnectTarget (property-based)", () => {
  it("reads back host:port", () => {
    fc.assert(
      fc.property(hostname, port, (host, p) => {
        const parsed = parseConnectTarget(`${host}:${p}`);
        assert.equal(parsed.port, p);
        assert.equal(parsed.hostname, new URL(`http://${host}/`).hostname);
      }),
      propertyRuns(),
    );
  });

  it("reads any authority as host:port with a port from 1 to 65535, or REQUEST_TARGET_INVALID", () => {
    const target = fc.oneof(
      hostileString(),
      fc.tuple(hostileString(20), fc.integer({ min: -10, max: 100000 })).map(([h, p]) => `${h}:${p}`),
      fc.tuple(hostileString(20), hostileString(8)).map(([h, p]) => `[${h}]:${p}`),
    );
    fc.assert(
      fc.property(target, (value) => {
        parsesOrRefuses(() => parseConnectTarget(value), ProxyError, ["REQUEST_TARGET_INVALID"]);
        try {
          const parsed = parseConnectTarget(value);
          assert.ok(parsed.port >= 1 && parsed.port <= 65535);
          assert.notEqual(parsed.hostname, "");
        } catch (error) {
          if (!(error instanceof ProxyError)) throw error;
        }
      }),
      propertyRuns(500),
    );
  });
});

describe("readChallenge (property-based)", () => {
  it("reads any 401's WWW-Authenticate fields as no challenge, an IAM one with a safe auth-path, or an invalid one", () => {
    const field = fc.oneof(
      hostileString(),
      hostileString().map((s) => `IAM realm="111122223333", ${s}`),
      hostileString().map((s) => `IAM realm="111122223333", auth-path="${s}"`),
      hostileString().map((s) => `IAM ${s}`),
    );
    fc.assert(
      fc.property(
        fc.option(fc.array(field, { maxLength: 3 }), { nil: undefined }),
        fc.constantFrom(401, 200, 302, 403),
        (fields, statusCode) => {
          const challenge = readChallenge({ statusCode, headersDistinct: { "www-authenticate": fields } });
          if (statusCode !== 401 || fields === undefined || fields.length === 0) {
            assert.equal(challenge, undefined);
            return;
          }
          if (challenge === undefined) return;
          assert.ok(challenge.authPath.startsWith("/") && !challenge.authPath.startsWith("//"));
          assert.equal(new URL(challenge.authPath, "http://app.invalid/").origin, "http://app.invalid");
          if (challenge.lookup.kind === "invalid") assert.doesNotMatch(challenge.lookup.error.message, /\n/);
        },
      ),
      propertyRuns(500),
    );
  });
});
