import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readSoakSettings, SoakSettingsError, soakSettings } from "../../../../bench/soak/settings.js";

describe("readSoakSettings", () => {
  it("without variables, is the issue's soak: 5,000 sign-ins at 50, 200,000 requests, RSS within 10 %, both targets, after as many sign-ins", () => {
    assert.deepEqual(readSoakSettings({}), {
      targets: ["example-server", "gateway"],
      signIns: 5000,
      requests: 200_000,
      concurrency: 50,
      warmupSignIns: 5000,
      warmupRequests: 20_000,
      rssGrowthPercent: 10,
      rssSlackMegabytes: 0,
      settleSeconds: 30,
    });
  });

  it("reads every SOAK_* variable; the warm-up follows the sizes unless given", () => {
    const settings = readSoakSettings({
      SOAK_ONLY: "gateway",
      SOAK_SIGN_INS: "300",
      SOAK_REQUESTS: "5000",
      SOAK_CONCURRENCY: "10",
      SOAK_RSS_SLACK_MB: "25",
      SOAK_SETTLE_SECONDS: "",
    });
    assert.deepEqual(settings.targets, ["gateway"]);
    assert.equal(settings.warmupSignIns, 300);
    assert.equal(settings.warmupRequests, 500);
    assert.equal(settings.concurrency, 10);
    assert.equal(settings.rssSlackMegabytes, 25);
    assert.equal(settings.settleSeconds, 30);
    assert.equal(soakSettings({ signIns: 3, requests: 4 }).warmupRequests, 1);
  });

  it("reports every bad variable at once, naming it and the value", () => {
    assert.throws(
      () => readSoakSettings({ SOAK_SIGN_INS: "lots", SOAK_CONCURRENCY: "0", SOAK_ONLY: "proxy" }),
      (error: unknown) => {
        assert.ok(error instanceof SoakSettingsError);
        assert.equal(error.code, "SOAK_SETTINGS_INVALID");
        assert.deepEqual(error.problems, [
          'SOAK_SIGN_INS: must be an integer from 1 to 1000000 (got "lots")',
          'SOAK_CONCURRENCY: must be an integer from 1 to 1000 (got "0")',
          'SOAK_ONLY: comma-separated names from example-server, gateway (unknown: "proxy")',
        ]);
        return true;
      },
    );
  });
});
