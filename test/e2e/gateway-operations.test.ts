import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { demoAccount } from "../../local-aws/demo-account.js";
import { readJsonLines } from "../helpers/audit-log.js";
import { httpRequest } from "../helpers/http-client.js";
import { awsEnvFor, startLocalAws, type LocalAws } from "../helpers/local-aws.js";
import { startService, type RunningService } from "../helpers/service.js";

/*
 * Operations of the IAM gateway, end to end with real processes (local AWS, the gateway with
 * JSON logs and a metrics port, the person's proxy): /metrics counters move with sign-ins and
 * refusals, the JSON log holds exactly one audit event per sign-in and refusal, /healthz and
 * /readyz answer on both ports, and SIGTERM lets a request in flight finish before exit 0.
 */

const suite = "gateway-operations";
const { users, accountId } = demoAccount;
const SHUTDOWN_TIMEOUT_SECONDS = 5;

/** The gateway's JSON log lines so far; a line that is not JSON fails the test. */
const readLog = (service: RunningService): Record<string, unknown>[] => readJsonLines(service.output());

/** The value of one series in Prometheus text format (0 when the series does not exist yet). */
function seriesValue(metrics: string, name: string, labels: Record<string, string>): number {
  const wanted = Object.entries(labels)
    .map(([key, value]) => `${key}="${value}"`)
    .sort()
    .join(",");
  for (const line of metrics.split("\n")) {
    const match = /^([a-z_]+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (match?.[1] !== name) continue;
    const have = (match[2] ?? "").split(",").filter(Boolean).sort().join(",");
    if (have === wanted) return Number(match[3]);
  }
  return 0;
}

describe("gateway operations: metrics, audit log, health, graceful shutdown (real processes)", () => {
  let aws: LocalAws;
  let app: Server;
  let gateway: RunningService;
  let proxy: RunningService;
  let metricsUrl: string;
  let secretDir: string;
  const seenByApp: { path: string; headers: IncomingHttpHeaders }[] = [];
  // The app holds /slow until the test releases it, so a request is surely in flight at SIGTERM.
  let slowArrived: () => void = () => undefined;
  const slowArrival = new Promise<void>((resolve) => (slowArrived = resolve));
  let releaseSlow: () => void = () => undefined;
  const slowRelease = new Promise<void>((resolve) => (releaseSlow = resolve));

  before(async () => {
    aws = await startLocalAws(suite);
    secretDir = mkdtempSync(join(tmpdir(), "iam-auth-gateway-ops-"));
    const secretFile = join(secretDir, "session-secret");
    writeFileSync(secretFile, randomBytes(32).toString("hex"), { mode: 0o600 });
    app = createServer((req, res) => {
      seenByApp.push({ path: req.url ?? "", headers: req.headers });
      if (req.url === "/slow") {
        slowArrived();
        void slowRelease.then(() => res.end("slow done\n"));
        return;
      }
      res.end("hello\n");
    });
    await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
    gateway = await startService({
      script: "gateway/cli/main.js",
      args: [
        "--bind",
        "127.0.0.1:0",
        "--metrics-bind",
        "127.0.0.1:0",
        "--shutdown-timeout",
        String(SHUTDOWN_TIMEOUT_SECONDS),
        "--upstream",
        `http://127.0.0.1:${(app.address() as AddressInfo).port}`,
        "--account",
        accountId,
        "--session-secret-file",
        secretFile,
        "--test-sts-endpoint",
        aws.url,
      ],
      logName: `${suite}/gateway.log`,
    });
    const listening = readLog(gateway).find((record) => record.event === "listening");
    assert.equal(typeof listening?.metrics, "string", "the listening event names the metrics URL");
    metricsUrl = listening?.metrics as string;
    proxy = await startService({
      script: "proxy/cli/main.js",
      args: ["--bind", "127.0.0.1:0"],
      env: awsEnvFor(aws.url, users.demo),
      logName: `${suite}/proxy.log`,
    });
  });

  after(async () => {
    releaseSlow();
    await Promise.all([gateway?.stop(), proxy?.stop()]);
    await new Promise((resolve) => app?.close(resolve));
    await aws?.stop();
    if (secretDir !== undefined) rmSync(secretDir, { recursive: true, force: true });
  });

  const scrape = async (): Promise<string> => {
    const answer = await httpRequest(`${metricsUrl}/metrics`);
    assert.equal(answer.status, 200);
    assert.match(String(answer.headers["content-type"]), /^text\/plain; version=0\.0\.4/);
    return answer.body;
  };

  it("/metrics counts one sign-in and one refusal exactly, and one audit event each in the JSON log", async () => {
    const before = await scrape();
    const signedIn = await httpRequest(`${gateway.url}/reports`, { proxy: proxy.url });
    assert.equal(signedIn.status, 200, signedIn.body);
    const refused = await httpRequest(`${gateway.url}/auth?token=sts1.junk`, {
      headers: { "X-Request-Id": "forged-by-the-client" },
    });
    assert.equal(refused.status, 403, refused.body);
    const after = await scrape();

    const success = { method: "sts", outcome: "success", reason: "none" };
    const refusal = { method: "sts", outcome: "refused", reason: "STS_PROOF_MALFORMED" };
    const moved = (labels: Record<string, string>): number =>
      seriesValue(after, "iam_auth_sign_ins_total", labels) -
      seriesValue(before, "iam_auth_sign_ins_total", labels);
    assert.equal(moved(success), 1, "successful STS sign-ins");
    assert.equal(moved(refusal), 1, "refused STS sign-ins (STS_PROOF_MALFORMED)");
    const durations = (text: string): number =>
      seriesValue(text, "iam_auth_sign_in_duration_seconds_count", { method: "sts", outcome: "success" });
    assert.equal(durations(after) - durations(before), 1, "sign-in latency observations");
    const stsCalls = (text: string): number =>
      seriesValue(text, "iam_auth_aws_call_duration_seconds_count", {
        call: "sts:GetCallerIdentity",
        outcome: "ok",
      });
    assert.equal(stsCalls(after) - stsCalls(before), 1, "STS calls timed");
    const proxied = (text: string): number =>
      seriesValue(text, "iam_auth_gateway_requests_total", { status_class: "2xx" });
    assert.equal(proxied(after) - proxied(before), 1, "requests passed to the app with a 2xx answer");
    // Label values are bounded: no ARN, address or free text in any series.
    assert.doesNotMatch(after, /arn:aws|127\.0\.0\.1/);

    // The client's X-Request-Id is not from a trusted proxy: a new id is made, and answered.
    const refusedId = String(refused.headers["x-request-id"]);
    assert.notEqual(refusedId, "forged-by-the-client");
    assert.match(refusedId, /^[0-9a-f-]{36}$/);

    const audits = readLog(gateway).filter((record) => record.event === "audit");
    assert.deepEqual(
      audits.map((record) => [record.action, record.outcome, record.reason ?? "none", record.method]),
      [
        ["sign-in", "success", "none", "sts"],
        ["sign-in", "refused", "STS_PROOF_MALFORMED", "sts"],
      ],
    );
    const [signIn, refusalEvent] = audits;
    assert.equal(signIn?.identity, users.demo.arn);
    assert.equal(signIn?.status, 302);
    assert.equal(signIn?.remote, "127.0.0.1");
    assert.equal(typeof signIn?.time, "string");
    assert.equal(refusalEvent?.requestId, refusedId);
    assert.equal(refusalEvent?.status, 403);
    assert.equal(refusalEvent?.identity, undefined);
    const ids = audits.map((record) => record.requestId);
    assert.equal(new Set(ids).size, ids.length, "one audit event per request id");
    // The app got the request id of the request it served.
    const reports = seenByApp.find((seen) => seen.path === "/reports");
    assert.match(String(reports?.headers["x-request-id"]), /^[0-9a-f-]{36}$/);
    assert.equal(reports?.headers["x-request-id"], signedIn.headers["x-request-id"]);
    // Nothing a session is made of reaches the log.
    const log = gateway.output();
    assert.ok(!log.includes("sts1.junk"), "the refused token is not logged");
    assert.doesNotMatch(log, /iam-auth-session=|X-Amz-Signature|X-Amz-Security-Token/i);
  });

  it("/healthz and /readyz answer on the main port before sign-in, never reaching the app, and on the metrics port", async () => {
    for (const origin of [gateway.url, metricsUrl]) {
      const health = await httpRequest(`${origin}/healthz`);
      assert.deepEqual([health.status, health.body], [200, "ok\n"], origin);
      const ready = await httpRequest(`${origin}/readyz`);
      assert.deepEqual([ready.status, ready.body], [200, "ready\n"], origin);
      const post = await httpRequest(`${origin}/healthz`, { method: "POST" });
      assert.equal(post.status, 405, origin);
    }
    assert.deepEqual(
      seenByApp.filter((seen) => seen.path.startsWith("/healthz") || seen.path.startsWith("/readyz")),
      [],
    );
    const other = await httpRequest(`${metricsUrl}/reports`);
    assert.equal(other.status, 404);
  });

  it("SIGTERM: the request in flight completes, /readyz turns 503, and the gateway exits 0 within --shutdown-timeout", async () => {
    const slow = httpRequest(`${gateway.url}/slow`, { proxy: proxy.url });
    await slowArrival;
    const exited = new Promise<number | null>((resolve) =>
      gateway.process.once("exit", (code) => resolve(code)),
    );
    const signalledAt = Date.now();
    gateway.process.kill("SIGTERM");
    // The metrics port stays up while the main server drains: it tells load balancers to stop.
    let ready = await httpRequest(`${metricsUrl}/readyz`);
    while (ready.status === 200) ready = await httpRequest(`${metricsUrl}/readyz`);
    assert.deepEqual([ready.status, ready.body], [503, "not ready: shutting down\n"]);
    releaseSlow();
    const answer = await slow;
    assert.deepEqual([answer.status, answer.body], [200, "slow done\n"]);
    assert.equal(await exited, 0);
    assert.ok(Date.now() - signalledAt < SHUTDOWN_TIMEOUT_SECONDS * 1000, "exited within the timeout");
    const stopped = readLog(gateway).find((record) => record.event === "stopped");
    assert.equal(stopped?.finished, true);
  });
});
