import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Cookie, Response } from "playwright-core";
import { demoAccount } from "../../local-aws/demo-account.js";
import { launchBrowser, type TestBrowser } from "../helpers/browser.js";
import { startBrowserTestApp, startProxiedBrowser, type ProxiedBrowser } from "../helpers/browser-suite.js";
import { startLocalAws, type LocalAws } from "../helpers/local-aws.js";
import type { RunningService } from "../helpers/service.js";

/*
 * A person in Chromium: the local AWS, the example server (STS and KMS) and the proxy run as
 * real processes; headless Chromium uses the proxy for everything, loopback included. The
 * assertions are about what the person ends up with — the page, its status, the cookies, and
 * how many AWS calls were made — not about the redirects on the way. They run once per login
 * flow: the proxy completes the sign-in itself (`proxy`, the default), or sends the browser to
 * /auth with the token (`redirect`, the original's flow).
 */

const suite = "browser-sign-in";
const { users, accountId } = demoAccount;
const DEMO_ARN = users.demo.arn;
const SESSION_COOKIE = "iam-auth-session";
const loginFlows = ["proxy", "redirect"] as const;

describe("Chromium and the example app (real processes: local AWS, example server, proxy)", () => {
  let localAws: LocalAws;
  let app: RunningService;

  before(async () => {
    localAws = await startLocalAws(suite);
    app = await startBrowserTestApp(suite, localAws);
  });
  after(async () => {
    await app?.stop();
    await localAws?.stop();
  });

  const home = (): string => `${app.url}/`;

  for (const loginFlow of loginFlows)
    describe(`signing in through the proxy (plain HTTP forward proxy, --login-flow ${loginFlow})`, () => {
      let proxied: ProxiedBrowser | undefined;
      let proxy: RunningService;
      let browser: TestBrowser;
      before(async () => {
        proxied = await startProxiedBrowser(suite, localAws, loginFlow);
        ({ proxy, browser } = proxied);
        await localAws.resetCalls();
      });
      after(() => proxied?.close());
      const screenshot = (name: string): Promise<string> => browser.screenshot(`${loginFlow}-${name}`);

      const totalCalls = async (): Promise<number> =>
        Object.values(await localAws.calls()).reduce((sum, count) => sum + count, 0);

      async function sessionCookie(): Promise<Cookie | undefined> {
        return (await browser.cookies(app.url)).find((cookie) => cookie.name === SESSION_COOKIE);
      }

      /** What a signed-in person sees: the home page with the demo user's ARN and account. */
      async function assertHomePage(response: Response | null): Promise<void> {
        assert.ok(response !== null, "the navigation had a response");
        assert.equal(response.status(), 200);
        assert.equal(response.url(), home());
        assert.match(response.headers()["content-type"] ?? "", /^text\/html/);
        const { page } = browser;
        assert.equal(await page.title(), "You are signed in");
        assert.equal(await page.getByRole("heading", { level: 1 }).textContent(), "You are signed in");
        assert.equal(await page.getByRole("main").count(), 1);
        assert.equal(await page.locator("dd code").first().textContent(), DEMO_ARN);
        assert.equal(await page.locator("dd code").nth(1).textContent(), accountId);
        assert.equal(await page.getByRole("button", { name: "Sign out" }).count(), 1);
      }

      it("signs in on the first visit: the home page shows the demo ARN, and the session cookie is set", async () => {
        const response = await browser.page.goto(home());
        await assertHomePage(response);
        const cookie = await sessionCookie();
        assert.ok(cookie !== undefined, "the browser holds the session cookie");
        assert.equal(cookie.httpOnly, true);
        assert.equal(cookie.sameSite, "Lax");
        assert.ok((await browser.cookies(app.url)).some((c) => c.name === `${SESSION_COOKIE}.sig`));
        // The sign-in was checked with (local) AWS: the server's GetCallerIdentity for the proof.
        assert.ok(((await localAws.calls())["sts:GetCallerIdentity"] ?? 0) >= 1);
        await screenshot("1-home-after-sign-in");
      });

      it("stays signed in on reload: the same session, and no AWS call", async () => {
        const cookieBefore = await sessionCookie();
        const callsBefore = await localAws.calls();
        const response = await browser.page.reload();
        await assertHomePage(response);
        assert.deepEqual(await localAws.calls(), callsBefore);
        assert.equal((await sessionCookie())?.value, cookieBefore?.value);
        await screenshot("2-home-after-reload");
      });

      it("signs out with the button; the next visit signs in again with a new session", async () => {
        const { page } = browser;
        const cookieBefore = await sessionCookie();
        const callsBefore = await totalCalls();
        const signedOut = page.waitForResponse((r) => r.url() === `${app.url}/auth/sign-out`);
        const nextHome = page.waitForResponse(
          (r) => r.url() === home() && r.request().method() === "GET" && r.status() === 200,
        );
        await page.getByRole("button", { name: "Sign out" }).click();

        const signOut = await signedOut;
        assert.equal(signOut.status(), 303);
        assert.equal(signOut.request().method(), "POST");
        const cleared = (await signOut.headerValues("set-cookie")).map((line) => line.split(";", 1)[0]);
        assert.ok(
          cleared.includes(`${SESSION_COOKIE}=`),
          `sign-out clears the session cookie: ${cleared.join(" | ")}`,
        );

        // The 303 goes to /, which the proxy signs in to again: a new login, a new session.
        await assertHomePage(await nextHome);
        await page.waitForLoadState("load");
        assert.ok((await totalCalls()) > callsBefore, "a new sign-in reached (local) AWS");
        const cookieAfter = await sessionCookie();
        assert.ok(
          cookieAfter !== undefined && cookieAfter.value !== cookieBefore?.value,
          "a new session cookie",
        );
        await screenshot("3-home-after-sign-out-and-next-visit");
      });

      it("a later visit keeps the new session (no AWS call); the proxy only ever saw the app's requests", async () => {
        const callsBefore = await localAws.calls();
        await assertHomePage(await browser.page.goto(home()));
        assert.deepEqual(await localAws.calls(), callsBefore);
        await screenshot("4-home-on-a-later-visit");
        // Chromium's own calls home (accounts.google.com, update.googleapis.com) never reached the proxy.
        const hosts = new Set([...proxy.output().matchAll(/\bhost=(\S+)/g)].map((match) => match[1]));
        assert.deepEqual([...hosts], [new URL(app.url).host]);
      });
    });

  describe("opening the app without the proxy", () => {
    let browser: TestBrowser;
    before(async () => {
      browser = await launchBrowser(suite);
    });
    after(() => browser?.close());

    it("shows the challenge page: what the app does, the command, the PAC URL; no session", async () => {
      const { page } = browser;
      const response = await page.goto(home());
      assert.ok(response !== null);
      assert.equal(response.status(), 401);
      assert.match(
        response.headers()["www-authenticate"] ?? "",
        /^IAM realm="111122223333", methods="sts kms"/,
      );
      assert.equal(await page.title(), "Sign in with your AWS identity");
      assert.equal(
        await page.getByRole("heading", { level: 1 }).textContent(),
        "Sign in with your AWS identity",
      );
      assert.equal(await page.getByRole("main").count(), 1);
      const text = (await page.getByRole("main").innerText()).replace(/\s+/g, " ");
      assert.ok(text.includes("This app signs you in with your AWS identity"), text);
      assert.ok(text.includes("Install the proxy once (Node.js 20.19 or newer)"), text);
      assert.ok(text.includes("npm ci && npm run build && npm link"), text);
      assert.ok(text.includes("Start it: run iam-auth-proxy --bind 127.0.0.1:8080 on your computer"), text);
      assert.ok(text.includes("http://127.0.0.1:8080/proxy.pac"), text);
      assert.ok(text.includes("README.md"), text);
      assert.deepEqual(await browser.cookies(app.url), []);
      await browser.screenshot("0-challenge-page-without-proxy");
    });
  });
});
