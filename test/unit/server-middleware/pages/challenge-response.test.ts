import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { decodeEncryptionContext, findIamChallenge } from "../../../../protocol/index.js";
import { ACCOUNT_ID, CONTEXT, KEY_ARN, SERVER_ID } from "../fake-aws.js";
import { send, startTestApp, type TestApp } from "../test-app.js";

const textLine =
  "This app signs you in with your AWS identity: run `iam-auth-proxy --bind 127.0.0.1:8080` and use http://127.0.0.1:8080 as your HTTP proxy (curl -x http://127.0.0.1:8080 …).\n";

describe("the challenge for unauthenticated requests", () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app.close());

  it("is a 401 with the three IAM headers, realm first", async () => {
    const result = await send(app.url, "/docs", { headers: { accept: "text/plain" } });
    assert.equal(result.status, 401);
    assert.equal(
      result.headers["www-authenticate"],
      `IAM realm="${ACCOUNT_ID}", methods="kms", server-id="${SERVER_ID}"`,
    );
    // How the original Go proxy finds the realm; it also requires exactly one such field.
    assert.equal(/IAM realm="([^"]+)"/.exec(String(result.headers["www-authenticate"]))?.[1], ACCOUNT_ID);
    assert.equal(result.headers["iam-auth-kms-key-id"], KEY_ARN);
    assert.equal(result.headers["iam-auth-kms-encryption-context"], "eyJzYWx0IjoidW5pdC10ZXN0LXNhbHQifQ==");
    assert.equal(result.headers["cache-control"], "no-store");
  });

  it("carries an encryption context that decodes to the configured one", async () => {
    const result = await send(app.url, "/");
    assert.deepEqual(decodeEncryptionContext(String(result.headers["iam-auth-kms-encryption-context"])), {
      salt: "unit-test-salt",
    });
    const lookup = findIamChallenge([String(result.headers["www-authenticate"])]);
    assert.equal(lookup.kind, "iam");
    assert.equal(lookup.kind === "iam" ? lookup.challenge.realm : undefined, ACCOUNT_ID);
  });

  it("when the client accepts HTML, explains in a short page how to sign in", async () => {
    const result = await send(app.url, "/", {
      headers: { accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8" },
    });
    assert.equal(result.status, 401);
    assert.equal(result.headers["content-type"], "text/html; charset=utf-8");
    assert.equal(result.headers["content-security-policy"], "default-src 'none'; style-src 'unsafe-inline'");
    assert.match(result.headers.vary as string, /\bAccept\b/);
    assert.match(result.body, /^<!doctype html>/);
    assert.match(result.body, /This app signs you in with your AWS identity/);
    assert.match(
      result.body,
      /Start it: run <code>iam-auth-proxy --bind 127.0.0.1:8080<\/code> on your computer\./,
    );
    assert.equal(
      result.headers["www-authenticate"],
      `IAM realm="${ACCOUNT_ID}", methods="kms", server-id="${SERVER_ID}"`,
    );
  });

  it("when the client prefers plain text, answers one line", async () => {
    const result = await send(app.url, "/", { headers: { accept: "text/plain, text/html;q=0.5" } });
    assert.equal(result.status, 401);
    assert.equal(result.headers["content-type"], "text/plain; charset=utf-8");
    assert.equal(result.body, textLine);
  });

  it("when the client accepts neither (an API client), answers the text line", async () => {
    const result = await send(app.url, "/", { headers: { accept: "application/json" } });
    assert.equal(result.status, 401);
    assert.equal(result.body, textLine);
    assert.equal(result.headers["iam-auth-kms-key-id"], KEY_ARN);
  });

  it("is given for every method and for paths the app does not have", async () => {
    for (const [method, path] of [
      ["POST", "/"],
      ["DELETE", "/docs"],
      ["GET", "/no-such-page"],
    ] as const) {
      const result = await send(app.url, path, { method, headers: { accept: "text/plain" } });
      assert.equal(result.status, 401, `${method} ${path}`);
      assert.equal(
        result.headers["www-authenticate"],
        `IAM realm="${ACCOUNT_ID}", methods="kms", server-id="${SERVER_ID}"`,
      );
    }
  });

  it("does not log (it is not an event, and would flood the log)", () => {
    assert.deepEqual(app.lines, []);
  });
});

describe("the challenge for each mix of methods", () => {
  const nonceParam = '"([A-Za-z0-9_-]{76})"';
  const cases = [
    {
      methods: ["kms"] as const,
      header: new RegExp(`^IAM realm="${ACCOUNT_ID}", methods="kms", server-id="${SERVER_ID}"$`),
      kmsHeaders: true,
    },
    {
      methods: ["sts"] as const,
      header: new RegExp(
        `^IAM realm="${ACCOUNT_ID}", methods="sts", server-id="app\\.test:3000", nonce=${nonceParam}$`,
      ),
      kmsHeaders: false,
    },
    {
      methods: ["sts", "kms"] as const,
      header: new RegExp(
        `^IAM realm="${ACCOUNT_ID}", methods="sts kms", server-id="app\\.test:3000", nonce=${nonceParam}$`,
      ),
      kmsHeaders: true,
    },
  ];
  for (const { methods, header, kmsHeaders } of cases) {
    it(`when ${methods.join(" and ")}: ${header.source}${kmsHeaders ? " and the KMS headers" : ", no KMS headers"}`, async () => {
      const app = await startTestApp({ methods });
      try {
        const result = await send(app.url, "/docs", { headers: { accept: "text/plain" } });
        assert.equal(result.status, 401);
        const value = String(result.headers["www-authenticate"]);
        assert.match(value, header);
        // The original Go proxy's realm regex still finds the account.
        assert.equal(/IAM realm="([^"]+)"/.exec(value)?.[1], ACCOUNT_ID);
        assert.equal(result.headers["iam-auth-kms-key-id"], kmsHeaders ? KEY_ARN : undefined);
        assert.equal(
          result.headers["iam-auth-kms-encryption-context"],
          kmsHeaders ? "eyJzYWx0IjoidW5pdC10ZXN0LXNhbHQifQ==" : undefined,
        );
        const lookup = findIamChallenge([value]);
        assert.equal(lookup.kind, "iam");
        assert.equal(
          lookup.kind === "iam" ? lookup.challenge.params.get("methods") : undefined,
          methods.join(" "),
        );
      } finally {
        await app.close();
      }
    });
  }

  it("when STS is offered, every 401 carries a new nonce", async () => {
    const app = await startTestApp({ methods: ["sts"] });
    try {
      const nonces = new Set<string>();
      for (let index = 0; index < 3; index++) {
        const result = await send(app.url, "/", { headers: { accept: "text/plain" } });
        nonces.add(/nonce="([^"]+)"/.exec(String(result.headers["www-authenticate"]))?.[1] ?? "");
      }
      assert.equal(nonces.size, 3);
    } finally {
      await app.close();
    }
  });
});

describe("the KMS challenge of an app that binds no server-id (kms.acceptUnboundTokens, no sts)", () => {
  it("names no server-id, as the original server's challenge, so clients send unbound tokens", async () => {
    const app = await startTestApp({
      options: { kms: { keyId: KEY_ARN, encryptionContext: CONTEXT, acceptUnboundTokens: true } },
    });
    try {
      const result = await send(app.url, "/docs", { headers: { accept: "text/plain" } });
      assert.equal(result.status, 401);
      assert.equal(result.headers["www-authenticate"], `IAM realm="${ACCOUNT_ID}", methods="kms"`);
    } finally {
      await app.close();
    }
  });
});
