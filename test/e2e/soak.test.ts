import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { formatSoakTable } from "../../bench/soak/report.js";
import { soakSettings, soakTargetNames, type SoakTargetName } from "../../bench/soak/settings.js";
import { runSoak, type SoakResult } from "../../bench/soak/soak.js";
import { startSoakTarget, type SoakTarget } from "../../bench/soak/targets.js";
import { startLocalAws, type LocalAws } from "../helpers/local-aws.js";

/*
 * `npm run soak` (bench/soak/) made short enough for every test run: the same code, the same real
 * processes — our proxy in front of the example server, and in front of the gateway and a trivial
 * app, against the local AWS — with 300 sign-ins at concurrency 50 and 5,000 signed-in requests
 * per target instead of 5,000 and 200,000. Both targets run at once, each with its own local AWS
 * (each counts the STS calls of its own sign-ins). Their logs go to test-logs/bench/soak-e2e/,
 * which the log audit reads for secrets.
 *
 * The memory bound. After a warm-up of 100 sign-ins and 1,000 requests, a process may end at most
 * 10 % + 150 MB above its RSS after the warm-up. At these numbers RSS still moves by tens of MB
 * as V8 sizes its heap and the middleware's bounded stores fill (verified sessions, used proofs:
 * see bench/soak/settings.ts): the gateway, which also signs an assertion per request, grew
 * +61 MB under Node.js 20 and +119 MB under Node.js 24 in clean-clone CI runs (2026-12-03), the
 * example server up to +79 MB. So `npm run soak`'s 10 % alone would flake here, and so did an
 * 80 MB slack under Node.js 24. What this bound still fails a test run for is a gross leak: 30 KB
 * kept per request or per sign-in (a response body, a socket's buffers, a session) is over 150 MB
 * across these 5,300. Smaller leaks are `npm run soak`'s to find: after a warm-up that fills
 * those stores, its 10 % of about 200 MB is some 100 bytes per request over 200,000, or 4 KB per
 * sign-in over 5,000. (The heap after a forced full GC, read through the inspector, would be a
 * sharper check for a run this short; not built.)
 */

const settings = soakSettings({
  signIns: 300,
  requests: 5000,
  concurrency: 50,
  warmupSignIns: 100,
  warmupRequests: 1000,
  rssGrowthPercent: 10,
  rssSlackMegabytes: 150,
  // Idle kept-alive connections between the processes close within about 5 s.
  settleSeconds: 30,
});

describe("soak, shortened: sign-ins and signed-in requests through the real processes", () => {
  const results = new Map<SoakTargetName, SoakResult>();
  const started: { aws?: LocalAws; target?: SoakTarget }[] = [];

  before(async () => {
    await Promise.all(
      soakTargetNames.map(async (name) => {
        const running: { aws?: LocalAws; target?: SoakTarget } = {};
        started.push(running);
        running.aws = await startLocalAws(`bench/soak-e2e/${name}`);
        running.target = await startSoakTarget(name, running.aws, "soak-e2e");
        results.set(name, await runSoak(running.target, settings, running.aws, () => undefined));
      }),
    );
    // The figures, for the record (the assertions below are on behaviour, not on speed).
    process.stdout.write(formatSoakTable([...results.values()]));
  });

  after(async () => {
    for (const running of started) {
      await running.target?.stop();
      await running.aws?.stop();
    }
  });

  for (const name of soakTargetNames) {
    describe(name, () => {
      const result = (): SoakResult => {
        const found = results.get(name);
        assert.ok(found !== undefined, `the ${name} soak ran`);
        return found;
      };

      it(`signs in ${settings.signIns} new clients, each with one STS call at the server, without an error`, () => {
        const { signIns, stsCallsDuringSignIns } = result();
        assert.deepEqual(signIns.failures, []);
        assert.equal(signIns.succeeded, settings.signIns);
        assert.equal(stsCallsDuringSignIns, settings.signIns);
      });

      it(`answers ${settings.requests} signed-in requests with the page, without an error`, () => {
        const { requests } = result();
        assert.equal(requests.responses2xx, settings.requests);
        assert.equal(requests.non2xx, 0);
        assert.equal(requests.mismatches, 0);
        assert.equal(requests.errors, 0);
      });

      it("has as many open descriptors as at the baseline once the clients are gone (proxy and server)", () => {
        const { processes } = result();
        assert.deepEqual(
          processes.map((each) => each.name),
          ["proxy", name],
        );
        for (const each of processes) {
          assert.ok(
            each.fdsSettled && each.fdsAfter <= each.fdsBaseline,
            `${each.name}: ${each.fdsAfter} open descriptors, baseline ${each.fdsBaseline}`,
          );
        }
      });

      it("keeps RSS within the bound (see the comment at the top) (proxy and server)", () => {
        for (const each of result().processes) {
          assert.ok(
            each.rssAfterSoakMb <= each.rssLimitMb,
            `${each.name}: RSS ${each.rssAfterSoakMb.toFixed(1)} MB after the soak, limit ${each.rssLimitMb.toFixed(1)} MB (${each.rssAfterWarmupMb.toFixed(1)} MB after the warm-up)`,
          );
        }
      });

      it("passes every check of the soak itself", () => {
        assert.deepEqual(result().problems, []);
      });
    });
  }
});
