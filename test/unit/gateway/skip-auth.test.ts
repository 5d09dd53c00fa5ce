import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isCanonicalPath, parseSkipAuthRule, skipsAuth } from "../../../gateway/skip-auth.js";

function parse(...texts: string[]) {
  const problems: string[] = [];
  const rules = texts.map((text) => parseSkipAuthRule(text, "skipAuth", problems));
  return { rules: rules.filter((rule) => rule !== undefined), problems };
}

describe("parseSkipAuthRule", () => {
  it("reads an exact path, a prefix, and a method list", () => {
    const { rules, problems } = parse("/healthz", "GET,HEAD /static/*");
    assert.deepEqual(problems, []);
    assert.deepEqual(
      rules.map(({ methods, path, prefix }) => ({ methods, path, prefix })),
      [
        { methods: undefined, path: "/healthz", prefix: false },
        { methods: ["GET", "HEAD"], path: "/static/", prefix: true },
      ],
    );
  });

  it("refuses rules with a query, dot segments, escapes, a wildcard elsewhere or lower-case methods, naming each", () => {
    const bad = ["/x?y=1", "/a/../b", "/a/%2e/b", "/a*", "get /x", "GET /x extra", "x", ""];
    const { rules, problems } = parse(...bad);
    assert.equal(rules.length, 0);
    assert.equal(problems.length, bad.length);
    assert.match(
      problems[0] ?? "",
      /^skipAuth: the path must start with \/ .* \(got "\/x\?y=1"\); write e\.g\. "GET \/healthz"/,
    );
    assert.match(problems[4] ?? "", /methods are upper-case words/);
  });
});

describe("skipsAuth", () => {
  const { rules } = parse("GET /public/*", "/healthz");

  it("lets matching method and path through", () => {
    assert.equal(skipsAuth(rules, "GET", "/public/app.css"), true);
    assert.equal(skipsAuth(rules, "POST", "/healthz"), true);
  });

  it("requires auth for another method, another path, or a path that is not canonical", () => {
    for (const [method, path] of [
      ["POST", "/public/app.css"],
      ["GET", "/public"],
      ["GET", "/healthz/"],
      ["GET", "/public/../admin"],
      ["GET", "/public/%2e%2e/admin"],
      ["GET", "/public/..%2fadmin"],
      ["GET", "//public/x"],
      ["GET", "/public\\..\\admin"],
      ["GET", "/public/./x"],
    ] as const) {
      assert.equal(skipsAuth(rules, method, path), false, `${method} ${path}`);
    }
  });

  it("with no rules lets nothing through", () => {
    assert.equal(skipsAuth([], "GET", "/public/x"), false);
  });
});

describe("isCanonicalPath", () => {
  it("accepts plain paths and refuses every other spelling", () => {
    assert.deepEqual(["/", "/a/b.css", "/a-b_c~d"].map(isCanonicalPath), [true, true, true]);
    assert.deepEqual(
      ["", "a", "/a//b", "/a/./b", "/a/..", "/%41", "/a\\b", "/a b", "/a\tb", "/a?b"].map(isCanonicalPath),
      Array(10).fill(false),
    );
  });
});
