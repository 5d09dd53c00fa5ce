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
