import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { demoAccount } from "../local-aws/demo-account.js";
import { httpRequest } from "../test/helpers/http-client.js";
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
import { signInThroughProxy } from "./sign-in.js";
import { withTimeout } from "./with-timeout.js";

/*
 * Figure 7: the IAM gateway (gateway/) in front of the minimal app, a signed-in session on
 * every request, 50 keep-alive connections: req/s against the app directly (the limit) and
 * against a bare http-proxy reverse proxy (bench/apps/http-proxy-reverse.ts: what the library
 * the gateway forwards with costs alone), and CPU time per request against nginx as a reverse
 * proxy with kept-alive upstream connections (what a reverse proxy written in C costs).
 */

const CONNECTIONS = 50;
const BARE = "bare http-proxy";

export const gatewayBenchmark: Benchmark = {
  name: "gateway",
  title: "Gateway: a signed-in request through iam-auth-gateway, reverse proxies compared",
  async run({ settings, processes, progress }) {
    const secretDir = mkdtempSync(join(tmpdir(), "iam-auth-bench-gateway-"));
    processes.track({
      stop: () => Promise.resolve(rmSync(secretDir, { recursive: true, force: true })),
    });
    const secretFile = join(secretDir, "session-secret");
    writeFileSync(secretFile, randomBytes(32).toString("hex"), { mode: 0o600 });

    const [aws, app] = await Promise.all([startBenchAws(processes), startMinimalApp(processes)]);
    const appUrl = app.service.url;
    const [gateway, bare, bareKeepAlive, nginx, proxy] = await Promise.all([
      processes.start("gateway", "gateway/cli/main.js", {
        args: [
          ...["--bind", "127.0.0.1:0", "--upstream", appUrl, "--account", demoAccount.accountId],
          ...["--session-secret-file", secretFile, "--test-sts-endpoint", aws.url],
        ],
      }),
      processes.start("http-proxy-reverse", "bench/apps/http-proxy-reverse.js", { args: [appUrl] }),
      processes.start("http-proxy-reverse-keep-alive", "bench/apps/http-proxy-reverse.js", {
        args: [appUrl, "--keep-alive"],
      }),
      startNginxReverseProxy(processes, "gateway", new URL(appUrl)),
      startOurProxy(processes, "proxy", aws),
    ]);

    // One real sign-in (STS method, through our proxy); its session cookie then goes with every
    // request of the load. The gateway's server-id is the address the load connects to.
    const signIn = await signInThroughProxy(proxy.url, `${gateway.url}/`);
    if (signIn.status !== 200 || signIn.cookie.cookie === undefined || signIn.body !== "ok\n") {
      throw new Error(
        `the sign-in to the gateway through our proxy answered ${signIn.status}: ${signIn.body.slice(0, 200)}`,
      );
    }
    await processes.stop(proxy);
    // The cookie alone, without the proxy, must pass: otherwise the load would measure 401s.
    const probe = await withTimeout(
      httpRequest(`${gateway.url}/`, { headers: signIn.cookie }),
      10_000,
      "a signed-in request to the gateway",
    );
    if (probe.status !== 200 || probe.body !== "ok\n") {
      throw new Error(
        `the gateway answered a signed-in request with ${probe.status}: ${probe.body.slice(0, 200)}`,
      );
    }

    const common = { path: "/", expectBody: "ok\n", countServed: app.countServed } as const;
    const targets: LoadTarget[] = [
      { name: "direct", connectTo: appUrl, headers: {}, ...common },
      {
        name: "gateway",
        connectTo: gateway.url,
        headers: signIn.cookie,
        readCpuSeconds: cpuReaderOf(gateway),
        ...common,
      },
      { name: "http-proxy", connectTo: bare.url, headers: {}, readCpuSeconds: cpuReaderOf(bare), ...common },
      {
        name: "http-proxy-keep-alive",
        connectTo: bareKeepAlive.url,
        headers: {},
        readCpuSeconds: cpuReaderOf(bareKeepAlive),
        ...common,
      },
      ...(nginx === undefined
        ? []
        : [
            {
              name: "nginx",
              connectTo: nginx.url,
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
    const result = (name: string): LoadResult => {
      const found = results[name];
      if (found === undefined) throw new Error(`no load result for ${name}`);
      return found;
    };
    assertReachedApp(result("gateway"), problems, true);
    for (const name of [
      "direct",
      "http-proxy",
      "http-proxy-keep-alive",
      ...(nginx === undefined ? [] : ["nginx"]),
    ]) {
      assertReachedApp(result(name), problems, false);
    }

    const rps = (name: string): number => result(name).requestsPerSecond;
    const cpu = (name: string): number => cpuMicrosecondsPerRequest(result(name)) ?? NaN;
    const ours = { value: rps("gateway"), unit: "req/s" } as const;
    const oursCpu = { value: cpu("gateway"), unit: "µs" } as const;
    const gatewayLoad = result("gateway");
    const figures: Figure[] = [
      measuredFigure({
        id: "gateway.vs-direct",
        label: `Gateway, minimal app, signed in, ${CONNECTIONS} conns: req/s, gateway ÷ direct`,
        ours,
        reference: { name: "direct", value: rps("direct"), unit: "req/s" },
      }),
      measuredFigure({
        id: "gateway.vs-http-proxy",
        label: `Gateway, minimal app, signed in, ${CONNECTIONS} conns: req/s, gateway ÷ bare http-proxy`,
        ours,
        reference: { name: BARE, value: rps("http-proxy"), unit: "req/s" },
        target: { subject: "ratio", comparison: ">=", limit: 0.8 },
      }),
      measuredFigure({
        id: "gateway.cpu-vs-http-proxy",
        label: "Gateway: CPU time per request, gateway ÷ bare http-proxy",
        ours: oursCpu,
        reference: { name: BARE, value: cpu("http-proxy"), unit: "µs" },
      }),
      measuredFigure({
        id: "gateway.keep-alive-gain",
        label: `Gateway: req/s, bare http-proxy with a keep-alive agent ÷ without (what reusing app connections is worth)`,
        ours: { value: rps("http-proxy-keep-alive"), unit: "req/s" },
        reference: { name: BARE, value: rps("http-proxy"), unit: "req/s" },
      }),
      nginx === undefined
        ? {
            kind: "not-measured",
            id: "gateway.cpu-vs-nginx",
            label: "Gateway: CPU time per request, gateway ÷ nginx reverse proxy",
            reason: NGINX_NOT_INSTALLED,
          }
        : measuredFigure({
            id: "gateway.cpu-vs-nginx",
            label: "Gateway: CPU time per request, gateway ÷ nginx reverse proxy",
            ours: oursCpu,
            reference: { name: "nginx", value: cpu("nginx"), unit: "µs" },
          }),
      nginx === undefined
        ? {
            kind: "not-measured",
            id: "gateway.nginx-vs-direct",
            label: `Gateway: req/s, nginx reverse proxy ÷ direct (the reverse-proxy limit)`,
            reason: NGINX_NOT_INSTALLED,
          }
        : measuredFigure({
            id: "gateway.nginx-vs-direct",
            label: `Gateway: req/s, nginx reverse proxy ÷ direct (the reverse-proxy limit)`,
            ours: { value: rps("nginx"), unit: "req/s" },
            reference: { name: "direct", value: rps("direct"), unit: "req/s" },
          }),
    ];
    return {
      figures,
      details: { signInRequests: signIn.requests, ...results },
      notes: [
        `Gateway: the session cookie came from one sign-in to the gateway through our proxy; all ${gatewayLoad.responses2xx} load requests carried it and were answered 200 with the app's body, ${gatewayLoad.served ?? "?"} served by the app (no 401 counted as throughput).`,
        "Gateway: the gateway and the bare http-proxy open a new connection to the app for every request (http-proxy's default: no keep-alive agent); the keep-alive row gives the bare http-proxy an http.Agent({ keepAlive: true }); nginx keeps up to 32 upstream connections alive.",
        ...problems.map((problem) => `WARNING gateway: ${problem}`),
      ],
    };
  },
};

/**
 * Throws unless the load reached the app: some 2xx, and the app served at least as many
 * requests as were answered. For the gateway (`strict`), every answer must also have been a
 * 200 with the app's body: one 401 means the session did not hold and the numbers are not the
 * gateway's.
 */
function assertReachedApp(result: LoadResult, problems: readonly string[], strict: boolean): void {
  const missed =
    result.responses2xx === 0 || (result.served !== undefined && result.served < result.responses2xx);
  const wrong = strict && (result.otherResponses > 0 || result.mismatches > 0);
  if (missed || wrong) {
    throw new Error(`the load through ${result.name} did not all reach the app: ${problems.join("; ")}`);
  }
}
