import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { memoizeCredentials, type AwsCredentials } from "../../../../proxy/aws/credentials.js";

const minute = 60_000;

function countingProvider(results: (AwsCredentials | Error)[]): {
  provider: () => Promise<AwsCredentials>;
  calls: () => number;
} {
  let calls = 0;
  return {
    provider: () => {
      const result = results[Math.min(calls, results.length - 1)];
      calls++;
      return result instanceof Error ? Promise.reject(result) : Promise.resolve(result as AwsCredentials);
    },
    calls: () => calls,
  };
}

describe("memoizeCredentials", () => {
  it("keeps credentials without an expiration", async () => {
    const long = { accessKeyId: "AKIATEST", secretAccessKey: "s" };
    const { provider, calls } = countingProvider([long]);
    const memoized = memoizeCredentials(provider);
    assert.equal(await memoized(), long);
    assert.equal(await memoized(), long);
    assert.equal(calls(), 1);
  });

  it("refreshes temporary credentials 5 minutes before they expire", async () => {
    let now = 0;
    const first = { accessKeyId: "ASIA1", secretAccessKey: "s", expiration: new Date(10 * minute) };
    const second = { accessKeyId: "ASIA2", secretAccessKey: "s", expiration: new Date(70 * minute) };
    const { provider, calls } = countingProvider([first, second]);
    const memoized = memoizeCredentials(provider, () => now);
    assert.equal(await memoized(), first);
    now = 4 * minute;
    assert.equal(await memoized(), first);
    now = 5 * minute + 1;
    assert.equal(await memoized(), second);
    assert.equal(calls(), 2);
  });

  it("answers a failure again for a second, then looks again (e.g. after aws configure or aws sso login)", async () => {
    let now = 0;
    const found = { accessKeyId: "AKIATEST", secretAccessKey: "s" };
    const { provider, calls } = countingProvider([
      new Error("Could not load credentials from any providers"),
      found,
    ]);
    const memoized = memoizeCredentials(provider, () => now);
    await assert.rejects(memoized(), { message: "Could not load credentials from any providers" });
    now = 999;
    await assert.rejects(memoized(), { message: "Could not load credentials from any providers" });
    assert.equal(calls(), 1);
    now = 1000;
    assert.equal(await memoized(), found);
    assert.equal(await memoized(), found);
    assert.equal(calls(), 2);
  });

  it("concurrent callers share one failed lookup", async () => {
    const { provider, calls } = countingProvider([new Error("none")]);
    const memoized = memoizeCredentials(provider);
    const results = await Promise.allSettled([memoized(), memoized(), memoized()]);
    assert.deepEqual(
      results.map((result) => result.status),
      ["rejected", "rejected", "rejected"],
    );
    assert.equal(calls(), 1);
  });

  it("shares one resolution between concurrent callers (an MFA code must not be sent twice)", async () => {
    const found = { accessKeyId: "AKIATEST", secretAccessKey: "s" };
    const { provider, calls } = countingProvider([found]);
    const memoized = memoizeCredentials(provider);
    const results = await Promise.all([memoized(), memoized(), memoized()]);
    assert.deepEqual(results, [found, found, found]);
    assert.equal(calls(), 1);
  });
});
