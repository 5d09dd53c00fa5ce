import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { startLocalAws, type LocalAws } from "../helpers/local-aws.js";
import { startProxyProcess, waitForOutput, type ProxyProcess } from "../helpers/proxy-process.js";

const suite = "other-user-refused";
// Connecting as another OS user means switching to it: only root can (setpriv --reuid=nobody).
const skipReason =
  process.getuid?.() !== 0
    ? "connecting as another OS user needs root (setpriv --reuid=nobody); this test runs as a non-root user"
    : !existsSync("/proc/net/tcp")
      ? "this system has no /proc/net/tcp, so the proxy does not check which user connects"
      : !existsSync("/usr/bin/setpriv")
        ? "setpriv is not installed"
        : undefined;

interface CurlAnswer {
  readonly status: number;
  readonly code: string | undefined;
  readonly body: string;
}

/** Runs curl through `proxy` to `url`, as `nobody` when `asNobody`, and reads its status, error code and body. */
function curl(proxy: string, url: string, asNobody: boolean): Promise<CurlAnswer> {
  return runCurl(["-x", proxy, url], asNobody);
}

/** Runs curl to `url` with no proxy (reverse mode's local address), as `nobody` when `asNobody`. */
function curlDirect(url: string, asNobody: boolean): Promise<CurlAnswer> {
  return runCurl(["--noproxy", "*", url], asNobody);
}

async function runCurl(extraArgs: readonly string[], asNobody: boolean): Promise<CurlAnswer> {
  const curlArgs = ["-sS", "-i", ...extraArgs];
  const [command, args] = asNobody
    ? ["setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "curl", ...curlArgs]]
    : ["curl", curlArgs];
  const { stdout } = await promisify(execFile)(command, args, { cwd: "/" });
  const [head = "", body = ""] = stdout.split("\r\n\r\n", 2);
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
  const code = /^iam-auth-proxy-error: (\S+)\r?$/im.exec(head)?.[1];
  return { status, code, body };
}

describe("a proxy on loopback serves only its own OS user", { skip: skipReason ?? false }, () => {
  let aws: LocalAws | undefined;
  let app: http.Server | undefined;
  let appUrl = "";
  let proxy: ProxyProcess | undefined;
  let openProxy: ProxyProcess | undefined;
  let reverseProxy: ProxyProcess | undefined;

  before(async () => {
    app = http.createServer((req, res) => res.end(`hello from the app ${req.url ?? ""}`));
    await new Promise<void>((resolve) => app?.listen(0, "127.0.0.1", resolve));
    appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}/page`;
    aws = await startLocalAws(suite);
    proxy = await startProxyProcess(`${suite}/proxy.log`, aws.url, ["--bind", ":0"]);
    openProxy = await startProxyProcess(`${suite}/proxy-allow-other-users.log`, aws.url, [
      "--bind",
      "127.0.0.1:0",
      "--allow-other-users",
    ]);
    reverseProxy = await startProxyProcess(`${suite}/proxy-reverse.log`, aws.url, [
      "--upstream",
      `${new URL(appUrl).origin}=127.0.0.1:0`,
    ]);
  });

  after(async () => {
    await proxy?.service.stop();
    await openProxy?.service.stop();
    await reverseProxy?.service.stop();
    await aws?.stop();
    await new Promise((resolve) => (app === undefined ? resolve(undefined) : app.close(resolve)));
  });

  it("refuses nobody's curl -x with one 403 OTHER_USER_REFUSED and logs it", async () => {
    const running = proxy as ProxyProcess;
    const answer = await curl(running.url, appUrl, true);
    assert.deepEqual(answer, {
      status: 403,
      code: "OTHER_USER_REFUSED",
      body:
        "OTHER_USER_REFUSED: This proxy acts for OS user uid 0, not for uid 65534: run your own proxy " +
        "(or start this one with --allow-other-users)\n",
    });
    await waitForOutput(running.service, /^\S+ client outcome=refused code=OTHER_USER_REFUSED uid=65534$/m);
    assert.doesNotMatch(running.service.output(), /hello from the app/);
  });

  it("serves the same request from the proxy's own user", async () => {
    const answer = await curl((proxy as ProxyProcess).url, appUrl, false);
    assert.deepEqual(answer, { status: 200, code: undefined, body: "hello from the app /page" });
  });

  it("refuses nobody on ::1 as well (the :PORT bind's second listener)", async (t) => {
    const listening = /^\S+ listening url=(http:\/\/\[::1\]:\d+)$/m.exec(
      (proxy as ProxyProcess).service.output(),
    );
    if (listening === null) return t.skip("this machine has no IPv6 loopback");
    const answer = await curl(listening[1] ?? "", appUrl, true);
    assert.deepEqual([answer.status, answer.code], [403, "OTHER_USER_REFUSED"]);
  });

  it("reverse mode refuses nobody too, and serves its own user", async () => {
    const running = reverseProxy as ProxyProcess;
    const local = `${running.reverseUrls.get(new URL(appUrl).origin) ?? ""}/page`;
    const refused = await curlDirect(local, true);
    assert.deepEqual([refused.status, refused.code], [403, "OTHER_USER_REFUSED"]);
    await waitForOutput(running.service, /^\S+ client outcome=refused code=OTHER_USER_REFUSED uid=65534$/m);
    assert.deepEqual(await curlDirect(local, false), {
      status: 200,
      code: undefined,
      body: "hello from the app /page",
    });
  });

  it("with --allow-other-users serves nobody", async () => {
    const answer = await curl((openProxy as ProxyProcess).url, appUrl, true);
    assert.deepEqual(answer, { status: 200, code: undefined, body: "hello from the app /page" });
    assert.doesNotMatch((openProxy as ProxyProcess).service.output(), /OTHER_USER_REFUSED/);
  });
});
