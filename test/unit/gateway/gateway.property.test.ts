import assert from "node:assert/strict";
import type { IncomingHttpHeaders } from "node:http";
import { describe, it } from "node:test";
import fc from "fast-check";
import { createIdentityHeaderStripper, DEFAULT_IDENTITY_HEADERS } from "../../../gateway/identity-headers.js";
import {
  isCanonicalPath,
  parseSkipAuthRule,
  skipsAuth,
  type SkipAuthRule,
} from "../../../gateway/skip-auth.js";
import { hostileString, propertyRuns } from "../../helpers/hostile-properties.js";

/*
 * Property-based tests of the gateway's two request filters: skip-auth rules only ever match the
 * one canonical spelling of a path, and the identity-header stripper removes every spelling of a
 * reserved name (any case, "_" for "-") and nothing else.
 */

const segment = fc.stringMatching(/^[A-Za-z0-9_~-][A-Za-z0-9._~-]{0,8}$/);
const canonicalPath = fc.array(segment, { maxLength: 4 }).map((s) => `/${s.join("/")}`);
const pathPiece = fc.constantFrom(
  "/",
  "//",
  ".",
  "..",
  "%2e",
  "%2E",
  "%2F",
  "%2f",
  "\\",
  "%5C",
  "?",
  "#",
  " ",
  "\t",
  "a",
  "static",
  "admin",
  "%25",
  ";",
);
const hostilePath = fc.oneof(
  hostileString(),
  fc.array(pathPiece, { maxLength: 8 }).map((p) => p.join("")),
  fc.array(pathPiece, { maxLength: 8 }).map((p) => `/static/${p.join("")}`),
);

function rules(...texts: string[]): SkipAuthRule[] {
  const problems: string[] = [];
  const parsed = texts.map((text) => parseSkipAuthRule(text, "skipAuth", problems));
  assert.deepEqual(problems, []);
  return parsed.filter((rule) => rule !== undefined);
}

describe("skip-auth (property-based)", () => {
  const someRules = rules("/static/*", "GET /healthz", "/*", "POST,PUT /hooks/*");

  it("never lets a path that is not canonical skip authentication, even past a /* rule", () => {
    fc.assert(
      fc.property(hostilePath, fc.constantFrom("GET", "POST", "PUT", "HEAD"), (path, method) => {
        if (!isCanonicalPath(path)) assert.equal(skipsAuth(someRules, method, path), false);
      }),
      propertyRuns(500),
    );
  });

  it("never matches a path whose percent-decoding or dot-segment resolution differs from itself", () => {
    fc.assert(
      fc.property(hostilePath, (path) => {
        if (!skipsAuth(someRules, "GET", path)) return;
        let decoded: string;
        try {
          decoded = decodeURIComponent(path);
        } catch {
          assert.fail(`skipped auth for a path that does not decode: ${path}`);
        }
        assert.equal(decoded, path);
        // The URL parser may percent-encode characters such as `"`, but resolves no segment away.
        assert.equal(decodeURIComponent(new URL(path, "http://app.invalid/").pathname), path);
      }),
      propertyRuns(500),
    );
  });

  it("lets canonical paths under a prefix through, and only them", () => {
    fc.assert(
      fc.property(canonicalPath, (path) => {
        const [staticRule] = rules("/static/*");
        assert.ok(staticRule !== undefined);
        assert.equal(isCanonicalPath(path), true);
        assert.equal(skipsAuth([staticRule], "GET", `/static${path}`), true);
        assert.equal(skipsAuth([staticRule], "GET", path), path.startsWith("/static/"));
      }),
      propertyRuns(),
    );
  });

  it("accepts as a rule only a canonical path", () => {
    fc.assert(
      fc.property(hostilePath, (path) => {
        const problems: string[] = [];
        const rule = parseSkipAuthRule(`GET ${path}`, "skipAuth", problems);
        if (rule === undefined) assert.equal(problems.length, 1);
        else assert.equal(isCanonicalPath(rule.path), true);
      }),
      propertyRuns(),
    );
  });
});

describe("createIdentityHeaderStripper (property-based)", () => {
  const { user, arn, account, userId, assertion } = DEFAULT_IDENTITY_HEADERS;
  const reservedNames: readonly string[] = [
    user,
    arn,
    account,
    userId,
    assertion,
    "X-Iam-Auth-Future",
    "x-iam-auth-",
  ];
  /** A reserved name in any case, with any "-" written "_": one coin per character for each. */
  const coins = fc.array(fc.boolean(), { minLength: 32, maxLength: 32 });
  const variant = fc.tuple(fc.constantFrom(...reservedNames), coins, coins).map(([name, upper, underscore]) =>
    [...name]
      .map((c, i) => (c === "-" && underscore[i] === true ? "_" : c))
      .map((c, i) => (upper[i] === true ? c.toUpperCase() : c.toLowerCase()))
      .join(""),
  );
  const otherName = fc
    .stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,20}$/)
    .filter((name) => !/^x[-_]iam[-_]auth[-_]/i.test(name) && !/^x[-_]forwarded[-_]user$/i.test(name));

  it("removes every case and underscore variant of the reserved names and keeps every other header", () => {
    const strip = createIdentityHeaderStripper(DEFAULT_IDENTITY_HEADERS);
    fc.assert(
      fc.property(
        fc.uniqueArray(variant, { maxLength: 6 }),
        fc.uniqueArray(otherName, { maxLength: 6 }),
        (bad, good) => {
          const headers: IncomingHttpHeaders = {};
          for (const name of bad) headers[name] = "forged";
          for (const name of good) headers[name] = "kept";
          const removed = strip(headers);
          assert.deepEqual(new Set(removed), new Set(bad.filter((name) => !good.includes(name))));
          assert.deepEqual(Object.keys(headers).sort(), [...new Set(good)].sort());
        },
      ),
      propertyRuns(500),
    );
  });
});
