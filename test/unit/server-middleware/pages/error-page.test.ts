import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { renderErrorPage } from "../../../../server-middleware/pages/error-page.js";
import { IamAuthError, type IamAuthErrorCode } from "../../../../server-middleware/index.js";
import {
  ACCOUNT_ID,
  ALICE_ARN,
  ALICE_SECRET,
  ALICE_SESSION_TOKEN,
  credentialsPlaintext,
} from "../fake-aws.js";
import { authPath, send, startTestApp, type HttpResult, type TestApp } from "../test-app.js";

const browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
const HOSTILE_ARN = `arn:aws:iam::${ACCOUNT_ID}:user/<script>alert(1)</script>`;
const HOSTILE_KEY_ID = "ASIAHOSTILEEXAMPLE01";
const devOnly = { allowedPrincipals: [`arn:aws:iam::${ACCOUNT_ID}:role/Dev*`] };

/** Every code, with the title its page carries (a Record, so a new code fails to compile here until added). */
const titleByCode: Readonly<Record<IamAuthErrorCode, string>> = {
  NOT_ALLOWED: "You are not allowed to use this app",
  TOKEN_MISSING: "Your sign-in proof was not accepted",
  TOKEN_INVALID: "Your sign-in proof was not accepted",
  TOKEN_UNREADABLE: "Your sign-in proof was not accepted",
  TOKEN_FOREIGN_KEY: "Your sign-in proof was not accepted",
  TOKEN_REPLAYED: "Your sign-in proof was not accepted",
  KMS_TOKEN_UNBOUND: "Your sign-in proof was not accepted",
  AUTH_METHOD_NOT_ACCEPTED: "Your sign-in proof was not accepted",
  CREDENTIALS_INVALID: "Your sign-in proof was not accepted",
  CREDENTIALS_EXPIRED: "Your sign-in proof was not accepted",
  CREDENTIALS_REJECTED: "Your sign-in proof was not accepted",
  STS_PROOF_MALFORMED: "Your sign-in proof was not accepted",
  STS_PROOF_REJECTED: "Your sign-in proof was not accepted",
  STS_PROOF_REFUSED: "Your sign-in proof was not accepted",
  NONCE_INVALID: "Your sign-in proof was not accepted",
  NONCE_EXPIRED: "Your sign-in proof was not accepted",
  NONCE_COOKIE_MISSING: "Your sign-in proof was not accepted",
  NONCE_COOKIE_MISMATCH: "Your sign-in proof was not accepted",
  RETURN_URL_UNSAFE: "This sign-in link is not safe to follow",
  BAD_REQUEST: "This sign-in request is malformed",
  METHOD_NOT_ALLOWED: "This sign-in request is malformed",
  SIGN_OUT_CROSS_SITE: "This sign-in request is malformed",
  KMS_UNAVAILABLE: "Sign-in is not available right now",
  KMS_THROTTLED: "Sign-in is not available right now",
  KMS_ACCESS_DENIED: "Sign-in is not available right now",
  KMS_KEY_UNUSABLE: "Sign-in is not available right now",
  STS_UNAVAILABLE: "Sign-in is not available right now",
  STS_THROTTLED: "Sign-in is not available right now",
  STS_BAD_RESPONSE: "Sign-in is not available right now",
  SIGN_IN_RATE_LIMITED: "Sign-in is not available right now",
  REPLAY_STORE_FULL: "Sign-in is not available right now",
  REPLAY_STORE_UNAVAILABLE: "Sign-in is not available right now",
};

/** Pages are compared as a person reads them: runs of whitespace are one space. */
const flat = (markup: string): string => markup.replace(/\s+/g, " ");

function assertPage(markup: string, title: string, reason: string): void {
  const body = flat(markup);
  assert.ok(body.includes(`<title>${title}</title>`), `title ${title} in:\n${body}`);
  assert.equal(body.match(/<h1>[^<]*<\/h1>/g)?.join(), `<h1>${title}</h1>`);
  assert.ok(body.includes(`<p><strong>Reason:</strong> ${reason}</p>`), `reason ${reason} in:\n${body}`);
  assert.ok(body.includes('<p><a href="/">Try again</a></p>'));
}

describe("the sign-in refusal page", () => {
  for (const [code, title] of Object.entries(titleByCode) as [IamAuthErrorCode, string][]) {
    it(`for ${code}: "${title}", the message as the reason, a try-again link and the code`, () => {
      const error = new IamAuthError(code, `Message of ${code}`);
      const page = renderErrorPage(error);
      assertPage(page, title, `Message of ${code}`);
      assert.ok(page.includes(`Error <code>${code}</code> (HTTP ${error.status}).`));
    });
  }

  it("says what to do when the identity is not allowed", () => {
    const page = renderErrorPage(
      new IamAuthError("NOT_ALLOWED", `The identity ${ALICE_ARN} is not allowed to use this app`),
    );
    assertPage(
      page,
      "You are not allowed to use this app",
      `The identity ${ALICE_ARN} is not allowed to use this app`,
    );
    assert.ok(flat(page).includes("Ask the app's owners for access, or sign in as another identity"));
  });

  it("escapes the message: <script> in an ARN stays text", () => {
    const page = renderErrorPage(
      new IamAuthError("NOT_ALLOWED", `The identity ${HOSTILE_ARN} is not allowed to use this app`),
    );
    assert.ok(
      page.includes(
        `The identity arn:aws:iam::${ACCOUNT_ID}:user/&lt;script&gt;alert(1)&lt;/script&gt; is not allowed to use this app`,
      ),
    );
    assert.ok(!page.includes("<script>"));
  });

  it("shows the message only: not the cause, its stack or anything inside it", () => {
    const cause = new Error(`socket hang up; token=${ALICE_SESSION_TOKEN}`);
    const page = renderErrorPage(
      new IamAuthError("KMS_UNAVAILABLE", "AWS KMS could not be reached or failed; try again later", {
        cause,
      }),
    );
    assertPage(
      page,
      "Sign-in is not available right now",
      "AWS KMS could not be reached or failed; try again later",
    );
    assert.ok(!page.includes("socket hang up"));
    assert.ok(!page.includes(ALICE_SESSION_TOKEN));
    assert.doesNotMatch(page, /\bat .*\.js:\d+/);
  });
});

describe("refusals at /auth, as a page or a line", () => {
  async function withApp(options: Parameters<typeof startTestApp>[0], run: (app: TestApp) => Promise<void>) {
    const app = await startTestApp(options);
    try {
      await run(app);
    } finally {
      await app.close();
    }
  }

  function tokenFor(app: TestApp, accessKeyId?: string): string {
    return app.kms.encrypt(credentialsPlaintext(new Date(app.clock.now.getTime() + 900_000), accessKeyId));
  }

  function assertPageHeaders(result: HttpResult, status: number): void {
    assert.equal(result.status, status);
    assert.equal(result.headers["content-type"], "text/html; charset=utf-8");
    assert.equal(result.headers["content-security-policy"], "default-src 'none'; style-src 'unsafe-inline'");
    assert.equal(result.headers["cache-control"], "no-store");
    assert.equal(result.headers["x-content-type-options"], "nosniff");
    assert.equal(result.headers.vary, "Accept");
    assert.deepEqual(result.setCookies, []);
  }

  it("when a browser's identity is not allowed: a 403 page naming the identity, no session, no token", async () => {
    await withApp({ options: devOnly }, async (app) => {
      const token = tokenFor(app);
      const result = await send(app.url, authPath(token, "/docs"), { headers: { accept: browserAccept } });
      assertPageHeaders(result, 403);
      assertPage(
        result.body,
        "You are not allowed to use this app",
        `The identity ${ALICE_ARN} is not allowed to use this app`,
      );
      for (const secret of [token, ALICE_SECRET, ALICE_SESSION_TOKEN])
        assert.ok(!result.body.includes(secret));
    });
  });

  it("when a client does not prefer HTML, exactly the one line it always got", async () => {
    await withApp({ options: devOnly }, async (app) => {
      for (const headers of [{}, { accept: "*/*" }, { accept: "text/plain, */*" }] as Record<
        string,
        string
      >[]) {
        const result = await send(app.url, authPath(tokenFor(app)), { headers });
        assert.equal(result.status, 403);
        assert.equal(result.headers["content-type"], "text/plain; charset=utf-8");
        assert.equal(result.body, `The identity ${ALICE_ARN} is not allowed to use this app\n`);
        assert.deepEqual(result.setCookies, []);
      }
    });
  });

  it("when the refused ARN holds <script>, the page shows it as text", async () => {
    await withApp({ options: devOnly }, async (app) => {
      app.sts.identities.set(HOSTILE_KEY_ID, {
        Arn: HOSTILE_ARN,
        Account: ACCOUNT_ID,
        UserId: "AIDAHOSTILE0000000001",
      });
      const result = await send(app.url, authPath(tokenFor(app, HOSTILE_KEY_ID)), {
        headers: { accept: browserAccept },
      });
      assertPageHeaders(result, 403);
      assert.ok(
        result.body.includes("user/&lt;script&gt;alert(1)&lt;/script&gt; is not allowed to use this app"),
      );
      assert.ok(!result.body.includes("<script>"));
    });
  });

  it("when the token is missing: the proof page with the reason", async () => {
    await withApp({}, async (app) => {
      const result = await send(app.url, "/auth", { headers: { accept: browserAccept } });
      assertPageHeaders(result, 403);
      assertPage(result.body, "Your sign-in proof was not accepted", "The token query parameter is missing");
      const text = await send(app.url, "/auth", { headers: { accept: "text/plain" } });
      assert.equal(text.body, "The token query parameter is missing\n");
    });
  });

  it("when return_url leads off the site: the unsafe-link page", async () => {
    await withApp({}, async (app) => {
      const result = await send(app.url, authPath(tokenFor(app), "//evil.example.com/"), {
        headers: { accept: browserAccept },
      });
      assertPageHeaders(result, 403);
      assert.ok(result.body.includes("<title>This sign-in link is not safe to follow</title>"));
      assert.ok(result.body.includes("Error <code>RETURN_URL_UNSAFE</code> (HTTP 403)."));
    });
  });

  it("when the method is not GET: a 405 page that keeps the Allow field", async () => {
    await withApp({}, async (app) => {
      const result = await send(app.url, "/auth", { method: "POST", headers: { accept: browserAccept } });
      assertPageHeaders(result, 405);
      assert.equal(result.headers.allow, "GET, HEAD");
      assertPage(result.body, "This sign-in request is malformed", "POST is not allowed here; use GET");
    });
  });

  it("when AWS fails: a 502 page that says so, without the cause", async () => {
    await withApp({}, async (app) => {
      app.kms.failWith = new Error(`connect ECONNREFUSED 127.0.0.1:4566 ${ALICE_SESSION_TOKEN}`);
      const result = await send(app.url, authPath(tokenFor(app)), { headers: { accept: browserAccept } });
      assertPageHeaders(result, 502);
      assert.ok(result.body.includes("<title>Sign-in is not available right now</title>"));
      assert.ok(!result.body.includes("ECONNREFUSED"));
      assert.ok(!result.body.includes(ALICE_SESSION_TOKEN));
    });
  });
});
