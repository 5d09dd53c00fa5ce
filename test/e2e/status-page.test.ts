import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import express from "express";
import { demoAccount } from "../../local-aws/demo-account.js";
import { formatIamChallenge } from "../../protocol/index.js";
import { iamAuth } from "../../server-middleware/index.js";
import { launchBrowser, type TestBrowser } from "../helpers/browser.js";
import { httpRequest } from "../helpers/http-client.js";
import { startLocalAws, type LocalAws } from "../helpers/local-aws.js";
import { startService, type RunningService } from "../helpers/service.js";
import { startFakeSocksServer, type FakeSocksServer } from "../unit/proxy/fake-socks-server.js";

/*
 * The proxy's status page after real sign-ins: the local AWS, an STS-only example server and two
 * proxies run as real processes. One proxy finds its keys in a profile of a shared credentials
 * file and assumes a role with them (--assume-role-arn); the other runs a profile's
 * credential_process. Each signs in through the proxy, then its own page (GET / on the proxy)
 * must name that sign-in and where its credentials come from. Last, a third proxy signs in to
 * apps with long host names (reached through a SOCKS server, which resolves them, as in a VPC)
 * as a role session with a long name, and is refused by an app that has no /auth: its page must
 * read well at 1200×800 in headless Chromium.
 */

const suite = "status-page";
const { users, roles, accountId, region } = demoAccount;
const sessionName = "status-page-e2e";
const roleSessionArn = `arn:aws:sts::${accountId}:assumed-role/${roles.developer.name}/${sessionName}`;

/** Waits until a process has written a line matching `pattern`. */
async function waitForOutput(service: RunningService, pattern: RegExp, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(service.output())) {
    if (Date.now() > deadline)
      throw new Error(`no output matching ${String(pattern)}; output:\n${service.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The page as a reader sees it: inline markup dropped, blocks spaced, references decoded. */
const textOf = (page: string): string =>
  page
    .replace(/<style>.*?<\/style>/s, "")
    .replace(/<\/?(?:code|a|strong|span|time)\b[^>]*>/g, "")
    .replace(/<[^>]+>/g, " ")
    .replace(/\s+/g, " ")
    .replace(/&(lt|gt|quot|#39|amp);/g, (_, name: string) =>
      name === "lt" ? "<" : name === "gt" ? ">" : name === "quot" ? '"' : name === "#39" ? "'" : "&",
    );

describe("the status page after a real sign-in lists it and where the credentials come from (real processes)", () => {
  let aws: LocalAws;
  let app: RunningService;
  let roleProxy: RunningService;
  let processProxy: RunningService;
  const services: RunningService[] = [];
  let dir = "";

  async function start(name: string, script: string, env: Record<string, string>, args: string[] = []) {
    const service = await startService({ script, env, args, logName: `${suite}/${name}.log` });
    services.push(service);
    return service;
  }

  /** A proxy process with the shared files in `dir`; resolves once its start-up credential check is done. */
  async function startProxy(
    name: string,
    env: Record<string, string>,
    args: string[],
  ): Promise<RunningService> {
    const proxy = await start(
      name,
      "proxy/cli/main.js",
      {
        AWS_ENDPOINT_URL: aws.url,
        AWS_REGION: region,
        AWS_CONFIG_FILE: join(dir, "config"),
        AWS_SHARED_CREDENTIALS_FILE: join(dir, "credentials"),
        AWS_EC2_METADATA_DISABLED: "true",
        AWS_MAX_ATTEMPTS: "1",
        ...env,
      },
      ["--bind", "127.0.0.1:0", ...args],
    );
    await waitForOutput(proxy, /\bcredentials (identity=|outcome=)/);
    return proxy;
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "iam-auth-proxy-status-page-"));
    const script = join(dir, "credential-process.mjs");
    // What a credential helper prints (here: the demo user's keys, which only the local AWS accepts).
    writeFileSync(
      script,
      `process.stdout.write(JSON.stringify({ Version: 1, AccessKeyId: ${JSON.stringify(users.demo.accessKeyId)}, ` +
        `SecretAccessKey: ${JSON.stringify(users.demo.secretAccessKey)} }));\n`,
    );
    writeFileSync(
      join(dir, "config"),
      `[profile tool]\ncredential_process = "${process.execPath}" "${script}"\n`,
    );
    writeFileSync(
      join(dir, "credentials"),
      `[demo]\naws_access_key_id = ${users.demo.accessKeyId}\naws_secret_access_key = ${users.demo.secretAccessKey}\n`,
    );
    aws = await startLocalAws(suite);
    app = await start("example-server-sts-only", "example-server/main.js", {
      AWS_ACCOUNT_ID: accountId,
      SECRET_KEY: randomBytes(32).toString("hex"),
      PORT: "0",
      IAM_AUTH_METHODS: "sts",
      IAM_AUTH_TEST_STS_ENDPOINT: aws.url,
      AWS_CONFIG_FILE: "/dev/null",
      AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
      AWS_EC2_METADATA_DISABLED: "true",
    });
    roleProxy = await startProxy("proxy-profile-role", {}, [
      "--profile",
      "demo",
      "--assume-role-arn",
      roles.developer.arn,
      "--assume-role-session-name",
      sessionName,
    ]);
    processProxy = await startProxy("proxy-credential-process", { AWS_PROFILE: "tool" }, []);
  });

  after(async () => {
    for (const service of services.reverse()) await service.stop();
    await aws?.stop();
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  });

  it("--profile with --assume-role-arn: the role session, the profile, the role, and the sign-in", async () => {
    const signedIn = await httpRequest(`${app.url}/`, { proxy: roleProxy.url });
    assert.equal(signedIn.status, 200);
    assert.equal(signedIn.body, `${roleSessionArn}\n`);

    const response = await httpRequest(`${roleProxy.url}/`);
    assert.equal(response.status, 200);
    assert.equal(response.headers["content-type"], "text/html; charset=utf-8");
    const text = textOf(response.body);
    assert.match(
      text,
      new RegExp(
        escapeRegExp(
          `Identity (ARN) ${roleSessionArn} Account ${accountId} ` +
            `Credentials from Profile demo: access keys in the shared credentials or config file ` +
            `Role assumed ${roles.developer.arn} (--assume-role-arn), with the credentials above ` +
            "Credentials expire ",
        ) +
          String.raw`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(in (59 min|1 h 0 min)\); renewed before they expire\.`,
      ),
    );
    assert.match(
      text,
      new RegExp(
        String.raw`The last sign-in Time App Identity Method Outcome \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC ` +
          // In the proxy's own account, the table shows what follows the account; the title has the ARN.
          escapeRegExp(
            `${new URL(app.url).host} assumed-role/${roles.developer.name}/${sessionName} sts signed in`,
          ),
      ),
    );
    for (const secret of [users.demo.secretAccessKey, "sts1.", "iam-auth-session="]) {
      assert.ok(!response.body.includes(secret), secret);
    }
  });

  it("AWS_PROFILE naming a credential_process profile: the profile's credential_process, and the sign-in", async () => {
    const signedIn = await httpRequest(`${app.url}/`, { proxy: processProxy.url });
    assert.equal(signedIn.status, 200);
    assert.equal(signedIn.body, `${users.demo.arn}\n`);

    const text = textOf((await httpRequest(`${processProxy.url}/`)).body);
    assert.ok(
      text.includes(
        `Identity (ARN) ${users.demo.arn} Account ${accountId} ` +
          "Credentials from credential_process of profile tool " +
          "Credentials expire Never: long-term access keys.",
      ),
      text,
    );
    assert.ok(text.includes(`${new URL(app.url).host} user/${users.demo.name} sts signed in`), text);
  });

  describe("at 1200×800 in Chromium, with long host names and a long ARN recorded", () => {
    // Names as long as real internal ones; the SOCKS server maps them to the apps on loopback.
    const signedInHost = "reporting-dashboard.platform-engineering.eu-west-1.internal.example.com:8080";
    const noAuthHost =
      "inventory-service-without-a-sign-in-endpoint.data-platform.us-east-1.corp.example.com:8080";
    const longSessionName = "status-page-layout-check-with-a-rather-long-role-session-name-01";
    const longSessionArn = `arn:aws:sts::${accountId}:assumed-role/${roles.developer.name}/${longSessionName}`;
    const servers: http.Server[] = [];
    let socks: FakeSocksServer;
    let proxy: RunningService;
    let browser: TestBrowser | undefined;

    async function listen(app: express.Express): Promise<number> {
      const server = http.createServer(app);
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      return (server.address() as AddressInfo).port;
    }

    before(async () => {
      assert.ok(longSessionName.length <= 64, "AWS allows role session names of 64 characters at most");
      socks = await startFakeSocksServer();
      // The middleware's own app, at a long name: its server-id is that name.
      const signedIn = express();
      const signedInPort = await listen(signedIn);
      signedIn.use(
        iamAuth({
          accountId,
          sts: { serverId: signedInHost, testStsEndpoint: aws.url },
          sessionSecrets: [randomBytes(32).toString("hex")],
          logger: () => undefined,
        }),
      );
      signedIn.get("/", (req, res) => res.type("text/plain").send(`${req.iamIdentity?.arn ?? "nobody"}\n`));
      // An app that sends a challenge but has no /auth: Express answers that with its own 404 page, titled "Error".
      const noAuth = express();
      noAuth.get("/", (_req, res) => {
        const params = new Map([
          ["methods", "sts"],
          ["server-id", noAuthHost],
          ["nonce", randomBytes(16).toString("hex")],
        ]);
        res
          .status(401)
          .set("WWW-Authenticate", formatIamChallenge({ realm: accountId, params }))
          .end();
      });
      const noAuthPort = await listen(noAuth);
      socks.routes.set(signedInHost, signedInPort);
      socks.routes.set(noAuthHost, noAuthPort);
      proxy = await startProxy("proxy-long-names", {}, [
        ...["--profile", "demo", "--assume-role-arn", roles.developer.arn],
        ...["--assume-role-session-name", longSessionName, "--socks-proxy", `127.0.0.1:${socks.port}`],
      ]);
    });
    after(async () => {
      await browser?.close();
      await proxy?.stop();
      for (const server of servers) await new Promise((resolve) => server.close(resolve));
      await socks?.close();
    });

    it("records the app without /auth as what its 404 means", async () => {
      const signedIn = await httpRequest(`http://${signedInHost}/`, { proxy: proxy.url });
      assert.equal(signedIn.status, 200);
      assert.equal(signedIn.body, `${longSessionArn}\n`);
      const refused = await httpRequest(`http://${noAuthHost}/`, { proxy: proxy.url });
      assert.equal(refused.status, 404);
      const reason = "the app has no sign-in endpoint at /auth (HTTP 404)";
      assert.ok(
        proxy.output().includes(
          // The STS method makes its proof without asking AWS, so a sign-in does not learn whose it was.
          `login host=${noAuthHost} identity=unknown method=sts outcome=denied status=404 reason="${reason}"`,
        ),
        proxy.output(),
      );
      const text = textOf((await httpRequest(`${proxy.url}/`)).body);
      assert.ok(text.includes(`${noAuthHost} unknown sts refused by the app ${reason} `), text);
    });

    it("no host name or ARN breaks mid-word, nothing scrolls sideways, and each cut value has its full text in title", async () => {
      browser = await launchBrowser(suite);
      await browser.page.setViewportSize({ width: 1200, height: 800 });
      await browser.page.goto(`${proxy.url}/`);
      const layout = await browser.page.evaluate<Layout>(measureLayout);
      const shot = await browser.screenshot("status-page-1200x800");
      console.log(`screenshot: ${shot}`);
      assert.equal(layout.scrollsSideways, false, "the page does not scroll sideways");
      assert.deepEqual(layout.overflowingCells, [], "no table cell overflows");
      assert.deepEqual(layout.reasons, ["the app has no sign-in endpoint at /auth (HTTP 404)"]);
      for (const full of [signedInHost, noAuthHost, longSessionArn, roles.developer.arn]) {
        assert.ok(
          layout.values.some((value) => value.title === full),
          `${full} is shown as one value with its full text in title`,
        );
      }
      for (const value of layout.values) {
        const what = JSON.stringify(value);
        assert.equal(value.lines, 1, `one box: ${what}`);
        assert.equal(value.whiteSpace, "nowrap", `never wrapped: ${what}`);
        assert.ok(value.height < 1.5 * value.lineHeight, `one line high: ${what}`);
        assert.ok(value.insideItsCell, `inside its cell: ${what}`);
        if (value.cut) {
          assert.equal(value.textOverflow, "ellipsis", `cut with an ellipsis: ${what}`);
          assert.ok(
            value.title !== null && value.title.endsWith(value.text),
            `the full text is in title: ${what}`,
          );
        }
      }
    });
  });
});

/** What measureLayout reports of the page as Chromium laid it out. */
interface Layout {
  /** Whether the page is wider than the window. */
  readonly scrollsSideways: boolean;
  /** Each host name, pattern or ARN shown (`code.value`). */
  readonly values: readonly {
    readonly text: string;
    readonly title: string | null;
    /** Boxes its text is laid out in: 1 unless it wraps. */
    readonly lines: number;
    readonly height: number;
    readonly lineHeight: number;
    readonly whiteSpace: string;
    readonly textOverflow: string;
    /** Its text is wider than its box (so cut at the ellipsis). */
    readonly cut: boolean;
    readonly insideItsCell: boolean;
  }[];
  /** The text of table cells whose content is wider than they are. */
  readonly overflowingCells: readonly string[];
  /** The refusals' reason rows. */
  readonly reasons: readonly string[];
}

/** Runs in the page (a string: the tests compile without the DOM's types). */
const measureLayout = `(() => {
  const root = document.documentElement;
  const values = [...document.querySelectorAll("code.value")].map((element) => {
    const style = getComputedStyle(element);
    const box = element.getBoundingClientRect();
    const container = element.closest("td, dd, li")?.getBoundingClientRect();
    return {
      text: element.textContent ?? "",
      title: element.getAttribute("title"),
      lines: element.getClientRects().length,
      height: box.height,
      lineHeight: Number.parseFloat(style.lineHeight),
      whiteSpace: style.whiteSpace,
      textOverflow: style.textOverflow,
      cut: element.scrollWidth > element.clientWidth,
      insideItsCell: container === undefined || box.right <= container.right + 0.5,
    };
  });
  return {
    scrollsSideways: root.scrollWidth > root.clientWidth,
    values,
    overflowingCells: [...document.querySelectorAll("td")]
      .filter((cell) => cell.scrollWidth > cell.clientWidth + 1)
      .map((cell) => cell.textContent.trim()),
    reasons: [...document.querySelectorAll("td.reason")].map((cell) => cell.textContent.trim()),
  };
})()`;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
