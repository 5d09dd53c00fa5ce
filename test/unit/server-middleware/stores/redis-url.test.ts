import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  createRedisStores,
  describeKeyPrefixProblem,
  describeRedisUrlProblem,
  redactRedisUrl,
} from "../../../../server-middleware/index.js";

describe("describeRedisUrlProblem", () => {
  for (const good of [
    "redis://127.0.0.1:6379",
    "redis://cache",
    "rediss://:s3cret@cache.example.com:6380/0",
    "redis://user:s3cret@10.0.0.5:6379/15",
  ]) {
    it(`accepts ${good}`, () => {
      assert.equal(describeRedisUrlProblem("--redis-url", good), undefined);
    });
  }

  it("when the scheme is not redis: or rediss:, names the option and shows the URL", () => {
    assert.equal(
      describeRedisUrlProblem("--redis-url", "http://cache:6379"),
      '--redis-url: must be a redis:// or rediss:// (TLS) URL such as redis://127.0.0.1:6379 or rediss://:PASSWORD@cache.example.com:6380/0 (got "http://cache:6379/")',
    );
  });

  it("when the URL holds a password, never shows it", () => {
    const problem = describeRedisUrlProblem("REDIS_URL", "https://:hunter2@cache:6379") ?? "";
    assert.ok(problem.startsWith("REDIS_URL: must be a redis:// or rediss://"), problem);
    assert.ok(!problem.includes("hunter2"), problem);
    assert.ok(problem.endsWith('(got "https://:***@cache:6379/")'), problem);
  });

  it("when it is not a URL at all, shows nothing of it (it may be a password pasted by mistake)", () => {
    assert.equal(
      describeRedisUrlProblem("redisUrl", "hunter2"),
      "redisUrl: must be a redis:// or rediss:// (TLS) URL such as redis://127.0.0.1:6379 or rediss://:PASSWORD@cache.example.com:6380/0 (got a value that is not a URL; value not shown)",
    );
  });

  it("when the path is not a database number, says so", () => {
    assert.equal(
      describeRedisUrlProblem("redisUrl", "redis://cache/sessions"),
      'redisUrl: the path must be a database number such as /0 (got "redis://cache/sessions")',
    );
  });

  it("when it has a query, says so", () => {
    assert.equal(
      describeRedisUrlProblem("redisUrl", "redis://cache?password=x"),
      'redisUrl: must have no ?query or #fragment (got "redis://cache?password=x")',
    );
  });

  it("when it is not a string, names its type", () => {
    assert.match(describeRedisUrlProblem("redisUrl", 6379) ?? "", /\(got number\)$/);
  });
});

describe("redactRedisUrl", () => {
  it("replaces the password and keeps the rest", () => {
    assert.equal(
      redactRedisUrl(new URL("rediss://app:hunter2@cache:6380/1")),
      "rediss://app:***@cache:6380/1",
    );
  });
  it("leaves a URL without a password as it is", () => {
    assert.equal(redactRedisUrl(new URL("redis://cache:6379")), "redis://cache:6379");
  });
});

describe("describeKeyPrefixProblem", () => {
  it("accepts a short printable prefix, and the empty one", () => {
    assert.equal(describeKeyPrefixProblem("keyPrefix", "reports:"), undefined);
    assert.equal(describeKeyPrefixProblem("keyPrefix", ""), undefined);
  });
  it("refuses spaces and control characters, naming the option", () => {
    assert.equal(
      describeKeyPrefixProblem("--redis-key-prefix", "my app:"),
      '--redis-key-prefix: must be up to 64 printable ASCII characters without spaces, such as "reports:" (got "my app:")',
    );
    assert.ok(describeKeyPrefixProblem("keyPrefix", "a\nb") !== undefined);
  });
});

describe("createRedisStores options", () => {
  it("reports every problem at once, each naming the option, before connecting", () => {
    assert.throws(
      () =>
        createRedisStores({
          url: "http://:hunter2@cache",
          keyPrefix: "a b",
          commandTimeoutMs: 0,
        }),
      (error: unknown) => {
        assert.ok(error instanceof TypeError);
        assert.equal(
          error.message,
          [
            "createRedisStores: invalid options:",
            '  - url: must be a redis:// or rediss:// (TLS) URL such as redis://127.0.0.1:6379 or rediss://:PASSWORD@cache.example.com:6380/0 (got "http://:***@cache/")',
            '  - keyPrefix: must be up to 64 printable ASCII characters without spaces, such as "reports:" (got "a b")',
            "  - commandTimeoutMs: must be an integer from 1 to 60000 (got 0)",
          ].join("\n"),
        );
        return true;
      },
    );
  });
});
