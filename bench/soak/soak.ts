import type { LocalAws } from "../../test/helpers/local-aws.js";
import type { RunningService } from "../../test/helpers/service.js";
import { countOpenFds, readRssMegabytes, waitForOpenFds } from "../proc.js";
import { runSignedInRequests, type RequestBatch } from "./requests.js";
import type { SoakSettings, SoakTargetName } from "./settings.js";
import { runSignIns, type SignInBatch } from "./sign-ins.js";
import type { SoakTarget } from "./targets.js";

/** What one process of a target looked like before and after the soak. */
export interface ProcessReadings {
  /** "proxy", "example-server" or "gateway". */
  readonly name: string;
  /** Open descriptors once it was listening, before any client. */
  readonly fdsAtStart: number;
  /** The baseline: open descriptors after the warm-up, once its clients had disconnected. */
  readonly fdsBaseline: number;
  /** Open descriptors after the soak, once its clients had disconnected (at most the baseline, or the settle time ran out). */
  readonly fdsAfter: number;
  /** Whether fdsAfter fell to the baseline within the settle time. */
  readonly fdsSettled: boolean;
  /** RSS after the warm-up, MB. */
  readonly rssAfterWarmupMb: number;
  /** RSS after the soak, MB. */
  readonly rssAfterSoakMb: number;
  /** The highest RSS the process ever had (VmHWM), MB. */
  readonly rssPeakMb: number;
  /** What RSS after the soak was allowed to be, MB. */
  readonly rssLimitMb: number;
}

/** Everything one target's soak measured, and what failed its checks. */
export interface SoakResult {
  readonly target: SoakTargetName;
  readonly signIns: Omit<SignInBatch, "cookies">;
  /** sts:GetCallerIdentity calls the local AWS counted during the measured sign-ins: one each, made by the server. */
  readonly stsCallsDuringSignIns: number;
  readonly requests: RequestBatch;
  readonly processes: readonly ProcessReadings[];
  /** One line per failed check; empty when the soak passed. */
  readonly problems: readonly string[];
}

interface Watched {
  readonly name: string;
  readonly pid: number;
  readonly fdsAtStart: number;
}

/**
 * Soaks one target (see startSoakTarget): `settings.warmupSignIns` sign-ins and
 * `settings.warmupRequests` signed-in requests to warm up; then, once the clients have gone and
 * the descriptors have settled, the baseline (RSS and open descriptors of the proxy and the
 * server); then `settings.signIns` sign-ins at `settings.concurrency`, and `settings.requests`
 * signed-in requests on that many keep-alive connections, spread over the new sessions; then,
 * once the clients have gone, the same readings again. Checks that every sign-in and request
 * succeeded, that each sign-in cost the server one STS call, that each process's RSS stayed
 * within `rssGrowthPercent` (plus `rssSlackMegabytes`) of the baseline, and that its open
 * descriptors fell back to the baseline within `settleSeconds`.
 *
 * @example const result = await runSoak(target, soakSettings(), aws, (line) => console.error(line))
 */
export async function runSoak(
  target: SoakTarget,
  settings: SoakSettings,
  aws: LocalAws,
  progress: (message: string) => void,
): Promise<SoakResult> {
  const problems: string[] = [];
  const watched = await Promise.all(
    [
      ["proxy", target.proxy],
      [target.name, target.server],
    ].map(([name, service]) => watch(name as string, service as RunningService)),
  );
  const { concurrency } = settings;
  const settleMs = settings.settleSeconds * 1000;

  progress(
    `${target.name}: warm-up, ${settings.warmupSignIns} sign-ins and ${settings.warmupRequests} requests`,
  );
  const warmSignIns = await runSignIns({
    ...target,
    proxy: target.proxy.url,
    count: settings.warmupSignIns,
    concurrency,
  });
  if (warmSignIns.cookies.length === 0) {
    throw new Error(`${target.name}: no warm-up sign-in succeeded: ${warmSignIns.failures.join("; ")}`);
  }
  const warmRequests = await runSignedInRequests({
    ...target,
    proxy: target.proxy.url,
    cookies: warmSignIns.cookies,
    amount: settings.warmupRequests,
    connections: concurrency,
  });
  describeFailures("warm-up", warmSignIns, warmRequests, settings.warmupRequests, problems);
  const baselines = await Promise.all(
    watched.map(async (each) => {
      const fds = await waitForOpenFds(each.pid, each.fdsAtStart, settleMs);
      return { fds: fds.count, rss: (await readRssMegabytes(each.pid)).rss };
    }),
  );

  progress(`${target.name}: ${settings.signIns} sign-ins at concurrency ${concurrency}`);
  await aws.resetCalls();
  const signIns = await runSignIns({
    ...target,
    proxy: target.proxy.url,
    count: settings.signIns,
    concurrency,
  });
  const stsCallsDuringSignIns = (await aws.calls())["sts:GetCallerIdentity"] ?? 0;
  progress(`${target.name}: ${settings.requests} signed-in requests on ${concurrency} connections`);
  const requests =
    signIns.cookies.length === 0
      ? emptyBatch()
      : await runSignedInRequests({
          ...target,
          proxy: target.proxy.url,
          cookies: signIns.cookies,
          amount: settings.requests,
          connections: concurrency,
        });
  describeFailures("soak", signIns, requests, settings.requests, problems);
  if (signIns.succeeded === signIns.attempted && stsCallsDuringSignIns !== signIns.attempted) {
    problems.push(
      `${signIns.attempted} sign-ins, but the local AWS counted ${stsCallsDuringSignIns} sts:GetCallerIdentity calls (expected one each)`,
    );
  }

  progress(`${target.name}: waiting for the descriptors to settle`);
  const processes: ProcessReadings[] = [];
  for (const [index, each] of watched.entries()) {
    const baseline = baselines[index];
    if (baseline === undefined) throw new Error("no baseline reading");
    const fds = await waitForOpenFds(each.pid, baseline.fds, settleMs);
    const rss = await readRssMegabytes(each.pid);
    const rssLimitMb = baseline.rss * (1 + settings.rssGrowthPercent / 100) + settings.rssSlackMegabytes;
    processes.push({
      name: each.name,
      fdsAtStart: each.fdsAtStart,
      fdsBaseline: baseline.fds,
      fdsAfter: fds.count,
      fdsSettled: fds.settled,
      rssAfterWarmupMb: baseline.rss,
      rssAfterSoakMb: rss.rss,
      rssPeakMb: rss.peak,
      rssLimitMb,
    });
    if (!fds.settled) {
      problems.push(
        `${each.name}: ${fds.count} open descriptors ${settings.settleSeconds} s after the clients left, baseline ${baseline.fds}`,
      );
    }
    if (rss.rss > rssLimitMb) {
      problems.push(
        `${each.name}: RSS ${rss.rss.toFixed(1)} MB after the soak, above the ${rssLimitMb.toFixed(1)} MB allowed (${baseline.rss.toFixed(1)} MB after the warm-up)`,
      );
    }
  }
  const { attempted, succeeded, failures, seconds } = signIns;
  return {
    target: target.name,
    signIns: { attempted, succeeded, failures, seconds },
    stsCallsDuringSignIns,
    requests,
    processes,
    problems,
  };
}

async function watch(name: string, service: RunningService): Promise<Watched> {
  const { pid } = service.process;
  if (pid === undefined) throw new Error(`${name}: the process has no pid`);
  return { name, pid, fdsAtStart: await countOpenFds(pid) };
}

function describeFailures(
  phase: string,
  signIns: SignInBatch,
  requests: RequestBatch,
  expectedRequests: number,
  problems: string[],
): void {
  const failedSignIns = signIns.attempted - signIns.succeeded;
  if (failedSignIns > 0) {
    problems.push(
      `${phase}: ${failedSignIns} of ${signIns.attempted} sign-ins failed, e.g. ${signIns.failures.slice(0, 3).join(" | ")}`,
    );
  }
  const failedRequests = requests.non2xx + requests.mismatches + requests.errors;
  if (failedRequests > 0) {
    problems.push(
      `${phase}: requests failed: ${requests.non2xx} non-2xx, ${requests.mismatches} with another body, ${requests.errors} connection errors (${requests.timeouts} timeouts)`,
    );
  } else if (requests.responses2xx < expectedRequests) {
    problems.push(`${phase}: ${requests.responses2xx} of ${expectedRequests} signed-in requests answered`);
  }
}

function emptyBatch(): RequestBatch {
  return { sent: 0, responses2xx: 0, non2xx: 0, mismatches: 0, errors: 0, timeouts: 0, seconds: 0 };
}
