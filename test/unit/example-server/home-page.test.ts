import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { createExampleApp } from "../../../example-server/app.js";
import type { ExampleConfig } from "../../../example-server/config.js";
import { renderHomePage, SIGN_OUT_PATH } from "../../../example-server/home-page.js";
import {
  ACCOUNT_ID,
  ALICE_ARN,
  CONTEXT,
  credentialsPlaintext,
  FakeKms,
  FakeSts,
  KEY_ARN,
  SERVER_ID,
} from "../server-middleware/fake-aws.js";
import { authPath, cookieHeader, send, SECRET_A, START_TIME } from "../server-middleware/test-app.js";

const browserAccept =
  "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8";
const session = Object.freeze({
  arn: ALICE_ARN,
  account: ACCOUNT_ID,
  userId: "AIDAALICEEXAMPLE00001",
  issuedAt: new Date("2030-01-01T00:00:00.000Z"),
  expiresAt: new Date("2030-01-01T01:00:00.000Z"),
  sessionId: "AAAAAAAAAAAAAAAAAAAAAA",
});

/** Pages are compared as a person reads them: runs of whitespace are one space. */
const flat = (markup: string): string => markup.replace(/\s+/g, " ");

describe("the example server's home page", () => {
  const page = flat(renderHomePage(session, session));

  it("is titled, with one h1 saying the same", () => {
    assert.ok(page.includes("<title>You are signed in</title>"));
    assert.equal(page.match(/<h1>[^<]*<\/h1>/g)?.join(), "<h1>You are signed in</h1>");
    assert.match(page, /<html lang="en">/);
  });

  it("shows the ARN, the account, and when the session started and ends", () => {
    assert.ok(page.includes(`<dt>Identity (ARN)</dt> <dd><code>${ALICE_ARN}</code></dd>`));
    assert.ok(page.includes(`<dt>Account</dt> <dd><code>${ACCOUNT_ID}</code></dd>`));
    assert.ok(
      page.includes(
        '<dt>Signed in</dt> <dd><time datetime="2030-01-01T00:00:00.000Z">2030-01-01 00:00:00 UTC</time></dd>',
      ),
    );
    assert.ok(
      page.includes(
        '<dt>Session expires</dt> <dd><time datetime="2030-01-01T01:00:00.000Z">2030-01-01 01:00:00 UTC</time></dd>',
      ),
    );
  });

  it("has a sign-out button that posts to the middleware's sign-out route", () => {
    assert.equal(SIGN_OUT_PATH, "/auth/sign-out");
    assert.ok(
      page.includes(
        '<form method="post" action="/auth/sign-out"><button type="submit">Sign out</button></form>',
      ),
    );
  });

  it("escapes the ARN: <script> in it stays text", () => {
    const hostile = flat(
      renderHomePage(
        { ...session, arn: `arn:aws:iam::${ACCOUNT_ID}:user/<script>x</script>` },
        { ...session, arn: `arn:aws:iam::${ACCOUNT_ID}:user/<script>x</script>` },
      ),
    );
    assert.ok(
      hostile.includes(`<code>arn:aws:iam::${ACCOUNT_ID}:user/&lt;script&gt;x&lt;/script&gt;</code>`),
    );
    assert.ok(!hostile.includes("<script>"));
  });

  it("without a session (a header proof): the identity alone, no session times, no sign-out form", () => {
    const proven = flat(renderHomePage(session, undefined));
    assert.ok(proven.includes("<title>Your AWS identity</title>"));
    assert.ok(proven.includes(`<code>${session.arn}</code>`));
    assert.ok(!proven.includes("Session expires"));
    assert.ok(!proven.includes("<form"));
  });
});

describe("GET / of the example app", () => {
  const kms = new FakeKms();
  const sts = new FakeSts();
  const config: ExampleConfig = {
    accountId: ACCOUNT_ID,
    secretKey: SECRET_A,
    methods: ["kms"],
    kms: {
      keyArn: KEY_ARN,
      encryptionContext: CONTEXT,
      region: "us-east-1",
      serverId: SERVER_ID,
      bound: true,
      acceptUnboundTokens: false,
    },
    sts: undefined,
    allowedAccounts: undefined,
    allowedPrincipals: undefined,
    host: "127.0.0.1",
    port: 0,
  };
  let url: string;
  let close: () => Promise<void>;
  let cookie: string;

  before(async () => {
    const app = createExampleApp(config, {
      kmsClient: kms.asClient(),
      createStsClient: sts.factory,
      clock: () => START_TIME,
      logger: () => undefined,
    });
    const server = app.listen(0, "127.0.0.1");
    await new Promise<void>((resolve) => server.once("listening", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    const token = kms.encrypt(credentialsPlaintext(new Date(START_TIME.getTime() + 900_000)));
    const signIn = await send(url, authPath(token));
    assert.equal(signIn.status, 302);
    cookie = cookieHeader(signIn.setCookies);
  });
  after(() => close());

  it("for a browser: the home page, never cached, with the page CSP plus form-action and frame-ancestors", async () => {
    const result = await send(url, "/", { headers: { cookie, accept: browserAccept } });
    assert.equal(result.status, 200);
    assert.equal(result.headers["content-type"], "text/html; charset=utf-8");
    assert.equal(result.headers["cache-control"], "no-store");
    assert.equal(result.headers.vary, "Accept");
    assert.equal(
      result.headers["content-security-policy"],
      "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
    );
    assert.equal(
      result.body,
      renderHomePage(session, {
        ...session,
        issuedAt: START_TIME,
        expiresAt: new Date(START_TIME.getTime() + 3_600_000),
      }),
    );
  });

  for (const [name, headers] of [
    ["curl (*/*)", { accept: "*/*" }],
    ["a client without Accept", {}],
    ["a client that asks for text", { accept: "text/plain" }],
  ] as const) {
    it(`for ${name}: exactly the ARN and a newline, as text/plain`, async () => {
      const result = await send(url, "/", { headers: { cookie, ...headers } });
      assert.equal(result.status, 200);
      assert.equal(result.headers["content-type"], "text/plain; charset=utf-8");
      assert.equal(result.body, `${ALICE_ARN}\n`);
    });
  }

  it("the page's sign-out form ends the session: 303 to / and the cookies cleared", async () => {
    const result = await send(url, SIGN_OUT_PATH, {
      method: "POST",
      headers: { cookie, accept: browserAccept, "sec-fetch-site": "same-origin" },
    });
    assert.equal(result.status, 303);
    assert.equal(result.headers.location, "/");
    // The session cookie emptied, and both it and its signature expired.
    assert.equal(result.setCookies.length, 2);
    assert.match(result.setCookies[0] ?? "", /^iam-auth-session=; /);
    for (const line of result.setCookies) assert.match(line, /; expires=Thu, 01 Jan 1970 00:00:00 GMT;/);
  });

  it("/check keeps its text answer for browsers too", async () => {
    const result = await send(url, "/check", { headers: { accept: browserAccept } });
    assert.equal(result.status, 200);
    assert.equal(result.body, ":(\n");
  });
});
