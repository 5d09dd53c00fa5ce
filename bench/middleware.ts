import { randomBytes } from "node:crypto";
import { demoAccount } from "../local-aws/demo-account.js";
import { CookieJar, httpRequest } from "../test/helpers/http-client.js";
import type { RunningService } from "../test/helpers/service.js";
import type { Benchmark } from "./benchmark.js";
import {
  compareTargets,
  cpuMicrosecondsPerRequest,
  describeLoadProblems,
  type LoadResult,
  type LoadTarget,
} from "./load.js";
import { cpuReaderOf } from "./proc.js";
import { startBenchAws, startOurProxy } from "./processes.js";
import { measuredFigure } from "./report.js";
import { signInThroughProxy } from "./sign-in.js";
import { withTimeout } from "./with-timeout.js";

/*
 * Figure 3: what iamAuth costs an app per signed-in request. The same Express app
 * (bench/apps/express-app.ts) three ways, each its own process, loaded directly with 50
 * connections: without any session (the limit), with plain cookie-session (the peer: what any
 * signed-cookie session costs), and with iamAuth.
 */

const CONNECTIONS = 50;
/** The variants bench/apps/express-app.ts serves. */
type Variant = "none" | "cookie-session" | "iam-auth";

export const middlewareBenchmark: Benchmark = {
  name: "middleware",
  title: "Middleware: a signed-in request through iamAuth",
  async run({ settings, processes, progress }) {
    const aws = await startBenchAws(processes);
    const env = { BENCH_SESSION_SECRET: randomBytes(32).toString("hex"), BENCH_STS_ENDPOINT: aws.url };
    const startApp = (variant: Variant): Promise<RunningService> =>
      processes.start(`express-${variant}`, "bench/apps/express-app.js", { args: [variant], env });
    const [none, cookieSession, iamAuth, proxy] = await Promise.all([
      startApp("none"),
      startApp("cookie-session"),
      startApp("iam-auth"),
      startOurProxy(processes, "proxy", aws),
    ]);

    // iamAuth's session comes from a real sign-in (the STS method, through our proxy)…
    const signIn = await signInThroughProxy(proxy.url, `${iamAuth.url}/`);
    if (signIn.status !== 200 || signIn.cookie.cookie === undefined) {
      throw new Error(
        `the sign-in to the iamAuth app answered ${signIn.status}: ${signIn.body.slice(0, 200)}`,
      );
    }
    await processes.stop(proxy);
    // …cookie-session's from the app's own /sign-in.
    const jar = new CookieJar();
    const started = await withTimeout(
      httpRequest(`${cookieSession.url}/sign-in`),
      10_000,
      "cookie-session sign-in",
    );
    jar.store(started.headers);
    if (started.status !== 200 || jar.names().length === 0) {
      throw new Error(`the cookie-session app's /sign-in answered ${started.status} without a cookie`);
    }

    const expectBody = `${demoAccount.users.demo.arn}\n`;
    const target = (name: string, app: RunningService, headers: Record<string, string>): LoadTarget => ({
      name,
      connectTo: app.url,
      path: "/",
      headers,
      expectBody,
      readCpuSeconds: cpuReaderOf(app),
    });
    const targets = [
      target("none", none, {}),
      target("cookie-session", cookieSession, jar.header()),
      target("iam-auth", iamAuth, signIn.cookie),
    ];
    const results = await compareTargets(targets, {
      connections: CONNECTIONS,
      warmupSeconds: settings.warmupSeconds,
      durationSeconds: settings.durationSeconds,
      rounds: settings.rounds,
      onRun: (target, round) => progress(`${target} (round ${round + 1})`),
    });
    const rps = (name: string): number => {
      const result: LoadResult | undefined = results[name];
      if (result === undefined || result.responses2xx === 0) {
        throw new Error(
          `the ${name} app answered no request with 2xx: ${result === undefined ? "" : describeLoadProblems(result).join("; ")}`,
        );
      }
      return result.requestsPerSecond;
    };
    const cpu = (name: string): number => {
      const result = results[name];
      return (result === undefined ? undefined : cpuMicrosecondsPerRequest(result)) ?? NaN;
    };
    const ours = { value: rps("iam-auth"), unit: "req/s" } as const;
    return {
      figures: [
        measuredFigure({
          id: "middleware.vs-none",
          label: `Middleware, ${CONNECTIONS} conns: req/s, Express + iamAuth ÷ Express alone`,
          ours,
          reference: { name: "Express alone", value: rps("none"), unit: "req/s" },
          target: { subject: "ratio", comparison: ">=", limit: 0.9 },
        }),
        measuredFigure({
          id: "middleware.vs-cookie-session",
          label: `Middleware, ${CONNECTIONS} conns: req/s, Express + iamAuth ÷ Express + cookie-session`,
          ours,
          reference: { name: "cookie-session", value: rps("cookie-session"), unit: "req/s" },
        }),
        measuredFigure({
          id: "middleware.cpu-per-request",
          label: "Middleware: app CPU time per request, Express + iamAuth ÷ Express alone",
          ours: { value: cpu("iam-auth"), unit: "µs" },
          reference: { name: "Express alone", value: cpu("none"), unit: "µs" },
          target: { subject: "ratio", comparison: "<=", limit: 1.05 },
        }),
      ],
      details: results,
      notes: [
        "Middleware: each Express variant runs as its own process and answers the same handler (the ARN); iamAuth's session cookie comes from a real STS-method sign-in.",
        ...Object.values(results).flatMap((result) =>
          describeLoadProblems(result).map((p) => `WARNING middleware: ${p}`),
        ),
      ],
    };
  },
};
