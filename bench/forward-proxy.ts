import type { Benchmark } from "./benchmark.js";
import { joinLatencySamples, probeLatency, summarizeLatency } from "./latency-probe.js";
import {
  compareInRounds,
  compareTargets,
  cpuMicrosecondsPerRequest,
  describeLoadProblems,
  type LoadResult,
  type LoadTarget,
} from "./load.js";
import type { RunningService } from "../test/helpers/service.js";
import { cpuReaderOf } from "./proc.js";
import {
  startBenchAws,
  startExampleServer,
  startMinimalApp,
  startOurProxy,
  startReferenceProxy,
} from "./processes.js";
import { measuredFigure, type Figure, type Reference } from "./report.js";
import { signInThroughProxy } from "./sign-in.js";

/*
 * Figure 1: plain-HTTP forwarding, keep-alive, 50 connections: req/s through our proxy against
 * the `proxy` npm package (the peer) and against no proxy at all (the limit), and the latency
 * the proxy adds. Two apps: the minimal one (the pure forwarding cost) and the example server
 * with a signed-in session (what a person actually does through the proxy).
 */

const CONNECTIONS = 50;
const PEER = "`proxy` pkg";

interface App {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly expectBody: string;
  readonly countServed?: () => Promise<number>;
}

interface Proxies {
  readonly ours: RunningService;
  readonly peer: RunningService;
}

/** The app directly, through our proxy and through the peer: the same request each time. */
function targetsFor(app: App, proxies: Proxies): LoadTarget[] {
  const common = {
    expectBody: app.expectBody,
    ...(app.countServed === undefined ? {} : { countServed: app.countServed }),
  };
  // Absolute-form request target, as a browser configured with an HTTP proxy sends it.
  const viaProxy = { path: `${app.url}/`, headers: { ...app.headers, host: new URL(app.url).host } };
  return [
    { name: "direct", connectTo: app.url, path: "/", headers: app.headers, ...common },
    {
      name: "ours",
      connectTo: proxies.ours.url,
      readCpuSeconds: cpuReaderOf(proxies.ours),
      ...viaProxy,
      ...common,
    },
    {
      name: "peer",
      connectTo: proxies.peer.url,
      readCpuSeconds: cpuReaderOf(proxies.peer),
      ...viaProxy,
      ...common,
    },
  ];
}

export const forwardProxyBenchmark: Benchmark = {
  name: "forward",
  title: "Forward proxy: plain HTTP, keep-alive, authenticated session",
  async run({ settings, processes, progress }) {
    const aws = await startBenchAws(processes);
    const [minimal, example, ours, peer] = await Promise.all([
      startMinimalApp(processes),
      startExampleServer(processes, "example-server", aws, "sts"),
      startOurProxy(processes, "proxy", aws),
      startReferenceProxy(processes),
    ]);
    // Sign in once, through our proxy; the session cookie then goes with every request, to every target.
    const signIn = await signInThroughProxy(ours.url, `${example.url}/`);
    if (signIn.status !== 200 || signIn.cookie.cookie === undefined) {
      throw new Error(
        `the sign-in through our proxy answered ${signIn.status}: ${signIn.body.slice(0, 200)}`,
      );
    }
    const proxies = { ours, peer };
    const apps = {
      minimal: {
        url: minimal.service.url,
        headers: {},
        expectBody: "ok\n",
        countServed: minimal.countServed,
      },
      example: { url: example.url, headers: signIn.cookie, expectBody: signIn.body },
    } satisfies Record<string, App>;

    const compare = (name: string, app: App, connections: number): Promise<Record<string, LoadResult>> =>
      compareTargets(targetsFor(app, proxies), {
        connections,
        warmupSeconds: settings.warmupSeconds,
        durationSeconds: settings.durationSeconds,
        rounds: settings.rounds,
        onRun: (target, round) =>
          progress(`${name}, ${connections} connections: ${target} (round ${round + 1})`),
      });
    const minimalLoaded = await compare("minimal app", apps.minimal, CONNECTIONS);
    const exampleLoaded = await compare("example server", apps.example, CONNECTIONS);
    const unloaded = await compareInRounds(
      targetsFor(apps.minimal, proxies),
      {
        warmupSeconds: settings.warmupSeconds,
        durationSeconds: settings.durationSeconds,
        rounds: settings.rounds,
        onRun: (target, round) =>
          progress(`minimal app, one request at a time: ${target} (round ${round + 1})`),
      },
      probeLatency,
      joinLatencySamples,
    );
    const minimalUnloaded = Object.fromEntries(
      Object.entries(unloaded).map(([name, samples]) => [name, summarizeLatency(samples)]),
    );
    const unloadedFailures = Object.values(minimalUnloaded).filter((summary) => summary.failures > 0);
    const runs = { minimalLoaded, exampleLoaded };
    const problems = Object.entries(runs).flatMap(([run, results]) =>
      Object.values(results).flatMap((result) =>
        describeLoadProblems(result).map((problem) => `${run}: ${problem}`),
      ),
    );
    // No 2xx at all, or fewer requests served by the app than answered: the load did not reach the app.
    const missed = Object.values(runs)
      .flatMap((results) => Object.values(results))
      .filter((r) => r.responses2xx === 0 || (r.served !== undefined && r.served < r.responses2xx));
    if (missed.length > 0) throw new Error(`the load did not reach the app: ${problems.join("; ")}`);

    return {
      figures: [
        ...throughputFigures("minimal", "minimal app", minimalLoaded),
        ...throughputFigures("example", "example server, signed in", exampleLoaded),
        ...addedLatencyFigures(
          `minimal app, ${CONNECTIONS} conns`,
          "loaded",
          (name) => result(minimalLoaded, name).latencyMs,
        ),
        ...addedLatencyFigures("minimal app, one request at a time", "unloaded", (name) => {
          const summary = minimalUnloaded[name];
          if (summary === undefined) throw new Error(`no latency samples for ${name}`);
          return summary;
        }),
      ],
      details: { signInRequests: signIn.requests, ...runs, minimalUnloaded },
      notes: [
        `Forward proxy: the example server's session cookie came from one sign-in through our proxy (${signIn.requests === 1 ? "the proxy completed it itself" : `${signIn.requests} requests: the proxy answered with a redirect to /auth, followed`}); every target got the same Cookie header.`,
        "Forward proxy: each app counted the requests it served (minimal app) or answered with the signed-in ARN (example server): the load really went through each proxy.",
        "Forward proxy: latency at 50 connections is autocannon's (whole milliseconds); one request at a time is timed per request on one keep-alive connection (Node's HTTP client, microseconds).",
        ...problems.map((problem) => `WARNING forward proxy: ${problem}`),
        ...unloadedFailures.map(
          (summary) =>
            `WARNING forward proxy: ${summary.name}: ${summary.failures} requests failed one at a time`,
        ),
      ],
    };
  },
};

function result(results: Record<string, LoadResult>, name: string): LoadResult {
  const found = results[name];
  if (found === undefined) throw new Error(`no load result for ${name}`);
  return found;
}

function throughputFigures(id: string, app: string, results: Record<string, LoadResult>): Figure[] {
  const rps = (name: string): number => result(results, name).requestsPerSecond;
  const cpu = (name: string): number => cpuMicrosecondsPerRequest(result(results, name)) ?? NaN;
  const ours = { value: rps("ours"), unit: "req/s" } as const;
  return [
    measuredFigure({
      id: `forward.${id}.vs-peer`,
      label: `Forward, ${app}, ${CONNECTIONS} conns: req/s, ours ÷ peer`,
      ours,
      reference: { name: PEER, value: rps("peer"), unit: "req/s" },
      target: { subject: "ratio", comparison: ">=", limit: 1.2 },
    }),
    measuredFigure({
      id: `forward.${id}.vs-direct`,
      label: `Forward, ${app}, ${CONNECTIONS} conns: req/s, ours ÷ direct`,
      ours,
      reference: { name: "direct", value: rps("direct"), unit: "req/s" },
      // Issue 16: a signed-in app through the proxy at 0.90 of the app alone.
      ...(id === "example" ? { target: { subject: "ratio", comparison: ">=", limit: 0.9 } as const } : {}),
    }),
    measuredFigure({
      id: `forward.${id}.cpu-per-request`,
      label: `Forward, ${app}: proxy CPU time per request, ours ÷ peer`,
      ours: { value: cpu("ours"), unit: "µs" },
      reference: { name: PEER, value: cpu("peer"), unit: "µs" },
    }),
  ];
}

/** p50 and p99 latency each proxy adds over going direct; the peer's is the reference. */
function addedLatencyFigures(
  load: string,
  id: string,
  latencyOf: (name: string) => { readonly p50: number; readonly p99: number },
): Figure[] {
  const direct = latencyOf("direct");
  return (["p50", "p99"] as const).map((p) => {
    const added = (name: string): number => latencyOf(name)[p] - direct[p];
    const reference: Reference = { name: PEER, value: added("peer"), unit: "ms" };
    return measuredFigure({
      id: `forward.minimal.${id}.added-${p}`,
      label: `Forward, ${load}: ${p} latency added (proxy − direct)`,
      ours: { value: added("ours"), unit: "ms" },
      reference,
    });
  });
}
