import assert from "node:assert/strict";
import crypto from "node:crypto";
import { afterEach, beforeEach, describe, it, mock } from "node:test";
import { ALICE_ARN, credentialsPlaintext } from "../fake-aws.js";
import {
  authPath,
  cookieHeader,
  send,
  signIn,
  startTestApp,
  SECRET_A,
  SECRET_B,
  START_TIME,
  type HttpResult,
  type TestApp,
} from "../test-app.js";

/*
 * The cache of cookies cookie-session has already verified (server-middleware/session/session-loader.ts).
 * A hit is recognised by what it skips: keygrip computes HMACs (crypto.createHmac) to verify a
 * signature, a hit computes none.
 */

const later = (seconds: number): Date => new Date(START_TIME.getTime() + seconds * 1000);
const FORGED = "the session cookie is forged, unreadable or signed with a retired secret";

/** The Cookie header's two values. */
function readCookies(cookie: string): { value: string; signature: string } {
  const [value, signature] = cookie.split("; ").map((pair) => pair.slice(pair.indexOf("=") + 1));
  return { value: value ?? "", signature: signature ?? "" };
}

const cookieOf = (value: string, signature: string): string =>
  `iam-auth-session=${value}; iam-auth-session.sig=${signature}`;

/** GET / with `cookie`, counting the HMACs computed while it is served. */
async function sendCounting(app: TestApp, cookie: string): Promise<HttpResult & { hmacs: number }> {
  const createHmac = mock.method(crypto, "createHmac");
  try {
    const result = await send(app.url, "/", { headers: { cookie, accept: "text/plain" } });
    return { ...result, hmacs: createHmac.mock.callCount() };
  } finally {
    createHmac.mock.restore();
  }
}

/** Asserts the response clears both cookies. */
function assertCleared(result: HttpResult): void {
  assert.equal(result.setCookies.length, 2);
  assert.match(
    result.setCookies[0] ?? "",
    /^iam-auth-session=; path=\/; expires=Thu, 01 Jan 1970 00:00:00 GMT;/,
  );
  assert.match(
    result.setCookies[1] ?? "",
    /^iam-auth-session\.sig=[\w-]+; path=\/; expires=Thu, 01 Jan 1970 00:00:00 GMT;/,
  );
}

/** Asserts the request got the challenge and the response clears both cookies. */
function assertRefusedAndCleared(result: HttpResult): void {
  assert.equal(result.status, 401);
  assertCleared(result);
}

describe("the verified-cookie cache", () => {
  // A fresh app (and cache) per test: sign-ins at the same time give the same cookie.
  let app: TestApp;
  beforeEach(async () => {
    app = await startTestApp();
  });
  afterEach(() => app.close());

  /** Signs in and sends the cookie once, so that it is cached; returns the cookie. */
  async function signInCached(): Promise<string> {
    const cookie = await signIn(app);
    const first = await sendCounting(app, cookie);
    assert.equal(first.status, 200);
    assert.ok(first.hmacs > 0, "the first request verifies the signature");
    return cookie;
  }

  it("when the same cookie comes again, it is not verified again and no cookie is set", async () => {
    const cookie = await signInCached();
    const again = await sendCounting(app, cookie);
    assert.equal(again.status, 200);
    assert.equal(again.body, ALICE_ARN);
    assert.equal(again.hmacs, 0);
    assert.deepEqual(again.setCookies, []);
  });

  it("when a cached cookie passes sessionMaxAgeSeconds (issuedAt + 3600 s), it gets the challenge and is cleared", async () => {
    const cookie = await signInCached();
    app.clock.now = later(3599);
    const before = await sendCounting(app, cookie);
    assert.equal(before.status, 200);
    assert.equal(before.hmacs, 0, "served from the cache");
    app.lines.length = 0;
    app.clock.now = later(3600);
    const expired = await sendCounting(app, cookie);
    assertRefusedAndCleared(expired);
    assert.deepEqual(app.lines, [
      `${later(3600).toISOString()} session outcome=ignored reason="the session expired" remote=127.0.0.1`,
    ]);
    app.clock.now = later(7200);
    assert.equal((await sendCounting(app, cookie)).status, 401, "and stays expired");
  });

  it("when the signature of a cached cookie is tampered with, it is no session", async () => {
    const cookie = await signInCached();
    const { value, signature } = readCookies(cookie);
    const last = signature.at(-1) === "A" ? "B" : "A";
    const tampered = cookieOf(value, `${signature.slice(0, -1)}${last}`);
    for (const attempt of ["first", "second"]) {
      const result = await sendCounting(app, tampered);
      assertRefusedAndCleared(result);
      assert.ok(result.hmacs > 0, `the ${attempt} attempt is verified, not served from the cache`);
      assert.deepEqual(app.lines.slice(-1), [
        `${START_TIME.toISOString()} session outcome=ignored reason="${FORGED}" remote=127.0.0.1`,
      ]);
    }
  });

  it("when a cached value comes with the signature of another cached cookie, it is no session", async () => {
    const first = readCookies(await signInCached());
    app.clock.now = later(1);
    const second = readCookies(await signInCached());
    assert.notEqual(first.value, second.value);
    assertRefusedAndCleared(await sendCounting(app, cookieOf(first.value, second.signature)));
    assertRefusedAndCleared(await sendCounting(app, cookieOf(second.value, first.signature)));
    assert.equal((await sendCounting(app, cookieOf(first.value, first.signature))).status, 200);
  });

  it("when the value of a cached cookie is altered (signature kept), it is no session", async () => {
    const { value, signature } = readCookies(await signInCached());
    const altered = Buffer.from(
      Buffer.from(value, "base64").toString("utf8").replace("alice", "admin"),
    ).toString("base64");
    assertRefusedAndCleared(await sendCounting(app, cookieOf(altered, signature)));
  });

  describe("a header that names the cookie twice: the first counts, as in cookie-session", () => {
    it("when a forged value comes before the cached one, it is no session", async () => {
      const { value, signature } = readCookies(await signInCached());
      const forged = Buffer.from('{"arn":"x"}').toString("base64");
      const result = await sendCounting(
        app,
        `iam-auth-session=${forged}; iam-auth-session=${value}; iam-auth-session.sig=${signature}`,
      );
      assert.equal(result.status, 401);
    });

    it("when a wrong signature comes before the cached one, it is no session", async () => {
      const { value, signature } = readCookies(await signInCached());
      const result = await sendCounting(
        app,
        `iam-auth-session=${value}; iam-auth-session.sig=wrong; iam-auth-session.sig=${signature}`,
      );
      assert.equal(result.status, 401);
    });

    it("when the cached value comes in double quotes, it is the same cookie", async () => {
      const { value, signature } = readCookies(await signInCached());
      const result = await sendCounting(
        app,
        `iam-auth-session="${value}"; iam-auth-session.sig=${signature}`,
      );
      assert.equal(result.status, 200);
      assert.equal(result.hmacs, 0);
    });
  });

  it("when a cached session signs out, the response still clears both cookies", async () => {
    const cookie = await signInCached();
    const result = await send(app.url, "/auth/sign-out", { method: "POST", headers: { cookie } });
    assert.equal(result.status, 303);
    assertCleared(result);
    assert.match(
      app.lines.at(-1) ?? "",
      /^\S+ audit action=sign-out outcome=success status=303 identity=\S+ remote=127\.0\.0\.1 requestId=ID revoked=true$/,
    );
  });

  it("when a cached session signs in again, the new session replaces it", async () => {
    const old = await signInCached();
    app.clock.now = later(10);
    const token = app.kms.encrypt(credentialsPlaintext(later(900)));
    const result = await send(app.url, authPath(token), { headers: { cookie: old } });
    assert.equal(result.status, 302);
    const fresh = readCookies(cookieHeader(result.setCookies));
    const stored: unknown = JSON.parse(Buffer.from(fresh.value, "base64").toString("utf8"));
    assert.equal((stored as { issuedAt: number }).issuedAt, later(10).getTime());
    assert.equal((await sendCounting(app, cookieOf(fresh.value, fresh.signature))).status, 200);
  });
});

describe("the cache across instances and secrets", () => {
  it("when another instance with other secrets cached a cookie, this one still refuses it", async () => {
    const other = await startTestApp({ options: { sessionSecrets: [SECRET_B] } });
    const app = await startTestApp({ options: { sessionSecrets: [SECRET_A] } });
    try {
      const cookie = await signIn(other);
      assert.equal((await sendCounting(other, cookie)).status, 200);
      assert.equal((await sendCounting(other, cookie)).hmacs, 0, "cached by the other instance");
      const result = await sendCounting(app, cookie);
      assertRefusedAndCleared(result);
      assert.deepEqual(app.lines.slice(-1), [
        `${START_TIME.toISOString()} session outcome=ignored reason="${FORGED}" remote=127.0.0.1`,
      ]);
    } finally {
      await Promise.all([other.close(), app.close()]);
    }
  });

  it("when a cookie verifies with an older secret, every response re-signs it with the first (never cached)", async () => {
    const before = await startTestApp({ options: { sessionSecrets: [SECRET_A] } });
    const cookie = await signIn(before);
    await before.close();
    const rotated = await startTestApp({ options: { sessionSecrets: [SECRET_B, SECRET_A] } });
    try {
      const resigned: string[] = [];
      for (let i = 0; i < 2; i++) {
        const result = await sendCounting(rotated, cookie);
        assert.equal(result.status, 200);
        assert.ok(result.hmacs > 0, `request ${i + 1} is verified`);
        assert.equal(result.setCookies.length, 1);
        assert.match(result.setCookies[0] ?? "", /^iam-auth-session\.sig=[\w-]+; path=\/; httponly$/);
        resigned.push((result.setCookies[0] ?? "").split(";")[0] ?? "");
      }
      assert.equal(resigned[0], resigned[1]);
      // The browser sends the new signature back: that pair verifies with the first secret and is cached.
      const renewed = `${cookie.split("; ")[0]}; ${resigned[0]}`;
      assert.equal((await sendCounting(rotated, renewed)).status, 200);
      const cached = await sendCounting(rotated, renewed);
      assert.equal(cached.status, 200);
      assert.equal(cached.hmacs, 0);
      assert.deepEqual(cached.setCookies, []);
    } finally {
      await rotated.close();
    }
  });
});
