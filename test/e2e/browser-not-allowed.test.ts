import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { demoAccount } from "../../local-aws/demo-account.js";
import { findIamChallenge, formatStsProof, WWW_AUTHENTICATE_HEADER } from "../../protocol/index.js";
import { presignCallerIdentity } from "../../proxy/aws/sts-presign.js";
import { launchBrowser, type TestBrowser } from "../helpers/browser.js";
import { startBrowserTestApp, startProxiedBrowser, type ProxiedBrowser } from "../helpers/browser-suite.js";
import { httpRequest } from "../helpers/http-client.js";
import { startLocalAws, type LocalAws } from "../helpers/local-aws.js";
import type { RunningService } from "../helpers/service.js";

/*
 * A person whose AWS identity is proven but whom the app does not let in: the example server
 * allows only the Dev* roles, the proxy signs in as the demo user. With `--login-flow redirect`
 * the browser itself hands the proof to the app and gets the app's 403 page; with the default
 * flow the proxy hands it over, with the browser's Accept header, and relays that same page.
 */

const suite = "browser-not-allowed";
const { users, accountId, region } = demoAccount;
const DEMO_ARN = users.demo.arn;
const REASON = `The identity ${DEMO_ARN} is not allowed to use this app`;
const PAGE_TITLE = "You are not allowed to use this app";
const loginFlows = ["proxy", "redirect"] as const;

describe("Chromium, as an identity the app does not allow (real processes: local AWS, example server, proxy)", () => {
  let localAws: LocalAws;
  let app: RunningService;

  before(async () => {
    localAws = await startLocalAws(suite);
    app = await startBrowserTestApp(suite, localAws, {
      ALLOWED_PRINCIPALS: `arn:aws:iam::${accountId}:role/Dev*`,
    });
  });
  after(async () => {
    await app?.stop();
    await localAws?.stop();
  });

  /**
   * A fresh STS proof for the demo user, made as a proxy makes it: a presigned
   * sts:GetCallerIdentity (of the local STS) bound to the app's server-id and a nonce from its challenge.
   */
  /** A proof of the demo user for the nonce of `wwwAuthenticate` (default: a challenge fetched outside the browser). */
  async function demoProof(wwwAuthenticate?: string): Promise<string> {
    const header =
      wwwAuthenticate ??
      String(
        (await httpRequest(`${app.url}/`, { headers: { accept: "text/plain" } })).headers[
          WWW_AUTHENTICATE_HEADER
        ],
      );
    const lookup = findIamChallenge([header]);
    const nonce = lookup.kind === "iam" ? lookup.challenge.params.get("nonce") : undefined;
    assert.ok(nonce !== undefined, "the challenge offers the STS method");
    const presignedUrl = await presignCallerIdentity({
      credentials: users.demo,
      endpoint: localAws.url,
      region,
      serverId: new URL(app.url).host,
      nonce,
      signingDate: new Date(),
    });
    return formatStsProof({ nonce, presignedUrl });
  }

  for (const loginFlow of loginFlows)
    describe(`through the proxy (--login-flow ${loginFlow})`, () => {
      let proxied: ProxiedBrowser | undefined;
      let proxy: RunningService;
      let browser: TestBrowser;
      before(async () => {
        proxied = await startProxiedBrowser(suite, localAws, loginFlow);
        ({ proxy, browser } = proxied);
      });
      after(() => proxied?.close());

      it("opening the app: the app's 403 page naming the identity and that it is not allowed; no session", async () => {
        const { page } = browser;
        const response = await page.goto(`${app.url}/`);
        assert.ok(response !== null);
        assert.equal(response.status(), 403);
        // Either the browser followed the proxy's redirect to /auth, or the proxy relayed /auth's answer:
        // the app's own page both ways.
        assert.equal(response.headers()["content-type"], "text/html; charset=utf-8");
        assert.equal(response.headers()["cache-control"], "no-store");
        assert.equal(await page.title(), PAGE_TITLE);
        assert.equal(await page.getByRole("heading", { level: 1 }).textContent(), PAGE_TITLE);
        const text = (await page.getByRole("main").innerText()).replace(/\s+/g, " ");
        assert.ok(text.includes(`Reason: ${REASON}`), text);
        assert.ok(text.includes("Error NOT_ALLOWED (HTTP 403)."), text);
        assert.deepEqual(await browser.cookies(app.url), []);
        await browser.screenshot(`${loginFlow}-1-not-allowed-opening-the-app`);
      });

      if (loginFlow === "proxy")
        it("one sign-in per page view; a reload within 30 s gets the remembered refusal, the same page", async () => {
          // Regression: Chromium's /favicon.ico after the refusal used to cause a second sign-in,
          // refused again. (The app's page forbids loading it now, by its CSP; the memory covers the rest.)
          const host = new URL(app.url).host;
          const logins = (): string[] => proxy.output().match(/ login host=[^\n]*/g) ?? [];
          await new Promise((resolve) => setTimeout(resolve, 1_000));
          const refused = ` login host=${host} identity=${DEMO_ARN} method=sts outcome=denied status=403 reason="the app refused the sign-in (HTTP 403): ${PAGE_TITLE}"`;
          assert.deepEqual(logins(), [refused]);

          const { page } = browser;
          const response = await page.reload();
          assert.equal(response?.status(), 403);
          assert.equal(await page.title(), PAGE_TITLE);
          const text = (await page.getByRole("main").innerText()).replace(/\s+/g, " ");
          assert.ok(text.includes(`Reason: ${REASON}`), text);
          assert.deepEqual(logins(), [refused], "no second sign-in");
          assert.match(
            proxy.output(),
            new RegExp(
              `challenge host=${host} outcome=refused-again status=403 reason="the app refused this identity`,
            ),
          );
          await browser.screenshot(`${loginFlow}-2-not-allowed-reload-within-30-s`);
        });

      if (loginFlow === "proxy")
        it("the proxy's status page lists the refused sign-in with the app's reason", async () => {
          const direct = await launchBrowser(suite);
          try {
            const { page } = direct;
            await page.goto(`${proxy.url}/`);
            const row = page.getByRole("table", { name: "The last sign-in" }).getByRole("row").nth(1);
            const cells = (await row.getByRole("cell").allInnerTexts()).map((cell) => cell.trim());
            // The identity is in the proxy's own account: shown after the account, whole in its title.
            assert.deepEqual(cells.slice(1), [
              new URL(app.url).host,
              "user/demo",
              "sts",
              "refused by the app",
            ]);
            assert.equal(await row.getByRole("cell").nth(2).locator("code").getAttribute("title"), DEMO_ARN);
            // Why, in a row of its own below.
            const why = page.getByRole("table", { name: "The last sign-in" }).getByRole("row").nth(2);
            assert.deepEqual(
              (await why.getByRole("cell").allInnerTexts()).map((cell) => cell.trim()),
              ["", `the app refused the sign-in (HTTP 403): ${PAGE_TITLE}`],
            );
            await direct.screenshot(`${loginFlow}-3-status-page-after-the-refusal`);
          } finally {
            await direct.close();
          }
        });
    });

  describe("handing a proof to the app directly", () => {
    let browser: TestBrowser;
    before(async () => {
      browser = await launchBrowser(suite);
    });
    after(() => browser?.close());

    it("refuses a proof the browser was not challenged for (login CSRF): 403 NONCE_COOKIE_MISSING, no session", async () => {
      const { page } = browser;
      const token = await demoProof();
      const response = await page.goto(`${app.url}/auth?return_url=%2F&token=${encodeURIComponent(token)}`);
      assert.ok(response !== null);
      assert.equal(response.status(), 403);
      assert.ok((await page.content()).includes("NONCE_COOKIE_MISSING"));
      assert.deepEqual(await browser.cookies(app.url), []);
    });

    it("the app's 403 page: title, the reason, what to do, a try-again link; never the token", async () => {
      const { page } = browser;
      // The browser is challenged first (the 401 sets its nonce cookie), then brings a proof for that nonce.
      const challenged = await page.goto(`${app.url}/`);
      assert.ok(challenged !== null);
      assert.equal(challenged.status(), 401);
      const token = await demoProof(challenged.headers()[WWW_AUTHENTICATE_HEADER]);
      const response = await page.goto(`${app.url}/auth?return_url=%2F&token=${encodeURIComponent(token)}`);
      assert.ok(response !== null);
      assert.equal(response.status(), 403);
      assert.equal(response.headers()["content-type"], "text/html; charset=utf-8");
      assert.equal(await page.title(), PAGE_TITLE);
      assert.equal(await page.getByRole("heading", { level: 1 }).textContent(), PAGE_TITLE);
      assert.equal(await page.getByRole("main").count(), 1);
      const text = (await page.getByRole("main").innerText()).replace(/\s+/g, " ");
      assert.ok(text.includes(`Reason: ${REASON}`), text);
      assert.ok(text.includes("Ask the app's owners for access, or sign in as another identity"), text);
      assert.ok(text.includes("Error NOT_ALLOWED (HTTP 403)."), text);
      assert.equal(await page.getByRole("link", { name: "Try again" }).getAttribute("href"), "/");
      const html = await page.content();
      assert.ok(
        !html.includes(token) && !html.includes(token.slice(5, 40)),
        "the page never shows the token",
      );
      assert.deepEqual(
        (await browser.cookies(app.url)).filter((cookie) => !cookie.name.includes("-nonce-")),
        [],
      );
      await browser.screenshot("direct-proof-not-allowed-page");
    });
  });
});
