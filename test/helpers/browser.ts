import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Cookie, type Page } from "playwright-core";
import { repoRoot } from "./service.js";

/**
 * The Chromium the browser tests drive: `CHROMIUM_PATH` when set, else the first of the usual
 * names on PATH (Debian's `chromium`, which `npm test` installs when missing; Ubuntu's
 * `chromium-browser`; Chrome). macOS: set CHROMIUM_PATH to the app's binary.
 */
export const CHROMIUM_PATH = findChromium();

function findChromium(): string {
  const given = process.env.CHROMIUM_PATH;
  if (given !== undefined && given !== "") return given;
  const names = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"];
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    for (const name of names) {
      const candidate = join(dir, name);
      if (existsSync(candidate)) return candidate;
    }
  }
  // Not found: playwright's own error then names this, and npm test's set-up says what to install.
  return "chromium";
}
/** Screenshots land here (git-ignored), one folder per suite. */
export const testArtifactsDir = join(repoRoot, "test-artifacts");

/**
 * Flags that keep Chromium off the network: no background requests (updates, sync, field
 * trials), no first-run pages, no QUIC, and no host name resolves (`~NOTFOUND`), so a request
 * Chromium makes directly can only reach an IP address such as 127.0.0.1. `--no-sandbox`: CI
 * runs as root.
 */
const offlineArgs = [
  "--no-sandbox",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-sync",
  "--disable-gpu",
  "--disable-quic",
  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
];

/**
 * The proxy bypass list: `<-loopback>` makes Chromium send loopback requests to the proxy too
 * (by default it never proxies them). Every host name has a letter (TLDs are alphabetic), so
 * `*a*`…`*z*` sends every named host DIRECT, where it does not resolve. Only IP addresses go
 * through the proxy: Debian's Chromium still calls accounts.google.com and update.googleapis.com
 * with the flags above, and the proxy would otherwise open those connections for it.
 */
const proxyBypass = ["<-loopback>", ...[..."abcdefghijklmnopqrstuvwxyz"].map((letter) => `*${letter}*`)];

export interface BrowserOptions {
  /**
   * An HTTP proxy, e.g. `http://127.0.0.1:8080`, that every request to an IP address (the apps
   * on 127.0.0.1) goes through; named hosts never reach it (see proxyBypass). Default: no proxy.
   */
  readonly proxy?: string;
  /**
   * Chromium's HOME: on Linux it trusts the certificate authorities in `<home>/.pki/nssdb`, as a
   * person's Chromium does (see createNssHome). Default: the test process's HOME.
   */
  readonly home?: string;
}

export interface TestBrowser {
  readonly browser: Browser;
  /** A fresh profile: no cookies, no cache. */
  readonly context: BrowserContext;
  readonly page: Page;
  /** The context's cookies for `url`, HttpOnly ones included. */
  cookies(url: string): Promise<Cookie[]>;
  /** Saves a full-page screenshot as test-artifacts/<suite>/<name>.png and returns its path. */
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * Starts headless Chromium with a fresh temporary profile (Playwright makes and removes its
 * --user-data-dir) and opens one page.
 *
 * @example const browser = await launchBrowser("browser-sign-in", { proxy: proxy.url }); await browser.page.goto(app.url)
 */
export async function launchBrowser(suite: string, options: BrowserOptions = {}): Promise<TestBrowser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: offlineArgs,
    ...(options.proxy === undefined
      ? {}
      : { proxy: { server: options.proxy, bypass: proxyBypass.join(",") } }),
    ...(options.home === undefined ? {} : { env: { ...process.env, HOME: options.home } }),
    timeout: 30_000,
  });
  try {
    const context = await browser.newContext({ viewport: { width: 900, height: 700 }, locale: "en-US" });
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    const folder = join(testArtifactsDir, suite);
    mkdirSync(folder, { recursive: true });
    return {
      browser,
      context,
      page,
      cookies: (url) => context.cookies(url),
      async screenshot(name) {
        const path = join(folder, `${name}.png`);
        await page.screenshot({ path, fullPage: true });
        return path;
      },
      close: () => browser.close(),
    };
  } catch (error) {
    await browser.close();
    throw error;
  }
}

/**
 * A fresh home directory whose NSS database (`.pki/nssdb`, the one Chromium and Firefox use on
 * Linux) trusts `caCertPath` to identify websites, made the way a person does it with
 * libnss3-tools: `certutil -N` (an empty password), then `certutil -A -t "C,,"`. Pass it to
 * launchBrowser as `home`; remove it after the test.
 *
 * @example const home = createNssHome(join(caDir, "ca-cert.pem")); const browser = await launchBrowser(suite, { home })
 */
export function createNssHome(caCertPath: string, nickname = "iam-auth-proxy"): string {
  const home = mkdtempSync(join(tmpdir(), "iam-auth-proxy-browser-home-"));
  const db = join(home, ".pki", "nssdb");
  mkdirSync(db, { recursive: true });
  execFileSync("certutil", ["-N", "-d", `sql:${db}`, "--empty-password"], { stdio: "pipe" });
  execFileSync("certutil", ["-A", "-d", `sql:${db}`, "-t", "C,,", "-n", nickname, "-i", caCertPath], {
    stdio: "pipe",
  });
  return home;
}
