import type { Benchmark } from "./benchmark.js";
import {
  countLoginCalls,
  measureAwsRoundTrip,
  measureLoginRate,
  timeLogins,
  totalCalls,
  type CallCounts,
  type LatencySeries,
  type LoginCalls,
  type Throughput,
} from "./login-measure.js";
import { startBenchAws, startExampleServer, startOurProxy, waitForCredentialCheck } from "./processes.js";
import { awsCallsFigure, measuredFigure, type AwsCalls, type Figure } from "./report.js";

/*
 * Figure 4: what one sign-in costs, per method: AWS calls on the proxy and on the server, the
 * time a person waits (with and without AWS latency injected), and sign-ins per second with 20
 * at once. Real processes: one local AWS, the example server offering both methods, and our
 * proxy per method and flow.
 */

const methods = ["sts", "kms"] as const;
type Method = (typeof methods)[number];
const CONCURRENCY = 20;
const INJECTED_MS = [0, 50] as const;
const STEADY_LOGINS = 5;
/** The original Go proxy's KMS sign-in: GetCallerIdentity, GetSessionToken, Encrypt; the Flask server: Decrypt, GetCallerIdentity. */
const ORIGINAL_KMS_CALLS = { name: "original", proxy: 3, server: 2 } as const;

/** Our proxy for one method: the default flow (it signs in itself) and the original's redirect flow. */
interface Proxies {
  readonly self: string;
  readonly redirect: string;
}

interface MethodResults {
  readonly firstLogin: LoginCalls;
  readonly steadyLogins: readonly LoginCalls[];
  readonly latency: Readonly<Record<string, LatencySeries & { readonly awsRoundTripMs: number }>>;
  readonly rate: Throughput;
}

/** The most calls any of the logins made on each side: a target is met only if every login met it. */
function worstCalls(logins: readonly LoginCalls[]): AwsCalls {
  return {
    proxy: Math.max(...logins.map((login) => totalCalls(login.proxy))),
    server: Math.max(...logins.map((login) => totalCalls(login.server))),
  };
}

function sides(login: LoginCalls): AwsCalls {
  return { proxy: totalCalls(login.proxy), server: totalCalls(login.server) };
}

function describeActions(counts: CallCounts): string {
  const entries = Object.entries(counts);
  return entries.length === 0 ? "none" : entries.map(([action, count]) => `${count}× ${action}`).join(", ");
}

export const loginCostBenchmark: Benchmark = {
  name: "login",
  title: "Login cost per method: AWS calls, latency, logins per second",
  async run({ settings, processes, progress }) {
    const aws = await startBenchAws(processes);
    const app = await startExampleServer(processes, "example-server", aws, "sts kms");
    const page = `${app.url}/`;
    const startProxies = async (method: Method): Promise<readonly [Method, Proxies]> => {
      // A KMS proof goes only to an app the person named.
      const named = ["--method", method, "--kms-host", "127.0.0.1"];
      const [self, redirect] = await Promise.all([
        startOurProxy(processes, `proxy-${method}`, aws, named),
        startOurProxy(processes, `proxy-${method}-redirect`, aws, [...named, "--login-flow", "redirect"]),
      ]);
      await Promise.all([waitForCredentialCheck(self), waitForCredentialCheck(redirect)]);
      return [method, { self: self.url, redirect: redirect.url }];
    };
    const proxies = Object.fromEntries(await Promise.all(methods.map(startProxies))) as Record<
      Method,
      Proxies
    >;

    // The first AWS SDK calls in this process run cold (module loading, JIT): keep them out of the round trips.
    await measureAwsRoundTrip(aws, 20);
    const results = {} as Record<Method, MethodResults>;
    for (const method of methods) {
      progress(`${method}: AWS calls per sign-in`);
      const redirectProxy = proxies[method].redirect;
      const firstLogin = await countLoginCalls(aws, redirectProxy, page);
      const steadyLogins: LoginCalls[] = [];
      for (let i = 0; i < STEADY_LOGINS; i += 1)
        steadyLogins.push(await countLoginCalls(aws, redirectProxy, page));

      const latency: Record<string, LatencySeries & { awsRoundTripMs: number }> = {};
      for (const injected of INJECTED_MS) {
        progress(
          `${method}: ${settings.loginSamples} sign-ins one after another, ${injected} ms AWS latency`,
        );
        await aws.setLatency(injected);
        const awsRoundTripMs = await measureAwsRoundTrip(aws);
        const series = await timeLogins(aws, proxies[method].self, app.url, settings.loginSamples);
        latency[`${injected}ms`] = { ...series, awsRoundTripMs };
      }
      await aws.setLatency(0);

      progress(`${method}: sign-ins per second, ${CONCURRENCY} at once`);
      if (settings.warmupSeconds > 0)
        await measureLoginRate(redirectProxy, page, CONCURRENCY, settings.warmupSeconds);
      const rate = await measureLoginRate(redirectProxy, page, CONCURRENCY, settings.durationSeconds);
      if (rate.logins === 0)
        throw new Error(`no ${method} sign-in completed at ${CONCURRENCY} at once: ${rate.firstFailure}`);
      results[method] = { firstLogin, steadyLogins, latency, rate };
    }
    return { figures: figuresOf(results), details: results, notes: notesOf(results) };
  },
};

function figuresOf(results: Record<Method, MethodResults>): Figure[] {
  const { sts, kms } = results;
  const figures: Figure[] = [
    awsCallsFigure({
      id: "login.sts.aws-calls",
      label: "STS login: AWS calls per login, proxy + server",
      ours: worstCalls([sts.firstLogin, ...sts.steadyLogins]),
      target: { proxy: 0, server: 1 },
    }),
    awsCallsFigure({
      id: "login.kms.aws-calls-first",
      label: "KMS login, first after the proxy starts: AWS calls, proxy + server",
      ours: sides(kms.firstLogin),
      reference: ORIGINAL_KMS_CALLS,
    }),
    awsCallsFigure({
      id: "login.kms.aws-calls-steady",
      label: `KMS login, steady state (next ${STEADY_LOGINS}): AWS calls, proxy + server`,
      ours: worstCalls(kms.steadyLogins),
      reference: ORIGINAL_KMS_CALLS,
      target: { proxy: 1, server: 2 },
    }),
  ];
  for (const method of methods) {
    for (const injected of INJECTED_MS) {
      const series = results[method].latency[`${injected}ms`];
      if (series === undefined) continue;
      figures.push(
        measuredFigure({
          id: `login.${method}.latency-${injected}ms`,
          label: `${method.toUpperCase()} login, ${injected} ms injected AWS latency: p50 time to the page`,
          ours: { value: series.p50, unit: "ms" },
          reference: { name: "1 AWS round trip", value: series.awsRoundTripMs, unit: "ms" },
          ...(method === "sts"
            ? {
                target: {
                  subject: "value",
                  comparison: "<=",
                  limit: series.awsRoundTripMs + 5,
                  description: "1 AWS round trip + 5 ms",
                },
              }
            : {}),
        }),
      );
    }
  }
  figures.push(
    measuredFigure({
      id: "login.sts.rate",
      label: `STS login, ${CONCURRENCY} at once: logins/s`,
      ours: { value: sts.rate.loginsPerSecond, unit: "logins/s" },
    }),
    measuredFigure({
      id: "login.kms.rate",
      label: `KMS login, ${CONCURRENCY} at once: logins/s, KMS ÷ STS`,
      ours: { value: kms.rate.loginsPerSecond, unit: "logins/s" },
      reference: { name: "STS", value: sts.rate.loginsPerSecond, unit: "logins/s" },
    }),
  );
  return figures;
}

function notesOf(results: Record<Method, MethodResults>): string[] {
  const notes: string[] = [];
  const requests = results.sts.latency["0ms"]?.requestsPerLogin;
  notes.push(
    requests === 1
      ? "Login: a login is one GET through the proxy without a cookie that returns the protected page (the proxy completes the sign-in itself), timed until the page arrives; an untimed sign-out between logins empties the proxy's cookie jar. The client keeps one connection to the proxy alive, as a browser does (a new connection's cost is the local-user rows')."
      : `Login: the proxy still answers with a 302 to /auth: a login here is ${requests ?? "?"} requests (the redirect followed, then the page), all timed together.`,
    "Login: AWS calls are split by phase with the proxy's redirect flow (--login-flow redirect): calls made before its 302 are the proxy's, calls during /auth the server's. One local AWS serves both (two would not share the sessions KMS tokens carry).",
    `Login: logins/s use the redirect flow too: with the default flow, concurrent sign-ins to one app through one proxy share a single sign-in, so ${CONCURRENCY} clients would measure one login and ${CONCURRENCY - 1} replays.`,
  );
  for (const method of methods) {
    const { firstLogin, steadyLogins, latency, rate } = results[method];
    const last = steadyLogins[steadyLogins.length - 1] ?? firstLogin;
    notes.push(
      `Login ${method.toUpperCase()}: first login: proxy ${describeActions(firstLogin.proxy)}; server ${describeActions(firstLogin.server)}. ` +
        `Steady: proxy ${describeActions(last.proxy)}; server ${describeActions(last.server)}.`,
    );
    for (const [injected, series] of Object.entries(latency)) {
      notes.push(
        `Login ${method.toUpperCase()}, ${injected} AWS latency: p50 ${series.p50.toFixed(1)} ms, p90 ${series.p90.toFixed(1)} ms, max ${series.max.toFixed(1)} ms over ${series.samplesMs.length} logins; ` +
          `${series.awsCallsPerLogin.toFixed(2)} AWS calls per login; one AWS round trip ${series.awsRoundTripMs.toFixed(1)} ms.`,
      );
    }
    if (rate.failures > 0) {
      notes.push(
        `WARNING login ${method.toUpperCase()}: ${rate.failures} sign-ins failed at ${CONCURRENCY} at once, first: ${rate.firstFailure}`,
      );
    }
  }
  return notes;
}
