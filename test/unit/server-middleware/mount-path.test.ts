import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import express from "express";
import { findIamChallenge } from "../../../protocol/index.js";
import { iamAuth } from "../../../server-middleware/index.js";
import { resolveOptions } from "../../../server-middleware/options/options.js";
import { ACCOUNT_ID, ALICE_ARN, credentialsPlaintext } from "./fake-aws.js";
import { presignedUrl, stsToken } from "./fake-sts-endpoint.js";
import {
  cookieHeader,
  readChallengeParams,
  send,
  SECRET_A,
  SERVER_ID,
  START_TIME,
  startTestApp,
  type TestApp,
} from "./test-app.js";

const browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
const later = (seconds: number): Date => new Date(START_TIME.getTime() + seconds * 1000);

/** `<authPath>?token=…&return_url=…`, both values URL-encoded, as the proxy sends it. */
function handOver(authPath: string, token: string, returnUrl?: string): string {
  const query = new URLSearchParams({ token });
  if (returnUrl !== undefined) query.set("return_url", returnUrl);
  return `${authPath}?${query.toString()}`;
}

/** An STS proof for a fresh challenge of `path`, whose nonce cookie `send` then carries. */
async function stsProof(app: TestApp, path: string): Promise<string> {
  const nonce = (await readChallengeParams(app, path)).get("nonce");
  if (nonce === undefined) throw new Error("the challenge has no nonce");
  return stsToken(nonce, presignedUrl(app.clock.now));
}

describe('iamAuth mounted under a path: app.use("/admin", iamAuth(…))', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ methods: ["sts", "kms"], mountPath: "/admin" });
  });
  after(() => app.close());

  it("challenges with auth-path naming the mounted /auth, and sets the nonce cookie for that path only", async () => {
    const result = await send(app.url, "/admin/docs", { headers: { accept: "text/plain" } });
    assert.equal(result.status, 401);
    const lookup = findIamChallenge([String(result.headers["www-authenticate"])]);
    assert.equal(lookup.kind === "iam" ? lookup.challenge.authPath : "", "/admin/auth");
    assert.match(
      String(result.headers["www-authenticate"]),
      /^IAM realm="111122223333", methods="sts kms", server-id="app\.test:3000", nonce="[A-Za-z0-9_-]+", auth-path="\/admin\/auth"$/,
    );
    assert.equal(result.setCookies.length, 1);
    assert.match(result.setCookies[0] ?? "", /; Path=\/admin\/auth; Expires=[^;]+; HttpOnly; SameSite=Lax$/);
  });

  it("signs in with an STS proof at /admin/auth: the session cookie's Path is /admin, the nonce cookie is cleared there", async () => {
    const result = await send(
      app.url,
      handOver("/admin/auth", await stsProof(app, "/admin/docs"), "/admin/docs"),
    );
    assert.equal(result.status, 302, result.body);
    assert.equal(result.headers.location, "/admin/docs");
    assert.match(result.setCookies[0] ?? "", /=; Path=\/admin\/auth; Expires=Thu, 01 Jan 1970 00:00:00 GMT;/);
    const session = result.setCookies.filter((field) => /^iam-auth-session(?:\.sig)?=/.test(field));
    assert.equal(session.length, 2);
    for (const field of session)
      assert.match(field, /; path=\/admin; expires=[^;]+; samesite=lax; httponly$/);
    const page = await send(app.url, "/admin/docs", { headers: { cookie: cookieHeader(result.setCookies) } });
    assert.equal(page.status, 200);
    assert.equal(page.body, ALICE_ARN);
  });

  it("signs in with a KMS token at /admin/auth", async () => {
    const token = app.kms.encrypt(credentialsPlaintext(later(900)));
    const result = await send(app.url, handOver("/admin/auth", token, "/admin/"));
    assert.equal(result.status, 302, result.body);
    assert.equal(result.headers.location, "/admin/");
    const page = await send(app.url, "/admin/", { headers: { cookie: cookieHeader(result.setCookies) } });
    assert.equal(page.body, ALICE_ARN);
  });

  it('without return_url (or with "/"), goes back to the mount\'s own start, /admin/', async () => {
    for (const returnUrl of [undefined, "/"]) {
      const token = app.kms.encrypt(credentialsPlaintext(later(900)));
      const result = await send(app.url, handOver("/admin/auth", token, returnUrl));
      assert.equal(result.status, 302, result.body);
      assert.equal(result.headers.location, "/admin/");
    }
  });

  for (const returnUrl of ["/other", "/adminx/reports", "/Admin/docs", "/outside?x=/admin/"]) {
    it(`refuses return_url ${returnUrl} (not under /admin) with 403 RETURN_URL_UNSAFE, before any AWS call`, async () => {
      const decrypts = app.kms.decryptCalls.length;
      const token = app.kms.encrypt(credentialsPlaintext(later(900)));
      const result = await send(app.url, handOver("/admin/auth", token, returnUrl));
      assert.equal(result.status, 403);
      assert.equal(result.body, "return_url must be a path under /admin, where this sign-in applies\n");
      assert.equal(result.setCookies.length, 0);
      assert.equal(app.kms.decryptCalls.length, decrypts);
    });
  }

  it("serves sign-out at /admin/auth/sign-out: 303 to /admin/, the cookie cleared at Path=/admin", async () => {
    const result = await send(app.url, "/admin/auth/sign-out", { method: "POST" });
    assert.equal(result.status, 303);
    assert.equal(result.headers.location, "/admin/");
    assert.ok(result.setCookies.length > 0);
    for (const field of result.setCookies) assert.match(field, /; path=\/admin; expires=Thu, 01 Jan 1970/);
  });

  it("serves who-am-I at /admin/auth/whoami", async () => {
    const token = app.kms.encrypt(credentialsPlaintext(later(900)));
    const signedIn = await send(app.url, handOver("/admin/auth", token));
    const result = await send(app.url, "/admin/auth/whoami", {
      headers: { cookie: cookieHeader(signedIn.setCookies) },
    });
    assert.equal(result.status, 200);
    assert.equal((JSON.parse(result.body) as { arn: string }).arn, ALICE_ARN);
  });

  it('leads a refused browser\'s "Try again" to /admin/', async () => {
    const result = await send(app.url, handOver("/admin/auth", "not-a-token!"), {
      headers: { accept: browserAccept },
    });
    assert.equal(result.status, 403);
    assert.ok(result.body.includes('<a href="/admin/">Try again</a>'), result.body);
  });

  it("is not in the way outside its mount", async () => {
    const result = await send(app.url, "/outside");
    assert.equal(result.status, 200);
    assert.equal(result.body, "anonymous");
  });
});

describe("a session is accepted only under the mount it was signed in at", () => {
  let admin: TestApp;
  let other: TestApp;
  let root: TestApp;
  before(async () => {
    // The same cookie name and secrets: the cookie would verify anywhere; the mount decides.
    admin = await startTestApp({ methods: ["kms"], mountPath: "/admin" });
    other = await startTestApp({ methods: ["kms"], mountPath: "/other" });
    root = await startTestApp({ methods: ["kms"] });
  });
  after(async () => {
    await Promise.all([admin.close(), other.close(), root.close()]);
  });

  it("a session made under /admin, sent by hand to another mount, is no session there (401, logged)", async () => {
    const token = admin.kms.encrypt(credentialsPlaintext(later(900)));
    const signedIn = await send(admin.url, handOver("/admin/auth", token));
    const result = await send(other.url, "/other/docs", {
      headers: { cookie: cookieHeader(signedIn.setCookies), accept: "text/plain" },
    });
    assert.equal(result.status, 401);
    assert.match(
      other.lines.at(-1) ?? "",
      /session outcome=ignored reason="the session was signed in under \/admin, not \/other"/,
    );
    const atRoot = await send(root.url, "/docs", { headers: { cookie: cookieHeader(signedIn.setCookies) } });
    assert.equal(atRoot.status, 401);
    assert.match(root.lines.at(-1) ?? "", /reason="the session was signed in under \/admin, not \/"/);
  });

  it("a root session is no session under a mount", async () => {
    const token = root.kms.encrypt(credentialsPlaintext(later(900)));
    const signedIn = await send(root.url, handOver("/auth", token));
    assert.equal(signedIn.status, 302);
    const result = await send(admin.url, "/admin/docs", {
      headers: { cookie: cookieHeader(signedIn.setCookies) },
    });
    assert.equal(result.status, 401);
    assert.match(admin.lines.at(-1) ?? "", /reason="the session was signed in under \/, not \/admin"/);
  });

  it("at the root, the challenge has no auth-path and the cookies are what they always were", async () => {
    const challenge = await send(root.url, "/docs", { headers: { accept: "text/plain" } });
    assert.equal(
      challenge.headers["www-authenticate"],
      `IAM realm="${ACCOUNT_ID}", methods="kms", server-id="${SERVER_ID}"`,
    );
    const token = root.kms.encrypt(credentialsPlaintext(later(900)));
    const signedIn = await send(root.url, handOver("/auth", token));
    for (const field of signedIn.setCookies) assert.match(field, /; path=\/; /);
    const value = /^iam-auth-session=([^;]+)/.exec(signedIn.setCookies[0] ?? "")?.[1] ?? "";
    assert.deepEqual(Object.keys(JSON.parse(Buffer.from(value, "base64").toString("utf8")) as object), [
      "arn",
      "account",
      "userId",
      "issuedAt",
      "sid",
    ]);
  });
});

describe("a custom authPath", () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ methods: ["sts"], mountPath: "/admin", options: { authPath: "/login/iam" } });
  });
  after(() => app.close());

  it("is advertised with the mount path, and signs in there", async () => {
    const params = await send(app.url, "/admin/docs", { headers: { accept: "text/plain" } });
    assert.match(String(params.headers["www-authenticate"]), /, auth-path="\/admin\/login\/iam"$/);
    const result = await send(
      app.url,
      handOver("/admin/login/iam", await stsProof(app, "/admin/docs"), "/admin/docs"),
    );
    assert.equal(result.status, 302, result.body);
    assert.match(result.setCookies[0] ?? "", /=; Path=\/admin\/login\/iam; Expires=Thu, 01 Jan 1970/);
  });

  for (const [authPath, why] of [
    ["/a/../auth", 'it has a "." or ".." segment (got "/a/../auth")'],
    ["/a%2F..%2Fb", 'it has a percent-encoded "/", "\\", ";" or control character (got "/a%2F..%2Fb")'],
    ["/a//b", 'it has an empty segment ("//") (got "/a//b")'],
  ] as const) {
    it(`refuses ${authPath} at construction, naming the option`, () => {
      assert.throws(
        () =>
          resolveOptions({
            accountId: ACCOUNT_ID,
            sts: { serverId: "app.test" },
            sessionSecrets: [SECRET_A],
            authPath,
          }),
        {
          name: "TypeError",
          message: `iamAuth: invalid options:\n  - authPath: must be a path on the app's own site: ${why}`,
        },
      );
    });
  }
});

describe("a mount written as a pattern", () => {
  it("refuses a request whose matched mount path no client could be sent to (400 BAD_REQUEST)", async () => {
    const lines: string[] = [];
    const app = express();
    app.use(
      "/:team",
      iamAuth({
        accountId: ACCOUNT_ID,
        sts: { serverId: SERVER_ID },
        sessionSecrets: [SECRET_A],
        logger: (line) => lines.push(line),
      }),
    );
    const server = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const bad = await send(url, "/a;b/docs");
      assert.equal(bad.status, 400);
      assert.equal(
        bad.body,
        "The path this app's sign-in is mounted at must be a path on the app's own site: it has a character that is not a plain path character (query, fragment, backslash, ';', whitespace, control or non-ASCII) (got \"/a;b\")\n",
      );
      assert.equal(bad.setCookies.length, 0);
      const good = await send(url, "/red/docs", { headers: { accept: "text/plain" } });
      assert.equal(good.status, 401);
      assert.match(String(good.headers["www-authenticate"]), /, auth-path="\/red\/auth"$/);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
