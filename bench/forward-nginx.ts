import type { Benchmark } from "./benchmark.js";
import {
  compareTargets,
  cpuMicrosecondsPerRequest,
  describeLoadProblems,
  type LoadResult,
  type LoadTarget,
} from "./load.js";
import { NGINX_NOT_INSTALLED, startNginxReverseProxy } from "./nginx-reverse.js";
import { cpuReaderOf, readProcessTreeCpuSeconds } from "./proc.js";
import { startBenchAws, startMinimalApp, startOurProxy } from "./processes.js";
import { measuredFigure, type Figure } from "./report.js";

/*
 * Figure 1b: one plain-HTTP hop through our forward proxy against the same hop through nginx
 * (Debian's, as a reverse proxy with kept-alive upstream connections: the C reference), both in
 * front of the minimal app, 50 keep-alive connections. The proxy's CPU time per request ÷
 * nginx's is the figure that does not depend on how the two shared cores were shared.
 */

const CONNECTIONS = 50;
const CPU_LABEL =
  "Forward, minimal app: proxy CPU time per request, ours ÷ nginx (reverse, keep-alive upstream)";
const RATE_LABEL = `Forward, minimal app, ${CONNECTIONS} conns: req/s, ours ÷ nginx (reverse, keep-alive upstream)`;
const NGINX_LABEL = `Forward, minimal app, ${CONNECTIONS} conns: req/s, nginx reverse proxy ÷ direct (the one-hop limit)`;

export const forwardNginxBenchmark: Benchmark = {
  name: "forward-nginx",
  title: "Forward proxy against nginx: one plain-HTTP hop to the minimal app",
  async run({ settings, processes, progress }) {
    // The proxy is started as everywhere else (credentials for the local AWS); the minimal app never challenges.
    const aws = await startBenchAws(processes);
    const app = await startMinimalApp(processes);
    const appUrl = app.service.url;
    const [ours, nginx] = await Promise.all([
      startOurProxy(processes, "proxy", aws),
      startNginxReverseProxy(processes, "forward-nginx", new URL(appUrl)),
    ]);
    const common = { expectBody: "ok\n", countServed: app.countServed } as const;
    const targets: LoadTarget[] = [
      { name: "direct", connectTo: appUrl, path: "/", headers: {}, ...common },
      {
        name: "ours",
        connectTo: ours.url,
        // Absolute-form, as a browser configured with an HTTP proxy sends it.
        path: `${appUrl}/`,
        headers: { host: new URL(appUrl).host },
        readCpuSeconds: cpuReaderOf(ours),
        ...common,
      },
      ...(nginx === undefined
        ? []
        : [
            {
              name: "nginx",
              connectTo: nginx.url,
              path: "/",
              headers: {},
              // The master and its worker (whose parent it is): the worker does the work.
              readCpuSeconds: () => readProcessTreeCpuSeconds(nginx.pid),
              ...common,
            },
          ]),
    ];
    const results = await compareTargets(targets, {
      connections: CONNECTIONS,
      warmupSeconds: settings.warmupSeconds,
      durationSeconds: settings.durationSeconds,
      rounds: settings.rounds,
      onRun: (target, round) => progress(`${target} (round ${round + 1})`),
    });
    const problems = Object.values(results).flatMap((result) => describeLoadProblems(result));
    const missed = Object.values(results).filter(
      (r) => r.responses2xx === 0 || (r.served !== undefined && r.served < r.responses2xx),
    );
    if (missed.length > 0) throw new Error(`the load did not reach the app: ${problems.join("; ")}`);
    const result = (name: string): LoadResult => {
      const found = results[name];
      if (found === undefined) throw new Error(`no load result for ${name}`);
      return found;
    };
    const rps = (name: string): number => result(name).requestsPerSecond;
    const cpu = (name: string): number => cpuMicrosecondsPerRequest(result(name)) ?? NaN;
    const unmeasured = (id: string, label: string): Figure => ({
      kind: "not-measured",
      id: `forward-nginx.${id}`,
      label,
      reason: NGINX_NOT_INSTALLED,
    });
    const figures: Figure[] =
      nginx === undefined
        ? [
            unmeasured("cpu-vs-nginx", CPU_LABEL),
            unmeasured("vs-nginx", RATE_LABEL),
            unmeasured("nginx-vs-direct", NGINX_LABEL),
          ]
        : [
            measuredFigure({
              id: "forward-nginx.cpu-vs-nginx",
              label: CPU_LABEL,
              ours: { value: cpu("ours"), unit: "µs" },
              reference: { name: "nginx", value: cpu("nginx"), unit: "µs" },
              target: { subject: "ratio", comparison: "<=", limit: 2 },
            }),
            measuredFigure({
              id: "forward-nginx.vs-nginx",
              label: RATE_LABEL,
              ours: { value: rps("ours"), unit: "req/s" },
              reference: { name: "nginx", value: rps("nginx"), unit: "req/s" },
              target: { subject: "ratio", comparison: ">=", limit: 0.5 },
            }),
            measuredFigure({
              id: "forward-nginx.nginx-vs-direct",
              label: NGINX_LABEL,
              ours: { value: rps("nginx"), unit: "req/s" },
              reference: { name: "direct", value: rps("direct"), unit: "req/s" },
            }),
          ];
    return {
      figures,
      details: results,
      notes: [
        "Forward vs nginx: our proxy gets absolute-form requests (as a browser sends them to a proxy), nginx origin-form ones (as a reverse proxy gets them); both reach the same minimal app, which counted what it served. nginx's CPU time is its master's and its worker's.",
        ...problems.map((problem) => `WARNING forward vs nginx: ${problem}`),
      ],
    };
  },
};
