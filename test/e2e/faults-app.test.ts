import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { demoAccount } from "../../local-aws/demo-account.js";
import { eventually } from "../helpers/eventually.js";
import { freePort } from "../helpers/free-port.js";
import { startGatewayProcess, type GatewayProcess } from "../helpers/gateway-process.js";
import { httpRequest, type HttpResult } from "../helpers/http-client.js";
import { startLocalAws, type LocalAws } from "../helpers/local-aws.js";
import { startMisbehavingApp, type MisbehavingApp, type Misbehaviour } from "../helpers/misbehaving-app.js";
import { startProxyProcess, type ProxyProcess } from "../helpers/proxy-process.js";
import type { RunningService } from "../helpers/service.js";
import { startStsOnlyApp } from "../helpers/sts-only-app.js";
import { startTcpGate, type TcpGate } from "../helpers/tcp-gate.js";

/*
 * Issue 15's fault matrix, the app's rows, for what test/e2e/upstream-failure-modes.test.ts (each
 * failure's answer in every proxy mode) does not show: that the same app recovers without any
 * restart once it behaves again, that the session signed in before the fault is still good after
 * it (no new sign-in, no AWS call), that the other apps behind the same proxy are unaffected, and
 * what the gateway answers when the app behind it breaks — seen through the person's proxy.
 */

const suite = "faults-app";
const arnLine = `${demoAccount.users.demo.arn}\n`;

/** A misbehaviour and the proxy's own answer to it (see upstream-failure-modes.test.ts). */
const proxyRows: readonly { behaviour: Misbehaviour; status: number; code: string }[] = [
  { behaviour: "reset-before-head", status: 502, code: "UPSTREAM_UNREACHABLE" },
  { behaviour: "not-http", status: 502, code: "UPSTREAM_BAD_RESPONSE" },
  { behaviour: "obs-fold", status: 502, code: "UPSTREAM_BAD_RESPONSE" },
  { behaviour: "stalled-head", status: 504, code: "UPSTREAM_TIMEOUT" },
];

describe("an app that breaks and comes back, behind the proxy and behind the gateway (real processes)", () => {
  let aws: LocalAws;
  let proxy: ProxyProcess;
  /** An STS-only example server on a fixed port, killed and started again there. */
  let app: RunningService;
  let appPort = 0;
  const appSecret = randomBytes(32).toString("hex");
  /** Another app behind the same proxy, which nothing breaks. */
  let other: RunningService;
  /** A plain app that misbehaves on demand, reached directly by the proxy... */
  let switchable: MisbehavingApp;
  /** ...and one behind the gateway, through a gate the test closes (connection refused). */
  let behindGateway: MisbehavingApp;
  let gate: TcpGate;
  let gateway: GatewayProcess;

  before(async () => {
    aws = await startLocalAws(suite);
    appPort = await freePort();
    [app, other, switchable, behindGateway] = await Promise.all([
      startStsOnlyApp(suite, aws.url, appSecret, { PORT: String(appPort) }),
      startStsOnlyApp(`${suite}/other`, aws.url),
      startMisbehavingApp("ok"),
      startMisbehavingApp("ok"),
    ]);
    gate = await startTcpGate(behindGateway.port);
    gateway = await startGatewayProcess({
      upstream: gate.url,
      stsEndpoint: aws.url,
      logName: `${suite}/gateway.log`,
    });
    // --upstream-timeout 1: a stalled head is answered after 1 s.
    proxy = await startProxyProcess(`${suite}/proxy.log`, aws.url, [
      ...["--bind", "127.0.0.1:0", "--upstream-timeout", "1"],
    ]);
    for (const url of [app.url, other.url]) {
      const first = await get(url);
      assert.deepEqual([first.status, first.body], [200, arnLine], `signed in to ${url}`);
    }
    const signedIn = await get(gateway.url);
    assert.deepEqual([signedIn.status, signedIn.body], [200, "ok\n"], "signed in to the gateway");
  });
  after(async () => {
    await Promise.all([proxy?.service.stop(), app?.stop(), other?.stop(), gateway?.stop()]);
    await Promise.all([switchable?.close(), behindGateway?.close(), gate?.close()]);
    await aws?.stop();
  });

  /** A request through the proxy, which adds the session it holds for the app. */
  const get = (url: string): Promise<HttpResult> =>
    httpRequest(`${url}/`, { proxy: proxy.url, headers: { accept: "text/plain" } });

  function assertAnswer(
    answer: HttpResult,
    status: number,
    header: string,
    code: string,
    line: RegExp,
  ): void {
    const seen = `${answer.status} ${header}: ${String(answer.headers[header])} ${JSON.stringify(answer.body)}`;
    assert.deepEqual([answer.status, answer.headers[header]], [status, code], seen);
    assert.match(String(answer.headers["content-type"]), /^text\/plain\b/, seen);
    assert.match(answer.body, line, seen);
  }

  async function assertOthersServed(): Promise<void> {
    const answer = await get(other.url);
    assert.deepEqual([answer.status, answer.body], [200, arnLine], "another app behind the same proxy");
    for (const service of [proxy.service, other, gateway.service])
      assert.equal(service.process.exitCode, null);
  }

  it("the app is killed: 502 UPSTREAM_UNREACHABLE; started again on its port: served with the session signed in before, no new sign-in", async () => {
    const host = new URL(app.url).host;
    await app.stop();
    let restarted = false;
    try {
      assertAnswer(
        await get(app.url),
        502,
        "iam-auth-proxy-error",
        "UPSTREAM_UNREACHABLE",
        new RegExp(`^UPSTREAM_UNREACHABLE: Cannot reach ${host.replace(/\./g, "\\.")}: ECONNREFUSED\\n$`),
      );
      await assertOthersServed();
      await aws.resetCalls();
      app = await startStsOnlyApp(suite, aws.url, appSecret, { PORT: String(appPort) });
      restarted = true;
    } finally {
      if (!restarted) app = await startStsOnlyApp(suite, aws.url, appSecret, { PORT: String(appPort) });
    }
    await eventually(
      "the app answers through the proxy again",
      async () => (await get(app.url)).status === 200,
    );
    assert.equal((await get(app.url)).body, arnLine);
    assert.deepEqual(await aws.calls(), {}, "the session from before the fault: no sign-in, no AWS call");
  });

  for (const row of proxyRows) {
    it(`the app starts to answer ${row.behaviour}: ${row.status} ${row.code} from the proxy; behaves again: served, no restart`, async () => {
      switchable.behave(row.behaviour);
      try {
        assertAnswer(
          await get(`http://127.0.0.1:${switchable.port}`),
          row.status,
          "iam-auth-proxy-error",
          row.code,
          new RegExp(`^${row.code}: [^\\n]*127\\.0\\.0\\.1:${switchable.port}[^\\n]*\\n$`),
        );
        await assertOthersServed();
      } finally {
        switchable.behave("ok");
      }
      const back = await get(`http://127.0.0.1:${switchable.port}`);
      assert.deepEqual([back.status, back.body], [200, "ok\n"]);
    });
  }

  /** What the gateway answers (relayed by the proxy) while its app is broken in each way. */
  const gatewayRows: readonly {
    name: string;
    behaviour: Misbehaviour | "refused";
    status: number;
    line: RegExp;
  }[] = [
    { name: "refuses connections", behaviour: "refused", status: 502, line: /\(ECONNREFUSED\)\.\n$/ },
    {
      name: "resets before a complete head",
      behaviour: "reset-before-head",
      status: 502,
      line: /\(ECONNRESET\)\.\n$/,
    },
    {
      name: "answers bytes that are not HTTP",
      behaviour: "not-http",
      status: 502,
      line: /\(HPE_[A-Z_]+\)\.\n$/,
    },
  ];

  for (const row of gatewayRows) {
    it(`behind the gateway, the app ${row.name}: ${row.status} UPSTREAM_UNREACHABLE from the gateway, the session kept; behaves again: served`, async () => {
      if (row.behaviour === "refused") await gate.close();
      else behindGateway.behave(row.behaviour);
      try {
        const answer = await get(gateway.url);
        assertAnswer(
          answer,
          row.status,
          "iam-auth-gateway-error",
          "UPSTREAM_UNREACHABLE",
          new RegExp(`^The app at ${gate.url.replace(/\./g, "\\.")} could not be reached ${row.line.source}`),
        );
        assert.equal(
          answer.headers["iam-auth-proxy-error"],
          undefined,
          "the gateway's answer, relayed as it is",
        );
        await assertOthersServed();
      } finally {
        if (row.behaviour === "refused") await gate.open();
        else behindGateway.behave("ok");
      }
      const back = await get(gateway.url);
      assert.deepEqual([back.status, back.body], [200, "ok\n"], "served again with the same session");
    });
  }
});
