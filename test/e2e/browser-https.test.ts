import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { demoAccount } from "../../local-aws/demo-account.js";
import { createNssHome, launchBrowser, type TestBrowser } from "../helpers/browser.js";
import { awsEnvFor, startLocalAws, type LocalAws } from "../helpers/local-aws.js";
import { startService, type RunningService } from "../helpers/service.js";
import { startHttpsExampleApp, type HttpsExampleApp } from "../helpers/https-example-app.js";

/*
 * A person opens an HTTPS app in Chromium through the proxy, which decrypts it (--host) with
 * certificates from its own local CA. The person trusted that CA the way the README says: in
 * the NSS database Chromium reads on Linux (certutil), never with ignoreHTTPSErrors. The app is
 * the example app behind real TLS whose CA is made at run time and given to the proxy with
 * --upstream-ca; the local AWS and the proxy run as real processes. It is addressed by IP
 * (https://127.0.0.1:PORT): the browser helper sends only IP addresses through the proxy.
 * Last, the person opens the proxy's own status page.
 */

const suite = "browser-https";
const { users, accountId } = demoAccount;
const DEMO_ARN = users.demo.arn;

describe("Chromium, an HTTPS app and the proxy's CA trusted in NSS (real processes: local AWS, proxy)", () => {
  let dir = "";
  let home = "";
  let localAws: LocalAws;
  let app: HttpsExampleApp;
  let proxy: RunningService;
  const browsers: TestBrowser[] = [];

  const open = async (options: Parameters<typeof launchBrowser>[1] = {}): Promise<TestBrowser> => {
    const browser = await launchBrowser(suite, options);
    browsers.push(browser);
    return browser;
  };
  const loginLines = (): string[] =>
    proxy.output().match(new RegExp(`login host=${app.authority} [^\\n]*`, "g")) ?? [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "iam-auth-proxy-browser-https-"));
    localAws = await startLocalAws(suite);
    app = await startHttpsExampleApp({ logName: `${suite}/example-app.log`, dir, localAwsUrl: localAws.url });
    proxy = await startService({
      script: "proxy/cli/main.js",
      args: [
        "--bind",
        "127.0.0.1:0",
        "--host",
        app.authority,
        "--upstream-ca",
        app.caFile,
        "--ca-dir",
        join(dir, "proxy-ca"),
      ],
      env: awsEnvFor(localAws.url, users.demo),
      logName: `${suite}/proxy.log`,
    });
    // What a person does once, after the proxy made its CA (iam-auth-proxy ca prints these commands).
    home = createNssHome(join(dir, "proxy-ca", "ca-cert.pem"));
  });
  after(async () => {
    for (const browser of browsers) await browser.close();
    await proxy?.stop();
    await app?.close();
    await localAws?.stop();
    rmSync(dir, { recursive: true, force: true });
    if (home !== "") rmSync(home, { recursive: true, force: true });
  });

  it("signs in on the first visit: no certificate error, the page shows the demo ARN, the cookie is Secure", async () => {
    const browser = await open({ proxy: proxy.url, home });
    const { page } = browser;
    const response = await page.goto(`${app.origin}/`);
    assert.ok(response !== null, "the navigation had a response");
    assert.equal(response.status(), 200);
    assert.equal(response.url(), `${app.origin}/`);
    // The certificate Chromium accepted is the proxy's, issued for the app's address.
    const security = await response.securityDetails();
    assert.match(security?.issuer ?? "", /^iam-auth-proxy local CA/);
    assert.equal(security?.subjectName, "127.0.0.1");
    assert.equal(await page.title(), "You are signed in");
    assert.equal(await page.locator("dd code").first().textContent(), DEMO_ARN);
    assert.equal(await page.locator("dd code").nth(1).textContent(), accountId);
    const session = (await browser.cookies(app.origin)).find((cookie) => cookie.name === "iam-auth-session");
    assert.equal(session?.secure, true, "the app set its session over https");
    assert.equal(loginLines().length, 1);
    assert.match(loginLines()[0] ?? "", new RegExp(`identity=${DEMO_ARN} method=sts outcome=signed-in$`));
    await browser.screenshot("1-https-app-signed-in-through-the-proxy");
  });

  it("without the CA in its NSS database Chromium refuses the proxy's certificate (the trust above came from it)", async () => {
    const untrustingHome = mkdtempSync(join(tmpdir(), "iam-auth-proxy-browser-home-"));
    try {
      const browser = await open({ proxy: proxy.url, home: untrustingHome });
      await assert.rejects(browser.page.goto(`${app.origin}/`), /net::ERR_CERT_AUTHORITY_INVALID/);
      await browser.screenshot("2-https-app-without-the-ca-trusted");
    } finally {
      rmSync(untrustingHome, { recursive: true, force: true });
    }
  });

  it("the proxy's status page: the identity, the --host app, the last sign-in with its outcome, the CA", async () => {
    // Opened directly, as a person types http://127.0.0.1:8080/ (Chromium never proxies loopback by default).
    const browser = await open();
    const { page } = browser;
    const response = await page.goto(`${proxy.url}/`);
    assert.ok(response !== null);
    assert.equal(response.status(), 200);
    assert.equal(response.headers()["cache-control"], "no-store");
    assert.equal(await page.title(), "iam-auth-proxy status");
    assert.equal(await page.getByRole("heading", { level: 1 }).textContent(), "iam-auth-proxy status");
    assert.deepEqual(await page.getByRole("heading", { level: 2 }).allTextContents(), [
      "Your AWS identity",
      "Apps",
      "Recent sign-ins",
      "Set up a browser",
    ]);
    const text = (await page.getByRole("main").innerText()).replace(/\s+/g, " ");
    assert.ok(text.includes(`Identity (ARN) ${DEMO_ARN}`), text);
    assert.ok(text.includes(`Account ${accountId}`), text);
    assert.ok(text.includes("Credentials expire Never: long-term access keys."), text);

    const apps = page.getByRole("table", { name: "Apps the proxy signs in to" });
    assert.deepEqual(
      (await apps.getByRole("row").nth(1).getByRole("cell").allInnerTexts()).map((cell) => cell.trim()),
      [
        app.authority,
        "HTTP, and HTTPS decrypted with the proxy's CA",
        "STS when the app offers it, else KMS",
      ],
    );
    const logins = page.getByRole("table", { name: "The last sign-in" });
    const cells = (await logins.getByRole("row").nth(1).getByRole("cell").allInnerTexts()).map((cell) =>
      cell.trim(),
    );
    // The identity is in the proxy's own account: shown after the account, whole in its title.
    assert.deepEqual(cells.slice(1), [app.authority, "user/demo", "sts", "signed in"]);
    assert.equal(
      await logins.getByRole("row").nth(1).getByRole("cell").nth(2).locator("code").getAttribute("title"),
      DEMO_ARN,
    );
    assert.match(cells[0] ?? "", /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);

    const caLink = page.getByRole("link", { name: "The proxy's CA certificate" });
    assert.equal(await caLink.getAttribute("href"), "/ca.pem");
    const download = await page.request.get(`${proxy.url}/ca.pem`);
    assert.equal(download.status(), 200);
    assert.equal(await download.text(), readFileSync(join(dir, "proxy-ca", "ca-cert.pem"), "utf8"));
    assert.equal(await page.getByRole("link", { name: /PAC\) file/ }).getAttribute("href"), "/proxy.pac");
    const html = await page.content();
    assert.ok(!html.includes(users.demo.secretAccessKey) && !html.includes(users.demo.accessKeyId));
    await browser.screenshot("3-proxy-status-page-after-sign-in");
  });
});
