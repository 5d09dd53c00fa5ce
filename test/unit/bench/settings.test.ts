import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { benchmarkNames, BenchSettingsError, readBenchSettings } from "../../../bench/settings.js";

describe("readBenchSettings", () => {
  it("without any variable, runs every benchmark with the defaults", () => {
    assert.deepEqual(readBenchSettings({}), {
      only: benchmarkNames,
      durationSeconds: 5,
      warmupSeconds: 1,
      rounds: 2,
      connectMegabytes: 200,
      loginSamples: 20,
      startSamples: 10,
    });
  });

  describe("BENCH_ONLY", () => {
    it("when it names benchmarks, keeps them in the standard order, each once", () => {
      assert.deepEqual(readBenchSettings({ BENCH_ONLY: "forward, login,forward" }).only, [
        "login",
        "forward",
      ]);
    });

    it("runs the benchmarks made of new connections before those that leave TIME_WAIT rows behind", () => {
      assert.deepEqual(
        readBenchSettings({ BENCH_ONLY: "gateway,forward,memory,local-user,login,intercept" }).only,
        ["intercept", "login", "local-user", "memory", "forward", "gateway"],
      );
    });

    it("when empty, counts as unset", () => {
      assert.deepEqual(readBenchSettings({ BENCH_ONLY: " " }).only, benchmarkNames);
    });
  });

  it("reads fractional durations", () => {
    assert.equal(readBenchSettings({ BENCH_DURATION_SECONDS: "2.5" }).durationSeconds, 2.5);
  });

  it("reports every invalid variable at once, naming each", () => {
    assert.throws(
      () =>
        readBenchSettings({ BENCH_ONLY: "forward,speed", BENCH_DURATION_SECONDS: "0", BENCH_ROUNDS: "1.5" }),
      (error: unknown) => {
        assert.ok(error instanceof BenchSettingsError);
        assert.equal(error.code, "BENCH_SETTINGS_INVALID");
        assert.deepEqual(error.problems, [
          'BENCH_ONLY: comma-separated names from intercept, login, local-user, memory, middleware, connect, forward-nginx, forward, gateway (unknown: "speed")',
          'BENCH_DURATION_SECONDS: must be a number from 0.5 to 120 (got "0")',
          'BENCH_ROUNDS: must be an integer from 1 to 10 (got "1.5")',
        ]);
        return true;
      },
    );
  });
});
