import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { KMSServiceException } from "@aws-sdk/client-kms";
import { ExpiredTokenException, STSServiceException } from "@aws-sdk/client-sts";
import {
  ALICE_ARN,
  ALICE_KEY_ID,
  ALICE_SECRET,
  ALICE_SESSION_TOKEN,
  CONTEXT,
  credentialsPlaintext,
  KEY_ARN,
  OTHER_KEY_ARN,
  SERVER_ID,
} from "../fake-aws.js";
import { authPath, cookieHeader, send, startTestApp, START_TIME, type TestApp } from "../test-app.js";

const inFifteenMinutes = new Date(START_TIME.getTime() + 900_000);
const isoTime = START_TIME.toISOString();

/** An error as the SDK makes it for an error code KMS's model does not list. */
const kmsError = (name: string): KMSServiceException =>
  new KMSServiceException({ name, $fault: "client", $metadata: { httpStatusCode: 400 }, message: "m" });

function assertNoSecretsLogged(lines: readonly string[], token?: string): void {
  for (const line of lines) {
    for (const secret of [ALICE_SECRET, ALICE_SESSION_TOKEN, ...(token ? [token] : [])]) {
      assert.ok(!line.includes(secret), `a secret was logged: ${line}`);
    }
  }
}

describe("GET /auth", () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app.close());
  afterEach(() => {
    app.kms.failWith = undefined;
    app.sts.failWith = undefined;
    app.kms.decryptCalls.length = 0;
    app.sts.calls.length = 0;
    app.sts.destroyed = 0;
    app.lines.length = 0;
  });

  describe("when the token is good", () => {
    it("starts a session and redirects to return_url", async () => {
      const token = app.kms.encrypt(credentialsPlaintext(inFifteenMinutes));
      const result = await send(app.url, authPath(token, "/docs?page=2"));
      assert.equal(result.status, 302);
      assert.equal(result.headers.location, "/docs?page=2");
      assert.equal(result.headers["cache-control"], "no-store");
      assert.equal(result.setCookies.length, 2);
      const [session, signature] = result.setCookies;
      assert.match(
        session ?? "",
        /^iam-auth-session=[A-Za-z0-9+/=]+; path=\/; expires=[^;]+; samesite=lax; httponly$/,
      );
      assert.match(
        signature ?? "",
        /^iam-auth-session\.sig=[\w-]+; path=\/; expires=[^;]+; samesite=lax; httponly$/,
      );

      const home = await send(app.url, "/docs", { headers: { cookie: cookieHeader(result.setCookies) } });
      assert.equal(home.status, 200);
      assert.equal(home.body, ALICE_ARN);
    });

    it("asks KMS with the configured key and context, and STS with the decrypted credentials", async () => {
      const token = app.kms.encrypt(credentialsPlaintext(inFifteenMinutes));
      await send(app.url, authPath(token));
      assert.equal(app.kms.decryptCalls.length, 1);
      assert.equal(app.kms.decryptCalls[0]?.KeyId, KEY_ARN);
      // The token is bound: the app's context plus its server-id under the reserved key.
      assert.deepEqual(app.kms.decryptCalls[0]?.EncryptionContext, {
        ...CONTEXT,
        "iam-auth:server-id": SERVER_ID,
      });
      assert.deepEqual(
        `kms1.${Buffer.from(app.kms.decryptCalls[0]?.CiphertextBlob ?? []).toString("base64")}`,
        token,
      );
      assert.deepEqual(app.sts.calls, [
        {
          accessKeyId: ALICE_KEY_ID,
          secretAccessKey: ALICE_SECRET,
          sessionToken: ALICE_SESSION_TOKEN,
          expiration: inFifteenMinutes,
        },
      ]);
      assert.equal(app.sts.destroyed, 1, "the per-sign-in STS client is destroyed");
    });

    it("redirects to / when there is no return_url", async () => {
      const result = await send(app.url, authPath(app.kms.encrypt(credentialsPlaintext(inFifteenMinutes))));
      assert.equal(result.status, 302);
      assert.equal(result.headers.location, "/");
    });

    it("logs one line with the ARN and nothing secret", async () => {
      const token = app.kms.encrypt(credentialsPlaintext(inFifteenMinutes));
      await send(app.url, authPath(token));
      assert.deepEqual(app.lines, [
        `${isoTime} audit action=sign-in outcome=success status=302 method=kms via=redirect identity=${ALICE_ARN} remote=127.0.0.1 requestId=ID durationMs=N`,
      ]);
      assertNoSecretsLogged(app.lines, token);
    });
  });

  interface Refusal {
    readonly name: string;
    readonly path: (app: TestApp) => string;
    readonly setup?: (app: TestApp) => void;
    readonly status: number;
    readonly code: string;
    readonly message: string;
    /** Whether the refusal must come before any AWS call. */
    readonly noKmsCall?: boolean;
    readonly noStsCall?: boolean;
  }

  const good = (app: TestApp): string => app.kms.encrypt(credentialsPlaintext(inFifteenMinutes));
  const unreadable =
    "The token could not be decrypted: it was altered or made for another app (encryption context mismatch)";
  const unsafe = (why: string): string => `return_url must be a path on this site: ${why}`;
  const refusals: Refusal[] = [
    {
      name: "no token",
      path: () => "/auth?return_url=%2F",
      status: 403,
      code: "TOKEN_MISSING",
      message: "The token query parameter is missing",
      noKmsCall: true,
    },
    {
      name: "an empty token",
      path: () => "/auth?token=",
      status: 403,
      code: "TOKEN_MISSING",
      message: "The token query parameter is missing",
      noKmsCall: true,
    },
    {
      name: "a repeated token",
      path: (app) => `/auth?token=${encodeURIComponent(good(app))}&token=${encodeURIComponent(good(app))}`,
      status: 400,
      code: "BAD_REQUEST",
      message: "The token query parameter is repeated",
      noKmsCall: true,
    },
    {
      name: "a repeated return_url",
      path: (app) => `${authPath(good(app), "/a")}&return_url=%2Fb`,
      status: 400,
      code: "BAD_REQUEST",
      message: "The return_url query parameter is repeated",
      noKmsCall: true,
    },
    {
      name: "an array-valued token (token[]=)",
      path: (app) => `/auth?token[]=${encodeURIComponent(good(app))}`,
      status: 400,
      code: "BAD_REQUEST",
      message: "The token query parameter must be a single value",
      noKmsCall: true,
    },
    {
      name: "an array-valued return_url (return_url[0]=)",
      path: (app) => `${authPath(good(app))}&return_url%5B0%5D=%2F`,
      status: 400,
      code: "BAD_REQUEST",
      message: "The return_url query parameter must be a single value",
      noKmsCall: true,
    },
    {
      name: "a token that is not base64",
      path: () => "/auth?token=not*base64",
      status: 403,
      code: "TOKEN_INVALID",
      message: "The token is not valid base64",
      noKmsCall: true,
    },
    {
      name: "a URL-safe base64 token (not what the protocol sends)",
      path: () => "/auth?token=ab-_",
      status: 403,
      code: "TOKEN_INVALID",
      message: "The token is not valid base64",
      noKmsCall: true,
    },
    {
      name: "a token longer than any KMS ciphertext",
      path: () => `/auth?token=${"A".repeat(8196)}`,
      status: 403,
      code: "TOKEN_INVALID",
      message: "The token is longer than 8192 characters",
      noKmsCall: true,
    },
    {
      name: "a tampered token (InvalidCiphertextException)",
      path: (app) => {
        const bytes = Buffer.from(good(app).slice("kms1.".length), "base64");
        bytes[10] = (bytes[10] ?? 0) ^ 0x01;
        return authPath(`kms1.${bytes.toString("base64")}`);
      },
      status: 403,
      code: "TOKEN_UNREADABLE",
      message: unreadable,
      noStsCall: true,
    },
    {
      name: "a token under another KMS key (IncorrectKeyException)",
      path: (app) =>
        authPath(app.kms.encrypt(credentialsPlaintext(inFifteenMinutes), { keyId: OTHER_KEY_ARN })),
      status: 403,
      code: "TOKEN_FOREIGN_KEY",
      message: "The token was encrypted under a different KMS key",
      noStsCall: true,
    },
    {
      name: "a token made with another encryption context",
      path: (app) =>
        authPath(
          app.kms.encrypt(credentialsPlaintext(inFifteenMinutes), { context: { salt: "another-app" } }),
        ),
      status: 403,
      code: "TOKEN_UNREADABLE",
      message: unreadable,
      noStsCall: true,
    },
    {
      name: "a plaintext that is not JSON",
      path: (app) => authPath(app.kms.encrypt("hello")),
      status: 403,
      code: "CREDENTIALS_INVALID",
      message: "The token does not hold AWS credentials: it is not JSON",
      noStsCall: true,
    },
    {
      name: "a plaintext without a session token",
      path: (app) =>
        authPath(
          app.kms.encrypt(
            JSON.stringify({ AccessKeyId: ALICE_KEY_ID, SecretAccessKey: "x", Expiration: inFifteenMinutes }),
          ),
        ),
      status: 403,
      code: "CREDENTIALS_INVALID",
      message: "The token does not hold AWS credentials: SessionToken is missing or not a string",
      noStsCall: true,
    },
    {
      name: "credentials past their Expiration (no STS call is made)",
      path: (app) => authPath(app.kms.encrypt(credentialsPlaintext(START_TIME))),
      status: 403,
      code: "CREDENTIALS_EXPIRED",
      message: "The AWS credentials in the token have expired",
      noStsCall: true,
    },
    {
      name: "credentials STS says have expired (ExpiredToken)",
      path: (app) => authPath(good(app)),
      setup: (app) => {
        app.sts.failWith = new ExpiredTokenException({
          message: "The security token included in the request is expired",
          $metadata: { httpStatusCode: 403 },
        });
      },
      status: 403,
      code: "CREDENTIALS_EXPIRED",
      message: "The AWS credentials in the token have expired",
    },
    {
      name: "credentials STS does not know (InvalidClientTokenId)",
      path: (app) => authPath(good(app)),
      setup: (app) => {
        app.sts.failWith = new STSServiceException({
          name: "InvalidClientTokenId",
          $fault: "client",
          $metadata: { httpStatusCode: 403 },
          message: "The security token included in the request is invalid.",
        });
      },
      status: 403,
      code: "CREDENTIALS_REJECTED",
      message: "AWS STS rejected the credentials in the token (InvalidClientTokenId)",
    },
    {
      name: "an identity of another account",
      path: (app) =>
        authPath(app.kms.encrypt(credentialsPlaintext(inFifteenMinutes, "ASIAMALLORYEXAMPLE01"))),
      setup: (app) => {
        app.sts.identities.set("ASIAMALLORYEXAMPLE01", {
          Arn: "arn:aws:iam::444455556666:user/mallory",
          Account: "444455556666",
          UserId: "AIDAMALLORYEXAMPLE001",
        });
      },
      status: 403,
      code: "NOT_ALLOWED",
      message: "The identity arn:aws:iam::444455556666:user/mallory is not allowed to use this app",
    },
    {
      name: "a return_url to another host (//evil.example)",
      path: (app) => authPath(good(app), "//evil.example/"),
      status: 403,
      code: "RETURN_URL_UNSAFE",
      message: unsafe('it starts with "//"'),
      noKmsCall: true,
    },
    {
      name: "a return_url with a backslash (/\\evil)",
      path: (app) => authPath(good(app), "/\\evil.example"),
      status: 403,
      code: "RETURN_URL_UNSAFE",
      message: unsafe("it contains a backslash"),
      noKmsCall: true,
    },
    {
      name: "an absolute return_url (https://evil)",
      path: (app) => authPath(good(app), "https://evil.example/"),
      status: 403,
      code: "RETURN_URL_UNSAFE",
      message: unsafe('it does not start with "/"'),
      noKmsCall: true,
    },
    {
      name: "KMS refusing this server (AccessDeniedException)",
      path: (app) => authPath(good(app)),
      setup: (app) => {
        app.kms.failWith = kmsError("AccessDeniedException");
      },
      status: 502,
      code: "KMS_ACCESS_DENIED",
      message: "This server is not allowed to decrypt with its KMS key",
      noStsCall: true,
    },
    {
      name: "KMS throttling",
      path: (app) => authPath(good(app)),
      setup: (app) => {
        app.kms.failWith = kmsError("ThrottlingException");
      },
      status: 503,
      code: "KMS_THROTTLED",
      message: "AWS KMS is throttling requests; try again shortly",
      noStsCall: true,
    },
    {
      name: "STS throttling",
      path: (app) => authPath(good(app)),
      setup: (app) => {
        app.sts.failWith = new STSServiceException({
          name: "Throttling",
          $fault: "client",
          $metadata: { httpStatusCode: 400 },
          message: "Rate exceeded",
        });
      },
      status: 503,
      code: "STS_THROTTLED",
      message: "AWS STS is throttling requests; try again shortly",
    },
  ];

  for (const refusal of refusals) {
    it(`when ${refusal.name}: ${refusal.status} ${refusal.code}, no session`, async () => {
      refusal.setup?.(app);
      const path = refusal.path(app);
      const result = await send(app.url, path);
      assert.equal(result.status, refusal.status);
      assert.equal(result.headers["content-type"], "text/plain; charset=utf-8");
      assert.equal(result.body, `${refusal.message}\n`);
      assert.deepEqual(result.setCookies, []);
      if (refusal.noKmsCall === true) assert.equal(app.kms.decryptCalls.length, 0, "KMS was called");
      if (refusal.noKmsCall === true || refusal.noStsCall === true)
        assert.equal(app.sts.calls.length, 0, "STS was called");
      assert.equal(app.lines.length, 1);
      const outcome = refusal.status >= 500 ? "failed" : "refused";
      assert.ok(
        app.lines[0]?.startsWith(
          `${isoTime} audit action=sign-in outcome=${outcome} reason=${refusal.code} status=${refusal.status} `,
        ),
        app.lines[0],
      );
      assert.ok(app.lines[0]?.includes(` message=${JSON.stringify(refusal.message)}`), app.lines[0]);
      assertNoSecretsLogged(app.lines, new URLSearchParams(path.split("?")[1]).get("token") ?? undefined);
    });
  }

  it("when the method is not GET: 405 with Allow", async () => {
    const result = await send(app.url, authPath(good(app)), { method: "POST" });
    assert.equal(result.status, 405);
    assert.equal(result.headers.allow, "GET, HEAD");
    assert.equal(result.body, "POST is not allowed here; use GET\n");
    assert.equal(app.kms.decryptCalls.length, 0);
  });
});

describe("GET /auth with a custom authPath", () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ options: { authPath: "/login/iam" } });
  });
  after(() => app.close());

  it("serves sign-in there, and /auth is an ordinary protected path", async () => {
    const token = app.kms.encrypt(credentialsPlaintext(inFifteenMinutes));
    const moved = await send(app.url, `/login/iam?token=${encodeURIComponent(token)}`);
    assert.equal(moved.status, 302);
    const old = await send(
      app.url,
      `/auth?token=${encodeURIComponent(app.kms.encrypt(credentialsPlaintext(inFifteenMinutes)))}`,
    );
    assert.equal(old.status, 401);
  });
});

describe("GET /auth with a KMS token that was already used", () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app.close());

  it("refuses the second use with 403 TOKEN_REPLAYED after decrypting, before any STS call", async () => {
    const token = app.kms.encrypt(credentialsPlaintext(inFifteenMinutes));
    assert.equal((await send(app.url, authPath(token))).status, 302);
    const replay = await send(app.url, authPath(token, "/docs"));
    assert.equal(replay.status, 403);
    assert.equal(replay.body, "The token has already been used\n");
    assert.deepEqual(replay.setCookies, []);
    // The replay is recognised once decrypted: KMS is asked again, STS is not.
    assert.equal(app.kms.decryptCalls.length, 2);
    assert.equal(app.sts.calls.length, 1, "STS was called for the replay");
    assert.ok(
      app.lines.at(-1)?.includes(" audit action=sign-in outcome=refused reason=TOKEN_REPLAYED status=403 "),
      app.lines.at(-1),
    );
  });

  it("does not remember tokens it could not decrypt, so junk cannot fill the store", async () => {
    const claims: string[] = [];
    const recording = await startTestApp({
      options: {
        replayStore: {
          claim: (key) => {
            claims.push(key);
            return Promise.resolve(true);
          },
        },
      },
    });
    try {
      const junk = `kms1.${Buffer.from("not a ciphertext of this app").toString("base64")}`;
      assert.equal((await send(recording.url, authPath(junk))).status, 403);
      const expired = recording.kms.encrypt(credentialsPlaintext(START_TIME));
      assert.equal(
        (await send(recording.url, authPath(expired))).body,
        "The AWS credentials in the token have expired\n",
      );
      assert.deepEqual(claims, []);
    } finally {
      await recording.close();
    }
  });

  it("refuses credentials that claim to last longer than 36 hours (the replay window)", async () => {
    const token = app.kms.encrypt(
      credentialsPlaintext(new Date(START_TIME.getTime() + 36 * 3600_000 + 1000)),
    );
    const result = await send(app.url, authPath(token));
    assert.equal(result.status, 403);
    assert.equal(
      result.body,
      "The token does not hold AWS credentials: they claim to last longer than 36 hours\n",
    );
  });

  it("claims the token until its credentials expire", async () => {
    const claims: { key: string; expiresAt: Date }[] = [];
    const recording = await startTestApp({
      options: {
        replayStore: {
          claim: (key, expiresAt) => {
            claims.push({ key, expiresAt });
            return Promise.resolve(true);
          },
        },
      },
    });
    try {
      await send(recording.url, authPath(recording.kms.encrypt(credentialsPlaintext(inFifteenMinutes))));
      assert.equal(claims.length, 1);
      assert.match(claims[0]?.key ?? "", /^kms-token:[0-9a-f]{64}$/);
      assert.equal(claims[0]?.expiresAt.toISOString(), inFifteenMinutes.toISOString());
    } finally {
      await recording.close();
    }
  });
});

describe("GET /auth with KMS tokens bound to an app (or not)", () => {
  const inFifteenMinutes = new Date(START_TIME.getTime() + 15 * 60 * 1000);
  let app: TestApp;
  afterEach(() => app.close());

  it("refuses a token bound to another app's server-id (same key and context): 403 TOKEN_UNREADABLE", async () => {
    app = await startTestApp();
    const forOtherApp = app.kms.encrypt(credentialsPlaintext(inFifteenMinutes), {
      serverId: "other.test:3000",
    });
    const result = await send(app.url, authPath(forOtherApp));
    assert.equal(result.status, 403);
    assert.equal(
      result.body,
      "The token could not be decrypted: it was altered or made for another app (encryption context mismatch)\n",
    );
    assert.equal(result.setCookies.length, 0);
    assert.equal(app.sts.calls.length, 0);
  });

  it("refuses a bound token stripped of its kms1. prefix: the app does not accept unbound tokens", async () => {
    app = await startTestApp();
    const bound = app.kms.encrypt(credentialsPlaintext(inFifteenMinutes));
    const result = await send(app.url, authPath(bound.slice("kms1.".length)));
    assert.equal(result.status, 403);
    assert.equal(app.kms.decryptCalls.length, 0);
  });

  describe("when the token is unbound (the original Go proxy's) and the app does not opt in", () => {
    it("is 403 KMS_TOKEN_UNBOUND with the one-line reason, before any KMS call, and logs the code", async () => {
      app = await startTestApp();
      const unbound = app.kms.encrypt(credentialsPlaintext(inFifteenMinutes), { serverId: null });
      const result = await send(app.url, authPath(unbound));
      assert.equal(result.status, 403);
      assert.equal(
        result.body,
        "The KMS token is not bound to this app: the proxy must bind it to this app's server-id, or the app may accept unbound tokens with kms: { acceptUnboundTokens: true }\n",
      );
      assert.equal(result.setCookies.length, 0);
      assert.equal(app.kms.decryptCalls.length, 0);
      assert.ok(app.lines.some((line) => line.includes("reason=KMS_TOKEN_UNBOUND")));
    });
  });

  describe("when the app accepts unbound tokens (kms.acceptUnboundTokens: true)", () => {
    const acceptUnbound = {
      options: {
        kms: { keyId: KEY_ARN, encryptionContext: CONTEXT, serverId: SERVER_ID, acceptUnboundTokens: true },
      },
    };

    it("signs in with an unbound token, decrypting once with the app's own context", async () => {
      app = await startTestApp(acceptUnbound);
      const unbound = app.kms.encrypt(credentialsPlaintext(inFifteenMinutes), { serverId: null });
      const result = await send(app.url, authPath(unbound));
      assert.equal(result.status, 302);
      assert.equal(app.kms.decryptCalls.length, 1);
      assert.deepEqual(app.kms.decryptCalls[0]?.EncryptionContext, CONTEXT);
    });

    it("still signs in with a bound token, decrypting once with the bound context", async () => {
      app = await startTestApp(acceptUnbound);
      const result = await send(app.url, authPath(app.kms.encrypt(credentialsPlaintext(inFifteenMinutes))));
      assert.equal(result.status, 302);
      assert.equal(app.kms.decryptCalls.length, 1);
    });

    it("refuses a token bound to another app even stripped of its prefix (KMS checks the context)", async () => {
      app = await startTestApp(acceptUnbound);
      const forOtherApp = app.kms.encrypt(credentialsPlaintext(inFifteenMinutes), {
        serverId: "other.test:3000",
      });
      const result = await send(app.url, authPath(forOtherApp.slice("kms1.".length)));
      assert.equal(result.status, 403);
      assert.match(result.body, /^The token could not be decrypted/);
      assert.equal(app.kms.decryptCalls.length, 1);
    });
  });
});
