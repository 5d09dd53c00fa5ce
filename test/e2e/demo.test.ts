import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { demoAccount } from "../../local-aws/demo-account.js";
import { curlViaProxy } from "../helpers/curl.js";
import { repoRoot, testLogsDir } from "../helpers/service.js";

const ready = /demo-ready app=(\S+) proxy=(\S+) aws=(\S+)/;

describe("npm run demo (scripts/demo.ts as a real process)", () => {
  let demo: ChildProcess;
  let output = "";
  let urls: { app: string; proxy: string; aws: string };
  const exited = () => new Promise<number | null>((resolve) => demo.once("exit", (code) => resolve(code)));

  before(async () => {
    mkdirSync(join(testLogsDir, "demo"), { recursive: true });
    const log = createWriteStream(join(testLogsDir, "demo", "demo.log"));
    // Ports 0: the demo's own defaults (3000, 8080) may be taken on a developer's machine.
    demo = spawn(
      process.execPath,
      [join(repoRoot, "dist/scripts/demo.js"), "--app-port", "0", "--proxy-port", "0"],
      {
        env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    urls = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`demo not ready:\n${output}`)), 20_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString("utf8");
        log.write(chunk);
        const match = ready.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve({ app: match[1] ?? "", proxy: match[2] ?? "", aws: match[3] ?? "" });
        }
      };
      demo.stdout?.on("data", onData);
      demo.stderr?.on("data", onData);
      demo.once("exit", (code) => reject(new Error(`demo exited ${code}:\n${output}`)));
    });
  });

  after(() => {
    if (demo.exitCode === null) demo.kill("SIGKILL");
  });

  it("prints what to try, with the curl line", () => {
    assert.ok(output.includes(`curl -sS -L -c jar -b jar -x ${urls.proxy} ${urls.app}/`), output);
  });

  it("the README's curl line prints the demo user's ARN", async () => {
    assert.equal(
      await curlViaProxy(urls.proxy, `${urls.app}/`, { cookieJar: true }),
      `${demoAccount.users.demo.arn}\n`,
    );
  });

  it("the app's sign-in page names the demo's real proxy address, for browsers and for curl", async () => {
    const proxyAddress = new URL(urls.proxy).host;
    const page = await fetch(`${urls.app}/`, { headers: { accept: "text/html" } });
    assert.equal(page.status, 401);
    const markup = (await page.text()).replace(/\s+/g, " ");
    assert.ok(markup.includes(`<code>iam-auth-proxy --bind ${proxyAddress}</code>`), markup);
    assert.ok(markup.includes(`<code>http://${proxyAddress}/proxy.pac</code>`), markup);
    assert.ok(markup.includes("npm ci &amp;&amp; npm run build &amp;&amp; npm link"), markup);
    assert.doesNotMatch(markup, /127\.0\.0\.1:8080/);
    const line = await (await fetch(`${urls.app}/`)).text();
    assert.ok(line.includes(`run \`iam-auth-proxy --bind ${proxyAddress}\``), line);
  });

  it("stops everything on Ctrl-C (SIGINT) and exits 0", async () => {
    const exit = exited();
    demo.kill("SIGINT");
    assert.equal(await exit, 0);
    for (const url of [urls.app, urls.proxy, urls.aws]) {
      await assert.rejects(fetch(url), `${url} still answers after the demo stopped`);
    }
  });
});
