import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { demoAccount } from "../../local-aws/demo-account.js";
import { launchBrowser, type TestBrowser } from "../helpers/browser.js";
import { startHttpsExampleApp, type HttpsExampleApp } from "../helpers/https-example-app.js";
import { awsEnvFor, startLocalAws, type LocalAws } from "../helpers/local-aws.js";
import { startService, type RunningService } from "../helpers/service.js";

/*
 * Reverse mode in Chromium: `iam-auth-proxy --upstream https://app` serves the HTTPS app at
 * http://127.0.0.1:PORT. The browser has no proxy settings and trusts no extra CA; only the
 * proxy verifies the app's certificate (--upstream-ca). Real processes: the local AWS and the
 * proxy; the app is the example app behind TLS.
 */

const suite = "browser-reverse";
const { users, accountId } = demoAccount;
const DEMO_ARN = users.demo.arn;
const SESSION_COOKIE = "iam-auth-session";

describe("Chromium without proxy settings, reverse mode in front of an HTTPS app (real processes: local AWS, proxy)", () => {
  let dir = "";
  let localAws: LocalAws;
  let app: HttpsExampleApp;
  let proxy: RunningService;
  let browser: TestBrowser;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "iam-auth-proxy-browser-reverse-"));
    localAws = await startLocalAws(suite);
    app = await startHttpsExampleApp({ logName: `${suite}/example-app.log`, dir, localAwsUrl: localAws.url });
    proxy = await startService({
      script: "proxy/cli/main.js",
      args: ["--bind", "127.0.0.1:0", "--upstream", app.origin, "--upstream-ca", app.caFile],
      env: awsEnvFor(localAws.url, users.demo),
      logName: `${suite}/proxy.log`,
    });
    browser = await launchBrowser(suite);
  });
  after(async () => {
    await browser?.close();
    await proxy?.stop();
    await app?.close();
    await localAws?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const loginLines = (): string[] =>
    proxy.output().match(new RegExp(`login host=${app.authority} [^\\n]*`, "g")) ?? [];

  async function assertHomePage(): Promise<void> {
    const { page } = browser;
    assert.equal(await page.title(), "You are signed in");
    assert.equal(await page.locator("dd code").first().textContent(), DEMO_ARN);
    assert.equal(await page.locator("dd code").nth(1).textContent(), accountId);
  }

  it("signs in on the first visit: the app's page shows the demo ARN at http://127.0.0.1", async () => {
    const response = await browser.page.goto(`${proxy.url}/`);
    assert.ok(response !== null, "the navigation had a response");
    assert.equal(response.status(), 200);
    assert.equal(response.url(), `${proxy.url}/`, "no redirect, and the token never reached the address bar");
    await assertHomePage();
    // The app set its session over https (Secure); the browser got it for the http local address.
    const session = (await browser.cookies(proxy.url)).find((cookie) => cookie.name === SESSION_COOKIE);
    assert.ok(session !== undefined, "the browser holds the app's session cookie");
    assert.equal(session.secure, false);
    assert.equal(session.httpOnly, true);
    assert.equal(loginLines().length, 1);
    assert.match(loginLines()[0] ?? "", new RegExp(`identity=${DEMO_ARN} method=sts outcome=signed-in$`));
    await browser.screenshot("1-reverse-mode-home-after-sign-in");
  });

  it("stays signed in on reload with the browser's own session: no new sign-in", async () => {
    await browser.page.reload();
    await assertHomePage();
    assert.equal(loginLines().length, 1);
    await browser.screenshot("2-reverse-mode-home-after-reload");
  });
});
