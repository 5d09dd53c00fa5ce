import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { demoAccount } from "../../local-aws/demo-account.js";
import { curlViaProxy } from "../helpers/curl.js";
import { repoRoot, testLogsDir } from "../helpers/service.js";

const ready = /demo-ready app=(\S+) proxy=(\S+) aws=(\S+)( gateway=(\S+))?\n/;

interface RunningDemo {
  readonly process: ChildProcess;
  readonly urls: { app: string; proxy: string; aws: string; gateway: string | undefined };
  /** Everything it printed so far. */
  output(): string;
  exited(): Promise<number | null>;
}

/** Starts dist/scripts/demo.js with `args` and resolves once it prints its demo-ready line. */
async function startDemo(args: readonly string[], logName: string): Promise<RunningDemo> {
  mkdirSync(join(testLogsDir, "demo"), { recursive: true });
  const log = createWriteStream(join(testLogsDir, "demo", logName));
  // Ports 0: the demo's own defaults (3000, 8080, 4180) may be taken on a developer's machine.
  const child = spawn(process.execPath, [join(repoRoot, "dist/scripts/demo.js"), ...args], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const urls = await new Promise<RunningDemo["urls"]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`demo not ready:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      log.write(chunk);
      const match = ready.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ app: match[1] ?? "", proxy: match[2] ?? "", aws: match[3] ?? "", gateway: match[5] });
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => reject(new Error(`demo exited ${code}:\n${output}`)));
  });
  return {
    process: child,
    urls,
    output: () => output,
    exited: () => new Promise((resolve) => child.once("exit", (code) => resolve(code))),
  };
}

describe("npm run demo (scripts/demo.ts as a real process)", () => {
  let demo: RunningDemo;

  before(async () => {
    demo = await startDemo(["--app-port", "0", "--proxy-port", "0"], "demo.log");
  });

  after(() => {
    if (demo?.process.exitCode === null) demo.process.kill("SIGKILL");
  });

  it("prints what to try, with the curl line, and nothing about a gateway without --gateway", () => {
    const { urls } = demo;
    assert.ok(
      demo.output().includes(`curl -sS -L -c jar -b jar -x ${urls.proxy} ${urls.app}/`),
      demo.output(),
    );
    assert.equal(urls.gateway, undefined);
    assert.doesNotMatch(demo.output(), /\[(gateway|python-app)\]|The gateway at/);
  });

  it("the README's curl line prints the demo user's ARN", async () => {
    const { urls } = demo;
    assert.equal(
      await curlViaProxy(urls.proxy, `${urls.app}/`, { cookieJar: true }),
      `${demoAccount.users.demo.arn}\n`,
    );
  });

  it("the app's sign-in page names the demo's real proxy address, for browsers and for curl", async () => {
    const { urls } = demo;
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
    const exit = demo.exited();
    demo.process.kill("SIGINT");
    assert.equal(await exit, 0);
    for (const url of [demo.urls.app, demo.urls.proxy, demo.urls.aws]) {
      await assert.rejects(fetch(url), `${url} still answers after the demo stopped`);
    }
  });
});

describe("npm run demo -- --gateway (a Python app behind iam-auth-gateway)", () => {
  let demo: RunningDemo;
  let gateway: string;
  let workDir: string;

  before(async () => {
    demo = await startDemo(
      ["--gateway", "--app-port", "0", "--proxy-port", "0", "--gateway-port", "0"],
      "demo-gateway.log",
    );
    assert.ok(demo.urls.gateway !== undefined, demo.output());
    gateway = demo.urls.gateway;
    workDir = mkdtempSync(join(tmpdir(), "iam-auth-demo-test-"));
  });

  after(() => {
    if (demo?.process.exitCode === null) demo.process.kill("SIGKILL");
    if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true });
  });

  it("the printed curl line, run as printed in a shell, returns the Python app's page naming the demo user", async () => {
    const line = demo
      .output()
      .split("\n")
      .map((text) => text.trim())
      .find((text) => text.startsWith("curl ") && text.endsWith(` -x ${demo.urls.proxy} ${gateway}/`));
    assert.ok(line !== undefined, `no curl line for the gateway in:\n${demo.output()}`);
    assert.equal(line, `curl -sS -L -c jar -b jar -x ${demo.urls.proxy} ${gateway}/`);
    assert.ok(demo.output().includes(`→ prints Hello ${demoAccount.users.demo.arn}`), demo.output());
    // Copy-paste: the line goes to a shell unchanged, in a directory of its own (the jar file).
    const { stdout } = await promisify(execFile)("/bin/sh", ["-c", line], { cwd: workDir });
    assert.equal(stdout, `Hello ${demoAccount.users.demo.arn}\n`);
    assert.match(demo.output(), /\[python-app\] request "GET \/ HTTP\/1\.1" 200/);
  });

  it("without the proxy the gateway answers the 401 IAM challenge and the app sees nothing", async () => {
    const served = (demo.output().match(/\[python-app\] request /g) ?? []).length;
    const answer = await fetch(`${gateway}/`);
    assert.equal(answer.status, 401);
    assert.match(
      answer.headers.get("www-authenticate") ?? "",
      new RegExp(`^IAM realm="${demoAccount.accountId}"`),
    );
    assert.equal((demo.output().match(/\[python-app\] request /g) ?? []).length, served);
  });

  it("stops the gateway and the Python app too on Ctrl-C (SIGINT) and exits 0", async () => {
    const app = /\[python-app\] listening url=(\S+)/.exec(demo.output())?.[1];
    assert.ok(app !== undefined, demo.output());
    const exit = demo.exited();
    demo.process.kill("SIGINT");
    assert.equal(await exit, 0);
    for (const url of [gateway, app, demo.urls.proxy]) {
      await assert.rejects(fetch(url), `${url} still answers after the demo stopped`);
    }
  });
});
