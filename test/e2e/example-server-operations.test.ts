import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { demoAccount } from "../../local-aws/demo-account.js";
import { auditEvents, readJsonLines } from "../helpers/audit-log.js";
import { httpRequest } from "../helpers/http-client.js";
import { awsEnvFor, startLocalAws, type LocalAws } from "../helpers/local-aws.js";
import { startService, type RunningService } from "../helpers/service.js";

/*
 * Operations of the example server (METRICS_BIND, JSON logs by default, SIGTERM) and of the
 * proxy's --log-format json, with real processes: the local AWS, the example server (STS only)
 * and the person's proxy signing in to it.
 */

const suite = "example-server-operations";
const { users, accountId } = demoAccount;

/** The sample of a series in Prometheus text format: `name{labels} value`, labels in registration order. */
function sample(metrics: string, series: string): number {
  const line = metrics.split("\n").find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

describe("example server and proxy operations (real processes)", () => {
  let aws: LocalAws;
  let server: RunningService;
  let proxy: RunningService;
  let metricsUrl: string;

  before(async () => {
    aws = await startLocalAws(suite);
    server = await startService({
      script: "example-server/main.js",
      env: {
        AWS_ACCOUNT_ID: accountId,
        SECRET_KEY: randomBytes(32).toString("hex"),
        PORT: "0",
        METRICS_BIND: "127.0.0.1:0",
        IAM_AUTH_METHODS: "sts",
        IAM_AUTH_TEST_STS_ENDPOINT: aws.url,
        AWS_CONFIG_FILE: "/dev/null",
        AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
        AWS_EC2_METADATA_DISABLED: "true",
      },
      logName: `${suite}/example-server.log`,
    });
    const listening = readJsonLines(server.output()).find((record) => record.event === "listening");
    metricsUrl = String(listening?.metrics);
    proxy = await startService({
      script: "proxy/cli/main.js",
      args: ["--bind", "127.0.0.1:0", "--log-format", "json"],
      env: awsEnvFor(aws.url, users.demo),
      logName: `${suite}/proxy.log`,
    });
  });

  after(async () => {
    await Promise.all([server?.stop(), proxy?.stop()]);
    await aws?.stop();
  });

  it("/metrics on METRICS_BIND counts one sign-in and one refusal exactly; the JSON log has one audit event each", async () => {
    const scrape = async (): Promise<string> => (await httpRequest(`${metricsUrl}/metrics`)).body;
    const before = await scrape();
    const signedIn = await httpRequest(`${server.url}/`, { proxy: proxy.url });
    assert.deepEqual([signedIn.status, signedIn.body], [200, `${users.demo.arn}\n`]);
    const refused = await httpRequest(`${server.url}/auth?token=sts1.junk`);
    assert.equal(refused.status, 403);
    const after = await scrape();
    const success = 'iam_auth_sign_ins_total{method="sts",outcome="success",reason="none"}';
    const refusal = 'iam_auth_sign_ins_total{method="sts",outcome="refused",reason="STS_PROOF_MALFORMED"}';
    assert.equal(sample(after, success) - sample(before, success), 1);
    assert.equal(sample(after, refusal) - sample(before, refusal), 1);
    // The process metrics come along (one registry per process, served on the metrics port only).
    assert.match(after, /^process_cpu_user_seconds_total /m);
    const onMainPort = await httpRequest(`${server.url}/metrics`);
    assert.equal(onMainPort.status, 401, "the app's port has no /metrics: it is an app path like any other");

    const events = auditEvents(server.output());
    assert.deepEqual(
      events.map((event) => [event.action, event.outcome, event.reason ?? "none"]),
      [
        ["sign-in", "success", "none"],
        ["sign-in", "refused", "STS_PROOF_MALFORMED"],
      ],
    );
    assert.equal(new Set(events.map((event) => event.requestId)).size, 2);
    assert.ok(!server.output().includes("sts1.junk"));
  });

  it("/healthz and /readyz answer on the app's port (before sign-in) and on METRICS_BIND", async () => {
    for (const origin of [server.url, metricsUrl]) {
      const health = await httpRequest(`${origin}/healthz`);
      assert.deepEqual([health.status, health.body], [200, "ok\n"], origin);
      const ready = await httpRequest(`${origin}/readyz`);
      assert.deepEqual([ready.status, ready.body], [200, "ready\n"], origin);
    }
  });

  it("the proxy with --log-format json writes only JSON lines, its listening and login events among them", () => {
    const records = readJsonLines(proxy.output());
    const listening = records.find((record) => record.event === "listening");
    assert.equal(listening?.msg, `listening url=${proxy.url}`);
    assert.ok(records.some((record) => record.event === "login" && record.outcome === "signed-in"));
    assert.ok(records.every((record) => typeof record.time === "string" && typeof record.level === "string"));
  });

  it("SIGTERM: the example server logs its shutdown and exits 0", async () => {
    const exited = new Promise<number | null>((resolve) =>
      server.process.once("exit", (code) => resolve(code)),
    );
    server.process.kill("SIGTERM");
    assert.equal(await exited, 0);
    const stopped = readJsonLines(server.output()).find((record) => record.event === "stopped");
    assert.equal(stopped?.finished, true);
  });
});
