import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { demoAccount } from "../../local-aws/demo-account.js";
import { eventually } from "../helpers/eventually.js";
import { httpRequest, type HttpResult } from "../helpers/http-client.js";
import { startLocalAws, type LocalAws } from "../helpers/local-aws.js";
import { startMicrosocks, type TestSocksServer } from "../helpers/microsocks.js";
import { readRest, sendConnect } from "../helpers/proxy-clients.js";
import { startProxyProcess, type ProxyProcess } from "../helpers/proxy-process.js";
import type { RunningService } from "../helpers/service.js";
import { startStsOnlyApp } from "../helpers/sts-only-app.js";

/*
 * Issue 15's fault matrix, the SOCKS rows: a proxy started with --socks-proxy reaches its app
 * only through a real microsocks on 127.0.0.1 (as through `ssh -D`). The SOCKS server is killed
 * (its port closed) or stopped with SIGSTOP (the kernel still accepts connections, nothing
 * answers: a hung tunnel), then brought back. Requests to the app get 502 SOCKS_UNREACHABLE with
 * one line, plain HTTP and CONNECT alike (or, over a tunnel kept alive through the hung server,
 * 504 UPSTREAM_TIMEOUT once --upstream-timeout passes); the proxy's own pages go on; the proxy process stays
 * up and serves the app again as soon as the SOCKS server is back, with the session it held.
 * (test/e2e/reach-socks.test.ts covers SOCKS inside a private network, and its refusals.)
 */

const suite = "faults-socks";
const arnLine = `${demoAccount.users.demo.arn}\n`;

describe("the SOCKS server down, hung, and back (real microsocks and proxy)", () => {
  let aws: LocalAws;
  let app: RunningService;
  let socks: TestSocksServer;
  let proxy: ProxyProcess;

  before(async () => {
    aws = await startLocalAws(suite);
    app = await startStsOnlyApp(suite, aws.url);
    socks = await startMicrosocks(suite);
    proxy = await startProxyProcess(`${suite}/proxy.log`, aws.url, [
      ...["--bind", "127.0.0.1:0", "--socks-proxy", socks.address, "--upstream-timeout", "2"],
    ]);
    const first = await throughProxy();
    assert.deepEqual([first.status, first.body], [200, arnLine], "signed in through SOCKS before any fault");
  });
  after(async () => {
    await proxy?.service.stop();
    await socks?.close();
    await app?.stop();
    await aws?.stop();
  });

  const throughProxy = (): Promise<HttpResult> =>
    httpRequest(`${app.url}/`, { proxy: proxy.url, headers: { accept: "text/plain" } });

  function assertSocksUnreachable(answer: HttpResult, reason: string): void {
    assert.deepEqual(
      [answer.status, answer.headers["iam-auth-proxy-error"], answer.body],
      [
        502,
        "SOCKS_UNREACHABLE",
        `SOCKS_UNREACHABLE: Cannot reach the SOCKS proxy ${socks.address}: ${reason}\n`,
      ],
    );
  }

  /** The proxy's own pages need no SOCKS server: they answer, and the process is still up. */
  async function assertProxyServing(): Promise<void> {
    const status = await httpRequest(`${proxy.url}/`, { headers: { accept: "text/html" } });
    assert.equal(status.status, 200, "the status page");
    const pac = await httpRequest(`${proxy.url}/proxy.pac`);
    assert.equal(pac.status, 200, "the PAC file");
    assert.equal(proxy.service.process.exitCode, null, "the proxy is still running");
  }

  /** Back: the app through SOCKS, with the session the proxy held, and a new sign-in too. */
  async function assertRecovered(): Promise<void> {
    await eventually(
      "the app answers through SOCKS again",
      async () => (await throughProxy()).status === 200,
    );
    assert.equal((await throughProxy()).body, arnLine, "with the session the proxy held");
    const signIn = await httpRequest(`${app.url}/`, {
      proxy: proxy.url,
      headers: { accept: "text/plain", cookie: "iam-auth-session=expired" },
    });
    assert.deepEqual([signIn.status, signIn.body], [200, arnLine], "and a new sign-in");
  }

  it("killed (its port closed): 502 SOCKS_UNREACHABLE ECONNREFUSED for HTTP and CONNECT; started again: served at once", async () => {
    await socks.kill();
    try {
      assertSocksUnreachable(await throughProxy(), "ECONNREFUSED");
      const tunnel = await sendConnect(proxy.url, new URL(app.url).host);
      assert.equal(tunnel.status, 502);
      assert.match(tunnel.head, /\r\nIam-Auth-Proxy-Error: SOCKS_UNREACHABLE\r\n/i);
      assert.equal(
        await readRest(tunnel),
        `SOCKS_UNREACHABLE: Cannot reach the SOCKS proxy ${socks.address}: ECONNREFUSED\n`,
      );
      await assertProxyServing();
    } finally {
      await socks.start();
    }
    await assertRecovered();
  });

  it("hung (SIGSTOP: connections accepted, never answered): a new connection gets 502 SOCKS_UNREACHABLE after 10 s, a kept-alive tunnel 504 UPSTREAM_TIMEOUT; resumed: served again", async () => {
    socks.pause();
    try {
      // Never reached through SOCKS before: the proxy must open a new connection, whose SOCKS
      // handshake is never answered.
      const fresh = httpRequest(`${aws.url}/__local-aws/calls`, { proxy: proxy.url });
      // Reached a moment ago: the proxy may still hold a kept-alive tunnel through the hung
      // server, where the app's answer never comes (--upstream-timeout 2), or open a new one.
      const known = throughProxy();
      // Meanwhile the proxy answers everything else.
      await assertProxyServing();
      assertSocksUnreachable(await fresh, "it accepted the connection but did not answer within 10 s");
      const answer = await known;
      const stalledTunnel = [
        504,
        "UPSTREAM_TIMEOUT",
        `UPSTREAM_TIMEOUT: ${new URL(app.url).host} did not send its response head within 2 s (the upstream timeout)\n`,
      ];
      const seen = [answer.status, answer.headers["iam-auth-proxy-error"], answer.body];
      if (seen[0] === 504) assert.deepEqual(seen, stalledTunnel);
      else assertSocksUnreachable(answer, "it accepted the connection but did not answer within 10 s");
    } finally {
      socks.resume();
    }
    await assertRecovered();
  });
});
