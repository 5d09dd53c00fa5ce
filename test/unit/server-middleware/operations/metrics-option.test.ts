import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Registry } from "prom-client";
import { credentialsPlaintext } from "../fake-aws.js";
import { authPath, cookieHeader, send, startTestApp, START_TIME, type TestApp } from "../test-app.js";

const inFifteenMinutes = new Date(START_TIME.getTime() + 900_000);

/** A series' sample in the registry's text format; 0 when absent. */
async function sample(registry: Registry, series: string): Promise<number> {
  const line = (await registry.metrics()).split("\n").find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

describe("iamAuth's metrics option (KMS method, fake KMS and STS)", () => {
  const registry = new Registry();
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ options: { metrics: { registry } } });
  });
  after(() => app.close());

  it("a sign-in counts one success, its latency, one kms:Decrypt and one sts:GetCallerIdentity, in the app's registry", async () => {
    const result = await send(app.url, authPath(app.kms.encrypt(credentialsPlaintext(inFifteenMinutes))));
    assert.equal(result.status, 302);
    assert.equal(
      await sample(registry, 'iam_auth_sign_ins_total{method="kms",outcome="success",reason="none"}'),
      1,
    );
    assert.equal(
      await sample(registry, 'iam_auth_sign_in_duration_seconds_count{method="kms",outcome="success"}'),
      1,
    );
    assert.equal(
      await sample(registry, 'iam_auth_aws_call_duration_seconds_count{call="kms:Decrypt",outcome="ok"}'),
      1,
    );
    assert.equal(
      await sample(
        registry,
        'iam_auth_aws_call_duration_seconds_count{call="sts:GetCallerIdentity",outcome="ok"}',
      ),
      1,
    );
  });

  it("a junk token counts one refusal under its error code, and no AWS call", async () => {
    const calls = await sample(
      registry,
      'iam_auth_aws_call_duration_seconds_count{call="kms:Decrypt",outcome="ok"}',
    );
    const result = await send(app.url, "/auth?token=%25%25%25");
    assert.equal(result.status, 403);
    assert.equal(
      await sample(
        registry,
        'iam_auth_sign_ins_total{method="kms",outcome="refused",reason="TOKEN_INVALID"}',
      ),
      1,
    );
    assert.equal(
      await sample(registry, 'iam_auth_aws_call_duration_seconds_count{call="kms:Decrypt",outcome="ok"}'),
      calls,
    );
  });

  it("a sign-out counts one success", async () => {
    const signIn = await send(app.url, authPath(app.kms.encrypt(credentialsPlaintext(inFifteenMinutes))));
    const result = await send(app.url, "/auth/sign-out", {
      method: "POST",
      headers: { cookie: cookieHeader(signIn.setCookies) },
    });
    assert.equal(result.status, 303);
    assert.equal(await sample(registry, 'iam_auth_sign_outs_total{outcome="success",reason="none"}'), 1);
  });
});
