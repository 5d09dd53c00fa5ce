import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ACCOUNT_ID, ALICE_ARN, SERVER_ID } from "../fake-aws.js";
import { send, signIn, startTestApp, START_TIME, type TestApp } from "../test-app.js";

describe("POST /auth/sign-out (signOutPath)", () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app.close());

  it("clears the session cookies and redirects 303 to /", async () => {
    const cookie = await signIn(app);
    app.lines.length = 0;
    const result = await send(app.url, "/auth/sign-out", { method: "POST", headers: { cookie } });
    assert.equal(result.status, 303);
    assert.equal(result.headers.location, "/");
    assert.equal(result.headers["cache-control"], "no-store");
    assert.equal(result.setCookies.length, 2);
    assert.match(
      result.setCookies[0] ?? "",
      /^iam-auth-session=; path=\/; expires=Thu, 01 Jan 1970 00:00:00 GMT; samesite=lax; httponly$/,
    );
    assert.match(
      result.setCookies[1] ?? "",
      /^iam-auth-session\.sig=[\w-]+; path=\/; expires=Thu, 01 Jan 1970 00:00:00 GMT; samesite=lax; httponly$/,
    );
    assert.deepEqual(app.lines, [
      `${START_TIME.toISOString()} audit action=sign-out outcome=success status=303 identity=${ALICE_ARN} remote=127.0.0.1 requestId=ID revoked=true`,
    ]);
  });

  it("revokes the session: the same cookie sent again (a copy kept elsewhere) gets the challenge and is cleared", async () => {
    const cookie = await signIn(app);
    assert.equal((await send(app.url, "/", { headers: { cookie } })).status, 200, "cached as verified first");
    assert.equal(
      (await send(app.url, "/auth/sign-out", { method: "POST", headers: { cookie } })).status,
      303,
    );
    app.lines.length = 0;
    const replayed = await send(app.url, "/", { headers: { cookie, accept: "text/plain" } });
    assert.equal(replayed.status, 401);
    assert.match(replayed.setCookies[0] ?? "", /^iam-auth-session=; path=\/; expires=Thu, 01 Jan 1970/);
    assert.deepEqual(app.lines, [
      `${START_TIME.toISOString()} session outcome=ignored reason="the session was signed out" remote=127.0.0.1`,
    ]);
    assert.equal(
      (await send(app.url, "/", { headers: { cookie: await signIn(app) } })).status,
      200,
      "a new sign-in works",
    );
  });

  it("when nobody is signed in, answers the same (303), without a challenge", async () => {
    const result = await send(app.url, "/auth/sign-out", { method: "POST" });
    assert.equal(result.status, 303);
    assert.equal(result.headers.location, "/");
  });

  for (const method of ["GET", "HEAD", "PUT"]) {
    it(`when ${method}: 405 with Allow: POST, and the session stays`, async () => {
      const cookie = await signIn(app);
      const result = await send(app.url, "/auth/sign-out", { method, headers: { cookie } });
      assert.equal(result.status, 405);
      assert.equal(result.headers.allow, "POST");
      if (method !== "HEAD") assert.equal(result.body, `${method} is not allowed here; use POST\n`);
      assert.deepEqual(result.setCookies, []);
      assert.equal((await send(app.url, "/", { headers: { cookie } })).status, 200);
    });
  }

  const crossSite: [string, Record<string, string>, string][] = [
    [
      "the browser says the request is cross-site",
      { "sec-fetch-site": "cross-site" },
      "Sec-Fetch-Site is cross-site",
    ],
    // Regression: what browsers send to a plain-HTTP app (no Sec-Fetch-Site) cleared the session.
    [
      "Origin is another site's, without Sec-Fetch-Site",
      { origin: "http://evil.example" },
      'Origin "http://evil.example" is not this app\'s',
    ],
    ["Origin is null (a sandboxed frame)", { origin: "null" }, 'Origin "null" is not this app\'s'],
    [
      "Origin is the app's host on another scheme",
      { origin: "https://127.0.0.1:PORT" },
      'Origin "https://127.0.0.1:PORT" is not this app\'s',
    ],
    [
      "there is no Origin and Referer is another site's",
      { referer: "http://evil.example/page?x=1" },
      'Referer "http://evil.example" is not this app\'s',
    ],
    ["there is no Origin and Referer is not a URL", { referer: "not a url" }, "Referer is not a URL"],
    [
      "Sec-Fetch-Site is cross-site even with this app's Origin",
      { "sec-fetch-site": "cross-site", origin: "http://127.0.0.1:PORT" },
      "Sec-Fetch-Site is cross-site",
    ],
  ];
  for (const [name, headers, reason] of crossSite) {
    it(`when ${name}: 403 SIGN_OUT_CROSS_SITE, and the session stays`, async () => {
      const cookie = await signIn(app);
      app.lines.length = 0;
      const port = new URL(app.url).port;
      const sent = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, v.replace("PORT", port)]));
      const result = await send(app.url, "/auth/sign-out", { method: "POST", headers: { cookie, ...sent } });
      assert.equal(result.status, 403);
      assert.equal(result.body, "Sign-out must come from this site\n");
      assert.deepEqual(result.setCookies, []);
      assert.deepEqual(app.lines, [
        `${START_TIME.toISOString()} audit action=sign-out outcome=refused reason=SIGN_OUT_CROSS_SITE status=403 remote=127.0.0.1 requestId=ID message=${JSON.stringify(reason.replace("PORT", port))}`,
      ]);
      assert.equal((await send(app.url, "/", { headers: { cookie } })).status, 200);
    });
  }

  for (const [name, headers] of [
    ["Origin is the app's own", { origin: "http://127.0.0.1:PORT" }],
    ["Referer is the app's own, without Origin", { referer: "http://127.0.0.1:PORT/home" }],
    ["Sec-Fetch-Site is same-origin", { "sec-fetch-site": "same-origin" }],
  ] as const) {
    it(`when ${name}: signs out (303)`, async () => {
      const cookie = await signIn(app);
      const port = new URL(app.url).port;
      const sent = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, v.replace("PORT", port)]));
      const result = await send(app.url, "/auth/sign-out", { method: "POST", headers: { cookie, ...sent } });
      assert.equal(result.status, 303);
    });
  }

  it("behind a trusted TLS proxy, takes the app's origin from X-Forwarded-Proto and Host", async () => {
    const behind = await startTestApp({ trustProxy: "loopback" });
    try {
      const cookie = await signIn(behind);
      const result = await send(behind.url, "/auth/sign-out", {
        method: "POST",
        headers: {
          cookie,
          host: "app.example.com",
          "x-forwarded-proto": "https",
          origin: "https://app.example.com",
        },
      });
      assert.equal(result.status, 303);
    } finally {
      await behind.close();
    }
  });
});

describe("GET /auth/whoami (whoamiPath)", () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ options: { sessionMaxAgeSeconds: 600 } });
  });
  after(() => app.close());

  it("answers the signed-in caller as JSON, with the session's times", async () => {
    const cookie = await signIn(app);
    app.clock.now = new Date(START_TIME.getTime() + 5000);
    const result = await send(app.url, "/auth/whoami", { headers: { cookie } });
    app.clock.now = START_TIME;
    assert.equal(result.status, 200);
    assert.equal(result.headers["content-type"], "application/json; charset=utf-8");
    assert.equal(result.headers["cache-control"], "no-store");
    assert.deepEqual(JSON.parse(result.body), {
      arn: ALICE_ARN,
      account: ACCOUNT_ID,
      userId: "AIDAALICEEXAMPLE00001",
      issuedAt: "2030-01-01T00:00:00.000Z",
      expiresAt: "2030-01-01T00:10:00.000Z",
    });
  });

  it("when nobody is signed in, answers with the challenge", async () => {
    const result = await send(app.url, "/auth/whoami", { headers: { accept: "application/json" } });
    assert.equal(result.status, 401);
    assert.equal(
      result.headers["www-authenticate"],
      `IAM realm="${ACCOUNT_ID}", methods="kms", server-id="${SERVER_ID}"`,
    );
  });

  it("when it is in publicPaths, still challenges callers without a session", async () => {
    const open = await startTestApp({ options: { publicPaths: ["/auth/*"] } });
    try {
      assert.equal((await send(open.url, "/auth/whoami")).status, 401);
    } finally {
      await open.close();
    }
  });

  it("when the method is POST: 405 with Allow: GET, HEAD", async () => {
    const cookie = await signIn(app);
    const result = await send(app.url, "/auth/whoami", { method: "POST", headers: { cookie } });
    assert.equal(result.status, 405);
    assert.equal(result.headers.allow, "GET, HEAD");
    assert.equal(result.body, "POST is not allowed here; use GET\n");
  });
});

describe("custom signOutPath and whoamiPath", () => {
  it("serves the routes there", async () => {
    const app = await startTestApp({ options: { signOutPath: "/logout", whoamiPath: "/me" } });
    try {
      const cookie = await signIn(app);
      assert.equal((await send(app.url, "/me", { headers: { cookie } })).status, 200);
      assert.equal((await send(app.url, "/logout", { method: "POST", headers: { cookie } })).status, 303);
      assert.equal((await send(app.url, "/auth/whoami")).status, 401, "an ordinary protected path now");
      // The signed-out cookie is no session any more (revoked): sign in again to see the old path unserved.
      const again = await signIn(app);
      assert.equal((await send(app.url, "/auth/whoami", { headers: { cookie: again } })).status, 404);
    } finally {
      await app.close();
    }
  });
});
