import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { chooseLoginMethod, offeredMethods, type LoginMethodPreference } from "../../../../proxy/index.js";
import { NONCE } from "../fakes.js";

const host = "app.internal:3000";
const params = (methods: string | undefined, extra: Record<string, string> = {}): Map<string, string> => {
  const map = new Map<string, string>();
  if (methods !== undefined) map.set("methods", methods);
  if (methods?.includes("sts") === true) {
    map.set("server-id", host);
    map.set("nonce", NONCE);
  }
  for (const [key, value] of Object.entries(extra)) map.set(key, value);
  return map;
};

describe("chooseLoginMethod", () => {
  describe("method selection (--method × what the app offers)", () => {
    const sts = { method: "sts", nonce: NONCE, serverId: host };
    // The helper puts a server-id in every challenge that offers STS: a KMS choice then binds to it.
    const kms = { method: "kms", serverId: undefined };
    const kmsBound = { method: "kms", serverId: host };
    const noSts = (offers: string) =>
      `Refusing to sign in with --method sts: the app at ${host} does not offer the STS method (it offers: ${offers})`;
    const noKms = (offers: string) =>
      `Refusing to sign in with --method kms: the app at ${host} does not offer the KMS method (it offers: ${offers})`;
    const cases: [LoginMethodPreference, string | undefined, object | string][] = [
      ["auto", "sts kms", sts],
      ["auto", "kms sts", sts],
      ["auto", "sts", sts],
      ["auto", "kms", kms],
      ["auto", undefined, kms],
      ["sts", "sts kms", sts],
      ["sts", "sts", sts],
      ["sts", "kms", noSts("kms")],
      ["sts", undefined, noSts("kms")],
      ["kms", "sts kms", kmsBound],
      ["kms", "kms", kms],
      ["kms", undefined, kms],
      ["kms", "sts", noKms("sts")],
      [
        "auto",
        "saml",
        `Refusing to sign in: the app at ${host} offers no method this proxy knows (it offers: saml)`,
      ],
    ];
    for (const [preference, methods, expected] of cases) {
      const offers =
        methods === undefined ? "no methods parameter (the original's challenge)" : `methods="${methods}"`;
      it(`--method ${preference} with ${offers} → ${typeof expected === "string" ? "403" : (expected as { method: string }).method}`, () => {
        if (typeof expected === "string") {
          assert.throws(() => chooseLoginMethod(preference, params(methods), host), {
            name: "ProxyError",
            code: "METHOD_NOT_OFFERED",
            status: 403,
            message: expected,
          });
        } else {
          assert.deepEqual(chooseLoginMethod(preference, params(methods), host), expected);
        }
      });
    }
  });

  describe("the STS challenge's server-id", () => {
    it("refuses a server-id that is not the app the proxy is talking to, with the reason", () => {
      assert.throws(() => chooseLoginMethod("auto", params("sts", { "server-id": "bank.internal" }), host), {
        code: "SERVER_ID_MISMATCH",
        status: 403,
        message:
          "Refusing to sign in: the app at app.internal:3000 asked for a proof for server-id bank.internal " +
          "(a proof for another server would let this app sign in there as you)",
      });
    });

    it("refuses the same host on another port", () => {
      assert.throws(
        () => chooseLoginMethod("sts", params("sts", { "server-id": "app.internal:3001" }), host),
        {
          code: "SERVER_ID_MISMATCH",
        },
      );
    });

    it("compares normalised authorities: case and the default port do not matter", () => {
      assert.deepEqual(
        chooseLoginMethod("auto", params("sts", { "server-id": "App.Internal:80" }), "app.internal"),
        {
          method: "sts",
          nonce: NONCE,
          serverId: "App.Internal:80",
        },
      );
    });

    it("refuses a server-id that is not an authority at all", () => {
      assert.throws(
        () => chooseLoginMethod("auto", params("sts", { "server-id": "app.internal:3000/x" }), host),
        {
          code: "SERVER_ID_MISMATCH",
        },
      );
    });
  });

  describe("the KMS challenge's server-id (the token is bound to it)", () => {
    it("refuses a server-id that is not the app the proxy is talking to, as for STS", () => {
      assert.throws(
        () => chooseLoginMethod("kms", params("sts kms", { "server-id": "bank.internal" }), host),
        {
          code: "SERVER_ID_MISMATCH",
          status: 403,
          message:
            "Refusing to sign in: the app at app.internal:3000 asked for a proof for server-id bank.internal " +
            "(a proof for another server would let this app sign in there as you)",
        },
      );
    });

    it("returns the challenge's own spelling of a matching server-id (the app decrypts with it)", () => {
      assert.deepEqual(
        chooseLoginMethod("auto", params("kms", { "server-id": "App.Internal:80" }), "app.internal"),
        {
          method: "kms",
          serverId: "App.Internal:80",
        },
      );
    });

    it("is optional: the original server's challenge has none, and the token stays unbound", () => {
      assert.deepEqual(chooseLoginMethod("auto", params(undefined), host), {
        method: "kms",
        serverId: undefined,
      });
    });
  });

  describe("an STS challenge without what the method needs", () => {
    it("without a nonce → 403 CHALLENGE_INVALID", () => {
      const map = params("sts");
      map.delete("nonce");
      assert.throws(() => chooseLoginMethod("auto", map, host), {
        code: "CHALLENGE_INVALID",
        message: "Invalid IAM challenge from the server: it offers the STS method without a nonce",
      });
    });

    it("without a server-id → 403 CHALLENGE_INVALID", () => {
      const map = params("sts");
      map.delete("server-id");
      assert.throws(() => chooseLoginMethod("auto", map, host), {
        code: "CHALLENGE_INVALID",
        message: "Invalid IAM challenge from the server: it offers the STS method without a server-id",
      });
    });

    it("with a nonce that would break the token format → 403 CHALLENGE_INVALID", () => {
      assert.throws(() => chooseLoginMethod("auto", params("sts", { nonce: "short.nonce" }), host), {
        code: "CHALLENGE_INVALID",
        message: "Invalid IAM challenge from the server: the nonce is not 16 to 256 of A-Z a-z 0-9 _ -",
      });
    });
  });
});

describe("offeredMethods", () => {
  it("reads the methods parameter, and only kms when there is none (the original server)", () => {
    assert.deepEqual(offeredMethods(new Map([["methods", "STS  kms"]])), ["sts", "kms"]);
    assert.deepEqual(offeredMethods(new Map()), ["kms"]);
  });
});
