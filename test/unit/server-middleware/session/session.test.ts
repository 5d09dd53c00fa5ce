import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import type { Request } from "express";
import Keygrip from "keygrip";
import { endSession, startSession } from "../../../../server-middleware/session/session.js";
import { ACCOUNT_ID, ALICE_ARN, CONTEXT, credentialsPlaintext, KEY_ARN, SERVER_ID } from "../fake-aws.js";
import {
  authPath,
  send,
  signIn,
  startTestApp,
  SECRET_A,
  SECRET_B,
  START_TIME,
  type TestApp,
} from "../test-app.js";

const later = (seconds: number): Date => new Date(START_TIME.getTime() + seconds * 1000);

/** Splits "a=1; a.sig=2" into its two values. */
function readCookies(cookie: string): { value: string; signature: string } {
  const [value, signature] = cookie.split("; ").map((pair) => pair.slice(pair.indexOf("=") + 1));
  return { value: value ?? "", signature: signature ?? "" };
}

describe("the session", () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app.close());
  afterEach(() => {
    app.clock.now = START_TIME;
    app.lines.length = 0;
  });

  it("identifies the signed-in caller on later requests", async () => {
    const cookie = await signIn(app);
    const result = await send(app.url, "/", { headers: { cookie } });
    assert.equal(result.status, 200);
    assert.equal(result.body, ALICE_ARN);
    assert.deepEqual(result.setCookies, [], "an unchanged session is not re-sent");
  });

  it("holds the identity, the sign-in time and a random session id, nothing secret", async () => {
    const cookie = await signIn(app);
    const stored = JSON.parse(Buffer.from(readCookies(cookie).value, "base64").toString("utf8")) as {
      sid?: unknown;
    };
    assert.match(String(stored.sid), /^[A-Za-z0-9_-]{22}$/, "128 random bits, base64url");
    assert.deepEqual(stored, {
      arn: ALICE_ARN,
      account: ACCOUNT_ID,
      userId: "AIDAALICEEXAMPLE00001",
      issuedAt: START_TIME.getTime(),
      sid: stored.sid,
    });
    const other = JSON.parse(
      Buffer.from(readCookies(await signIn(app)).value, "base64").toString("utf8"),
    ) as {
      sid?: unknown;
    };
    assert.notEqual(other.sid, stored.sid, "each sign-in gets its own id");
  });

  describe("lifetime (sessionMaxAgeSeconds, default 3600), enforced on the server", () => {
    it("when just under the max age, is still valid", async () => {
      const cookie = await signIn(app);
      app.clock.now = later(3599);
      const result = await send(app.url, "/", { headers: { cookie } });
      assert.equal(result.status, 200);
    });

    it("when the max age has passed, the same cookie gets the challenge again and is cleared", async () => {
      const cookie = await signIn(app);
      app.lines.length = 0;
      app.clock.now = later(3600);
      const result = await send(app.url, "/", { headers: { cookie, accept: "text/plain" } });
      assert.equal(result.status, 401);
      assert.equal(
        result.headers["www-authenticate"],
        `IAM realm="${ACCOUNT_ID}", methods="kms", server-id="${SERVER_ID}"`,
      );
      assert.match(
        result.setCookies[0] ?? "",
        /^iam-auth-session=; path=\/; expires=Thu, 01 Jan 1970 00:00:00 GMT;/,
      );
      assert.deepEqual(app.lines, [
        `${later(3600).toISOString()} session outcome=ignored reason="the session expired" remote=127.0.0.1`,
      ]);
    });

    it("when it was issued in the future (beyond a minute of clock skew), is not accepted", async () => {
      app.clock.now = later(120);
      const cookie = await signIn(app);
      app.clock.now = START_TIME;
      const result = await send(app.url, "/", { headers: { cookie } });
      assert.equal(result.status, 401);
    });
  });

  describe("a cookie made before sessions had an id (no sid)", () => {
    it("is no session, however well signed: its sign-out could not be honoured elsewhere", async () => {
      const value = Buffer.from(
        JSON.stringify({
          arn: ALICE_ARN,
          account: ACCOUNT_ID,
          userId: "AIDAALICEEXAMPLE00001",
          issuedAt: START_TIME.getTime(),
        }),
      ).toString("base64");
      const signature = new Keygrip([SECRET_A]).sign(`iam-auth-session=${value}`);
      const result = await send(app.url, "/", {
        headers: {
          cookie: `iam-auth-session=${value}; iam-auth-session.sig=${signature}`,
          accept: "text/plain",
        },
      });
      assert.equal(result.status, 401);
      assert.deepEqual(app.lines.slice(-1), [
        `${START_TIME.toISOString()} session outcome=ignored reason="the session cookie does not hold a session of this app" remote=127.0.0.1`,
      ]);
    });
  });

  describe("a cookie that was not issued by this app", () => {
    it("when the payload is altered (signature kept), is no session", async () => {
      const cookie = await signIn(app);
      const { signature } = readCookies(cookie);
      const forged = Buffer.from(
        JSON.stringify({
          arn: "arn:aws:iam::111122223333:user/admin",
          account: ACCOUNT_ID,
          userId: "AIDAX",
          issuedAt: START_TIME.getTime(),
        }),
      ).toString("base64");
      const result = await send(app.url, "/", {
        headers: { cookie: `iam-auth-session=${forged}; iam-auth-session.sig=${signature}` },
      });
      assert.equal(result.status, 401);
      assert.deepEqual(app.lines.slice(-1), [
        `${START_TIME.toISOString()} session outcome=ignored reason="the session cookie is forged, unreadable or signed with a retired secret" remote=127.0.0.1`,
      ]);
    });

    it("when there is no signature, is no session", async () => {
      const { value } = readCookies(await signIn(app));
      const result = await send(app.url, "/", { headers: { cookie: `iam-auth-session=${value}` } });
      assert.equal(result.status, 401);
    });

    it("when it is garbage, is no session (not an error)", async () => {
      const result = await send(app.url, "/", {
        headers: { cookie: "iam-auth-session=%%%; iam-auth-session.sig=???" },
      });
      assert.equal(result.status, 401);
    });

    it("when it is signed with a secret this app does not have, is no session", async () => {
      const other = await startTestApp({ options: { sessionSecrets: [SECRET_B] } });
      try {
        const cookie = await signIn(other);
        const result = await send(app.url, "/", { headers: { cookie } });
        assert.equal(result.status, 401);
      } finally {
        await other.close();
      }
    });

    it("when it is a session of another account's app with the same secret, is no session", async () => {
      const other = await startTestApp({
        options: {
          accountId: "444455556666",
          kms: { keyId: KEY_ARN, encryptionContext: CONTEXT, serverId: SERVER_ID },
        },
      });
      other.sts.identities.set("ASIAALICEEXAMPLE0001", {
        Arn: "arn:aws:iam::444455556666:user/alice",
        Account: "444455556666",
        UserId: "AIDAALICEEXAMPLE00001",
      });
      try {
        const cookie = await signIn(other);
        const result = await send(app.url, "/", { headers: { cookie } });
        assert.equal(result.status, 401);
        assert.match(
          app.lines.at(-1) ?? "",
          /reason="the session cookie does not hold a session of this app"/,
        );
      } finally {
        await other.close();
      }
    });
  });

  describe("public paths", () => {
    for (const path of ["/health", "/static/app.css"]) {
      it(`when ${path} is requested without a session, the app answers it`, async () => {
        const result = await send(app.url, path);
        assert.equal(result.status, 200);
        assert.equal(result.body, "anonymous");
      });
    }

    it("when a public path is requested with a session, req.iamIdentity is set there too", async () => {
      const cookie = await signIn(app);
      const result = await send(app.url, "/health", { headers: { cookie } });
      assert.equal(result.body, ALICE_ARN);
    });

    for (const path of [
      "/healthz",
      "/health/x",
      "/HEALTH",
      "/static",
      "/static/%2e%2e/docs",
      "/static/..%2fdocs",
    ]) {
      it(`when ${path} is requested, it is not public`, async () => {
        const result = await send(app.url, path);
        assert.equal(result.status, 401);
      });
    }
  });
});

describe("secret rotation (sessionSecrets)", () => {
  it("when a new secret is put first, sessions signed with the old one stay valid", async () => {
    const before = await startTestApp({ options: { sessionSecrets: [SECRET_A] } });
    const cookie = await signIn(before);
    await before.close();
    const rotated = await startTestApp({ options: { sessionSecrets: [SECRET_B, SECRET_A] } });
    try {
      const result = await send(rotated.url, "/", { headers: { cookie } });
      assert.equal(result.status, 200);
      assert.equal(result.body, ALICE_ARN);
      const fresh = await signIn(rotated);
      const retired = await startTestApp({ options: { sessionSecrets: [SECRET_A] } });
      try {
        const refused = await send(retired.url, "/", { headers: { cookie: fresh } });
        assert.equal(refused.status, 401, "new sessions are signed with the first secret");
      } finally {
        await retired.close();
      }
    } finally {
      await rotated.close();
    }
  });
});

describe("cookieName", () => {
  it("names the session cookie and its signature", async () => {
    const app = await startTestApp({ options: { cookieName: "reports_session" } });
    try {
      const cookie = await signIn(app);
      assert.match(cookie, /^reports_session=[^;]+; reports_session\.sig=[\w-]+$/);
      const result = await send(app.url, "/", { headers: { cookie } });
      assert.equal(result.status, 200);
    } finally {
      await app.close();
    }
  });
});

describe("sessionMaxAgeSeconds", () => {
  it("when 60, a session is refused after 60 seconds", async () => {
    const app = await startTestApp({ options: { sessionMaxAgeSeconds: 60 } });
    try {
      const cookie = await signIn(app);
      app.clock.now = later(59);
      assert.equal((await send(app.url, "/", { headers: { cookie } })).status, 200);
      app.clock.now = later(60);
      assert.equal((await send(app.url, "/", { headers: { cookie } })).status, 401);
    } finally {
      await app.close();
    }
  });
});

describe("the Secure attribute", () => {
  const secureFields = (setCookies: readonly string[]): boolean[] =>
    setCookies.map((field) => / secure(?:;|$)/.test(field));

  it("when the app trusts its proxy and it says X-Forwarded-Proto: https, the cookies are Secure", async () => {
    const app = await startTestApp({ trustProxy: "loopback" });
    try {
      const cookie = await signIn(app);
      assert.ok(cookie.length > 0);
      const token = await signInFields(app, { "x-forwarded-proto": "https" });
      assert.deepEqual(secureFields(token), [true, true]);
    } finally {
      await app.close();
    }
  });

  it("when the app trusts its proxy but the request came over http, they are not", async () => {
    const app = await startTestApp({ trustProxy: "loopback" });
    try {
      assert.deepEqual(secureFields(await signInFields(app, { "x-forwarded-proto": "http" })), [
        false,
        false,
      ]);
      assert.deepEqual(secureFields(await signInFields(app, {})), [false, false]);
    } finally {
      await app.close();
    }
  });

  it("when the app does not trust proxies, X-Forwarded-Proto is ignored (anyone could send it)", async () => {
    const app = await startTestApp();
    try {
      assert.deepEqual(secureFields(await signInFields(app, { "x-forwarded-proto": "https" })), [
        false,
        false,
      ]);
    } finally {
      await app.close();
    }
  });
});

describe("allowedPrincipals narrowed after sign-in", () => {
  it("ends sessions of identities no longer allowed", async () => {
    const before = await startTestApp();
    const cookie = await signIn(before);
    await before.close();
    const narrowed = await startTestApp({
      options: { allowedPrincipals: ["arn:aws:iam::111122223333:role/Dev*"] },
    });
    try {
      const result = await send(narrowed.url, "/", { headers: { cookie } });
      assert.equal(result.status, 401);
      assert.match(
        narrowed.lines.at(-1) ?? "",
        /reason="the session's identity is no longer allowed to use this app"/,
      );
    } finally {
      await narrowed.close();
    }
  });
});

/** Signs in as alice with extra request headers and returns the Set-Cookie fields. */
async function signInFields(app: TestApp, headers: Record<string, string>): Promise<readonly string[]> {
  const token = app.kms.encrypt(credentialsPlaintext(later(900)));
  const result = await send(app.url, authPath(token), { headers });
  assert.equal(result.status, 302);
  return result.setCookies;
}

describe("startSession and endSession", () => {
  const alice = { arn: ALICE_ARN, account: ACCOUNT_ID, userId: "AIDAALICEEXAMPLE00001" };
  const message =
    "cookie-session did not run on this request: let the session loader's writesSession include it";

  it("when cookie-session did not run on the request, throw instead of silently writing no cookie", () => {
    assert.throws(() => startSession({} as Request, alice, START_TIME, ""), { name: "Error", message });
    assert.throws(() => endSession({} as Request), { name: "Error", message });
  });
});
