import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Registry } from "prom-client";
import { createIamAuthMetrics, timeAwsCall } from "../../../../server-middleware/operations/metrics.js";
import { countReplayStoreErrors } from "../../../../server-middleware/operations/metrics-aws.js";

async function valueOf(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const metric = await registry.getSingleMetric(name)?.get();
  const found = metric?.values.find((value) =>
    Object.entries(labels).every(([key, label]) => String(value.labels[key]) === label),
  );
  return found?.value ?? 0;
}

describe("createIamAuthMetrics", () => {
  it("registers every metric in the given registry, and nothing in prom-client's global one", async () => {
    const registry = new Registry();
    createIamAuthMetrics(registry);
    const names = (await registry.getMetricsAsJSON()).map((metric) => metric.name).sort();
    assert.deepEqual(names, [
      "iam_auth_aws_call_duration_seconds",
      "iam_auth_aws_call_errors_total",
      "iam_auth_replay_store_errors_total",
      "iam_auth_sign_in_duration_seconds",
      "iam_auth_sign_ins_total",
      "iam_auth_sign_outs_total",
    ]);
  });

  it("when two instances share one registry, they share the metrics instead of clashing", async () => {
    const registry = new Registry();
    const first = createIamAuthMetrics(registry);
    const second = createIamAuthMetrics(registry);
    first.signIns.inc({ method: "sts", outcome: "success", reason: "none" });
    second.signIns.inc({ method: "sts", outcome: "success", reason: "none" });
    assert.equal(
      await valueOf(registry, "iam_auth_sign_ins_total", { method: "sts", outcome: "success" }),
      2,
    );
  });

  it("when two instances have their own registries, their counts stay apart", async () => {
    const a = createIamAuthMetrics(new Registry());
    const b = createIamAuthMetrics(new Registry());
    a.signOuts.inc({ outcome: "success", reason: "none" });
    assert.equal(await valueOf(b.registry, "iam_auth_sign_outs_total", { outcome: "success" }), 0);
    assert.equal(await valueOf(a.registry, "iam_auth_sign_outs_total", { outcome: "success" }), 1);
  });
});

describe("timeAwsCall", () => {
  it("times a call that succeeds as ok, with no error counted", async () => {
    const metrics = createIamAuthMetrics();
    assert.equal(await timeAwsCall(metrics, "kms:Decrypt", () => Promise.resolve("plaintext")), "plaintext");
    const text = await metrics.registry.metrics();
    assert.match(text, /iam_auth_aws_call_duration_seconds_count\{call="kms:Decrypt",outcome="ok"\} 1\n/);
    assert.doesNotMatch(text, /iam_auth_aws_call_errors_total\{/);
  });

  it("when the call throws: rethrows it, times it as error and counts one error", async () => {
    const metrics = createIamAuthMetrics();
    await assert.rejects(
      timeAwsCall(metrics, "sts:GetCallerIdentity", () => Promise.reject(new Error("ECONNREFUSED"))),
      /ECONNREFUSED/,
    );
    const text = await metrics.registry.metrics();
    assert.match(
      text,
      /iam_auth_aws_call_duration_seconds_count\{call="sts:GetCallerIdentity",outcome="error"\} 1\n/,
    );
    assert.match(text, /iam_auth_aws_call_errors_total\{call="sts:GetCallerIdentity"\} 1\n/);
  });

  it("when the answer is an error (AWS's 403 to a fetch): times it as error", async () => {
    const metrics = createIamAuthMetrics();
    const status = await timeAwsCall(
      metrics,
      "sts:GetCallerIdentity",
      () => Promise.resolve(403),
      (answer) => answer !== 200,
    );
    assert.equal(status, 403);
    assert.match(
      await metrics.registry.metrics(),
      /iam_auth_aws_call_errors_total\{call="sts:GetCallerIdentity"\} 1\n/,
    );
  });
});

describe("countReplayStoreErrors", () => {
  it("passes answers through and counts each failure by operation", async () => {
    const metrics = createIamAuthMetrics();
    let fail = false;
    const store = countReplayStoreErrors(
      {
        claim: () => (fail ? Promise.reject(new Error("down")) : Promise.resolve(true)),
        check: () => Promise.reject(new Error("down")),
      },
      metrics,
    );
    assert.equal(await store.claim("k", new Date()), true);
    fail = true;
    await assert.rejects(store.claim("k", new Date()), /down/);
    await assert.rejects(store.check?.() ?? Promise.resolve(), /down/);
    assert.equal(
      await valueOf(metrics.registry, "iam_auth_replay_store_errors_total", { operation: "claim" }),
      1,
    );
    assert.equal(
      await valueOf(metrics.registry, "iam_auth_replay_store_errors_total", { operation: "check" }),
      1,
    );
  });

  it("when the store has no check(), neither has the counted one (readiness treats it as ready)", () => {
    const store = countReplayStoreErrors({ claim: () => Promise.resolve(true) }, createIamAuthMetrics());
    assert.equal("check" in store, false);
  });
});
