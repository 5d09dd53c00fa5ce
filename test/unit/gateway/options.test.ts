import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { resolveGatewayOptions } from "../../../gateway/options.js";

const iamAuth = {
  accountId: "111122223333",
  sessionSecrets: ["x".repeat(32)],
  sts: { serverId: "gw.example.com" },
};

describe("resolveGatewayOptions", () => {
  it("applies the defaults: audience the upstream origin, 60 s assertions, no skip rules, no trusted proxy", () => {
    const resolved = resolveGatewayOptions({ upstream: "http://127.0.0.1:8000", iamAuth });
    assert.equal(resolved.upstream.origin, "http://127.0.0.1:8000");
    assert.deepEqual(resolved.assertion, {
      issuer: "iam-auth-gateway",
      audience: "http://127.0.0.1:8000",
      ttlSeconds: 60,
      privateKeyPem: undefined,
    });
    assert.deepEqual([resolved.skipAuth, resolved.trustProxy], [[], false]);
  });

  it("reports every problem at once, naming each option and value", () => {
    assert.throws(
      () =>
        resolveGatewayOptions({
          upstream: "ftp://app/x",
          iamAuth,
          assertion: { ttlSeconds: 61, privateKeyPem: "not a key" },
          skipAuth: ["/a?b"],
          upstreamTimeoutMs: 0,
          // @ts-expect-error an unknown option, as JavaScript callers may pass
          upstreams: "x",
        }),
      (error: unknown) => {
        assert.ok(error instanceof TypeError);
        const lines = error.message.split("\n");
        assert.equal(lines[0], "createGateway: invalid options:");
        assert.deepEqual(
          lines.slice(1).map((line) => line.replace(/:.*/, "")),
          [
            "- upstreams",
            "- upstream",
            "- assertion.ttlSeconds",
            "- assertion.privateKeyPem",
            "- skipAuth",
            "- upstreamTimeoutMs",
          ],
        );
        return true;
      },
    );
  });
});

describe("redisUrl and redisKeyPrefix", () => {
  const upstream = "http://127.0.0.1:8000";

  it("by default there is none: the stores stay in the process's memory", () => {
    const resolved = resolveGatewayOptions({ upstream, iamAuth });
    assert.deepEqual([resolved.redisUrl, resolved.redisKeyPrefix], [undefined, undefined]);
  });

  it("accepts a redis:// or rediss:// URL and a prefix", () => {
    const resolved = resolveGatewayOptions({
      upstream,
      iamAuth,
      redisUrl: "rediss://:pw@cache:6380/0",
      redisKeyPrefix: "reports:",
    });
    assert.deepEqual([resolved.redisUrl, resolved.redisKeyPrefix], ["rediss://:pw@cache:6380/0", "reports:"]);
  });

  it("when the URL is not redis: or rediss:, names redisUrl and hides the password", () => {
    assert.throws(
      () => resolveGatewayOptions({ upstream, iamAuth, redisUrl: "memcached://:hunter2@cache:11211" }),
      {
        name: "TypeError",
        message:
          'createGateway: invalid options:\n- redisUrl: must be a redis:// or rediss:// (TLS) URL such as redis://127.0.0.1:6379 or rediss://:PASSWORD@cache.example.com:6380/0 (got "memcached://:***@cache:11211")',
      },
    );
  });

  it("when iamAuth also has its own stores, refuses the conflict, naming both", () => {
    const store = { claim: () => Promise.resolve(true) };
    const revocation = { revoke: () => Promise.resolve(), isRevoked: () => Promise.resolve(false) };
    assert.throws(
      () =>
        resolveGatewayOptions({
          upstream,
          iamAuth: { ...iamAuth, replayStore: store, sessionRevocation: revocation },
          redisUrl: "redis://cache",
        }),
      {
        name: "TypeError",
        message: [
          "createGateway: invalid options:",
          "- iamAuth.replayStore: not with redisUrl, which provides it; give one or the other",
          "- iamAuth.sessionRevocation: not with redisUrl, which provides it; give one or the other",
        ].join("\n"),
      },
    );
  });

  it("when a prefix comes without a URL, or is not printable, says so", () => {
    assert.throws(() => resolveGatewayOptions({ upstream, iamAuth, redisKeyPrefix: "reports:" }), {
      message:
        "createGateway: invalid options:\n- redisKeyPrefix: only used with redisUrl; set redisUrl or remove it",
    });
    assert.throws(
      () => resolveGatewayOptions({ upstream, iamAuth, redisUrl: "redis://cache", redisKeyPrefix: "a b" }),
      {
        message:
          'createGateway: invalid options:\n- redisKeyPrefix: must be up to 64 printable ASCII characters without spaces, such as "reports:" (got "a b")',
      },
    );
  });
});
