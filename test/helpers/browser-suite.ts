import { randomBytes } from "node:crypto";
import { demoAccount } from "../../local-aws/demo-account.js";
import { launchBrowser, type TestBrowser } from "./browser.js";
import { awsEnvFor, type LocalAws } from "./local-aws.js";
import { startService, type RunningService } from "./service.js";

/*
 * The processes a browser test of the example app through the forward proxy starts: the
 * example server (STS and KMS) against the local AWS, and per login flow a proxy signed in as
 * the demo user with Chromium using it.
 */

/**
 * Starts the example server (both methods, its own credentials for KMS, STS proofs sent to the
 * local AWS) on 127.0.0.1, port 0; `env` adds to or overrides its environment. Logs to
 * test-logs/<suite>/example-server.log.
 *
 * @example app = await startBrowserTestApp(suite, localAws, { ALLOWED_PRINCIPALS: "arn:aws:iam::111122223333:role/Dev*" })
 */
export function startBrowserTestApp(
  suite: string,
  localAws: LocalAws,
  env: Readonly<Record<string, string>> = {},
): Promise<RunningService> {
  return startService({
    script: "example-server/main.js",
    env: {
      ...awsEnvFor(localAws.url, demoAccount.users.exampleServer),
      IAM_AUTH_TEST_STS_ENDPOINT: localAws.url,
      KMS_KEY_ID: demoAccount.keys.demo.alias,
      KMS_SALT: `browser-${randomBytes(6).toString("hex")}`,
      SECRET_KEY: randomBytes(32).toString("hex"),
      PORT: "0",
      ...env,
    },
    logName: `${suite}/example-server.log`,
  });
}

/** A forward proxy and the Chromium that uses it. */
export interface ProxiedBrowser {
  readonly proxy: RunningService;
  readonly browser: TestBrowser;
  /** Closes Chromium, then stops the proxy. */
  close(): Promise<void>;
}

/**
 * Starts the proxy (`--login-flow <loginFlow>`, the demo user's credentials, the local AWS) on
 * 127.0.0.1, port 0, and Chromium with it as its proxy. Logs to test-logs/<suite>/proxy-<loginFlow>.log.
 *
 * @example ({ proxy, browser } = await startProxiedBrowser(suite, localAws, "redirect"))
 */
export async function startProxiedBrowser(
  suite: string,
  localAws: LocalAws,
  loginFlow: "proxy" | "redirect",
): Promise<ProxiedBrowser> {
  const proxy = await startService({
    script: "proxy/cli/main.js",
    args: ["--bind", "127.0.0.1:0", "--login-flow", loginFlow],
    env: awsEnvFor(localAws.url, demoAccount.users.demo),
    logName: `${suite}/proxy-${loginFlow}.log`,
  });
  let browser: TestBrowser;
  try {
    browser = await launchBrowser(suite, { proxy: proxy.url });
  } catch (error) {
    await proxy.stop();
    throw error;
  }
  return {
    proxy,
    browser,
    async close() {
      await browser.close();
      await proxy.stop();
    },
  };
}
