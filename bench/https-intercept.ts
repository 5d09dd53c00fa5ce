import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { get } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestCa } from "../test/helpers/tls-fixtures.js";
import type { Benchmark } from "./benchmark.js";
import { countedBody } from "./apps/counting-handler.js";
import { firstRequestFigures, type NewHostSample } from "./first-request.js";
import { runHttpsLoad, type HttpsLoadTarget } from "./https-load.js";
import { timeFreshRequest, type FreshRequestTarget } from "./https-probe.js";
import { combineRounds, compareInRounds, cpuMicrosecondsPerRequest, describeLoadProblems } from "./load.js";
import { extraLoopbackHosts } from "./loopback-hosts.js";
import { cpuReaderOf } from "./proc.js";
import { startBenchAws, startOurProxy } from "./processes.js";
import { measuredFigure, type Figure } from "./report.js";
import { withTimeout } from "./with-timeout.js";

/*
 * Figure 2, intercepted HTTPS: our proxy decrypting HTTPS for a --host app with a certificate
 * from its local CA, against the same client speaking HTTPS straight to the app. The app
 * (bench/apps/https-app.ts) is the minimal app over TLS with a certificate from a CA made for
 * this run, which the proxy gets as --upstream-ca; the proxy's CA lives in a temporary --ca-dir.
 * It answers on 127.0.0.1 and on NEW_HOSTS more loopback addresses: hosts the proxy has never
 * seen, so it must issue a certificate for each on its first request.
 */

const CONNECTIONS = 50;
const NEW_HOSTS = 10;
const WARMUP_PROBES = 5;
const APP_HOST = "127.0.0.1";

async function readServed(port: number, ca: string): Promise<number> {
  const body = await withTimeout(
    new Promise<string>((resolve, reject) => {
      get({ host: APP_HOST, port, path: "/__served", ca }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => void (text += chunk));
        res.on("end", () => resolve(text));
        res.on("error", reject);
      }).on("error", reject);
    }),
    5000,
    "GET /__served from the HTTPS app",
  );
  return (JSON.parse(body) as { served: number }).served;
}

export const httpsInterceptBenchmark: Benchmark = {
  name: "intercept",
  title: "Intercepted HTTPS (--host): keep-alive throughput, first request to a new host",
  async run({ settings, processes, progress }) {
    const dir = mkdtempSync(join(tmpdir(), "iam-auth-proxy-bench-intercept-"));
    try {
      const hosts = extraLoopbackHosts(NEW_HOSTS);
      const appCa = await createTestCa("iam-auth-proxy bench app CA");
      const leaf = await appCa.issue([APP_HOST, ...hosts]);
      const files = {
        cert: join(dir, "app-cert.pem"),
        key: join(dir, "app-key.pem"),
        ca: join(dir, "app-ca.pem"),
      };
      writeFileSync(files.cert, leaf.certPem);
      writeFileSync(files.key, leaf.keyPem, { mode: 0o600 });
      chmodSync(files.key, 0o600);
      writeFileSync(files.ca, appCa.certPem);

      const aws = await startBenchAws(processes);
      const caDir = join(dir, "proxy-ca");
      const [app, proxy] = await Promise.all([
        processes.start("https-app", "bench/apps/https-app.js", {
          args: [String(NEW_HOSTS)],
          env: { BENCH_TLS_CERT_FILE: files.cert, BENCH_TLS_KEY_FILE: files.key },
        }),
        startOurProxy(processes, "proxy", aws, [
          ...[APP_HOST, ...hosts].flatMap((host) => ["--host", host]),
          "--upstream-ca",
          files.ca,
          "--ca-dir",
          caDir,
        ]),
      ]);
      const port = Number(new URL(app.url).port);
      const proxyUrl = new URL(proxy.url);
      const proxyCa = readFileSync(join(caDir, "ca-cert.pem"), "utf8");

      // A fresh connection per request, and `/close` makes the app close its side too: the proxy
      // cannot keep its connection to the app, so every probe pays the same upstream handshake
      // and only the certificate differs between a new host and a cached one.
      const probe = (host: string, via: "ours" | "direct"): FreshRequestTarget => ({
        host,
        port,
        proxy: via === "ours" ? proxyUrl : undefined,
        ca: via === "ours" ? proxyCa : appCa.certPem,
        path: "/close",
        expectBody: countedBody,
      });
      progress("first request to new hosts");
      const firstAfterStart = await timeFreshRequest(probe(APP_HOST, "ours"));
      for (let index = 0; index < WARMUP_PROBES; index += 1) {
        await timeFreshRequest(probe(APP_HOST, "ours"));
        await timeFreshRequest(probe(APP_HOST, "direct"));
      }
      const newHosts: NewHostSample[] = [];
      for (const [index, host] of hosts.entries()) {
        // The cached-host and direct probes swap places every other host, like the rounds of a comparison.
        const before = index % 2 === 0 ? "cached" : "direct";
        const timings: Partial<Record<"cached" | "direct", Awaited<ReturnType<typeof timeFreshRequest>>>> =
          {};
        timings[before] = await timeFreshRequest(probe(APP_HOST, before === "cached" ? "ours" : "direct"));
        const first = await timeFreshRequest(probe(host, "ours"));
        const second = await timeFreshRequest(probe(host, "ours"));
        const after = before === "cached" ? "direct" : "cached";
        timings[after] = await timeFreshRequest(probe(APP_HOST, after === "cached" ? "ours" : "direct"));
        const { cached, direct } = timings;
        if (cached === undefined || direct === undefined) throw new Error("a probe went missing");
        newHosts.push({ host, cached, first, second, direct });
      }

      const countServed = (): Promise<number> => readServed(port, appCa.certPem);
      const common = { host: APP_HOST, port, path: "/", expectBody: countedBody, countServed };
      const targets: HttpsLoadTarget[] = [
        { name: "direct", proxy: undefined, ca: appCa.certPem, readCpuSeconds: cpuReaderOf(app), ...common },
        { name: "ours", proxy: proxyUrl, ca: proxyCa, readCpuSeconds: cpuReaderOf(proxy), ...common },
      ];
      const loaded = await compareInRounds(
        targets,
        {
          warmupSeconds: settings.warmupSeconds,
          durationSeconds: settings.durationSeconds,
          rounds: settings.rounds,
          onRun: (target, round) =>
            progress(`HTTPS, ${CONNECTIONS} connections: ${target} (round ${round + 1})`),
        },
        (target, seconds) => runHttpsLoad(target, { connections: CONNECTIONS, durationSeconds: seconds }),
        combineRounds,
      );
      const results = Object.values(loaded);
      const problems = results.flatMap(describeLoadProblems);
      const missed = results.filter(
        (r) => r.responses2xx === 0 || (r.served !== undefined && r.served < r.responses2xx),
      );
      if (missed.length > 0) throw new Error(`the load did not reach the app: ${problems.join("; ")}`);
      const direct = loaded.direct;
      const ours = loaded.ours;
      if (direct === undefined || ours === undefined) throw new Error("a load result went missing");

      const figures: Figure[] = [
        measuredFigure({
          id: "intercept.vs-direct",
          label: `Intercepted HTTPS (--host), minimal app, ${CONNECTIONS} conns: req/s, ours ÷ direct HTTPS`,
          ours: { value: ours.requestsPerSecond, unit: "req/s" },
          reference: { name: "direct", value: direct.requestsPerSecond, unit: "req/s" },
          target: { subject: "ratio", comparison: ">=", limit: 0.8 },
        }),
        measuredFigure({
          id: "intercept.cpu-per-request",
          label: "Intercepted HTTPS: CPU time per request, proxy ÷ the app serving HTTPS directly",
          ours: { value: cpuMicrosecondsPerRequest(ours) ?? NaN, unit: "µs" },
          reference: { name: "app, direct", value: cpuMicrosecondsPerRequest(direct) ?? NaN, unit: "µs" },
        }),
        ...firstRequestFigures({ firstAfterStart, newHosts }),
      ];
      return {
        figures,
        details: { connections: CONNECTIONS, loaded, firstAfterStart, newHosts },
        notes: [
          `Intercepted HTTPS: the client (node:https in the bench process, the same for both) opens ${CONNECTIONS} keep-alive connections, through the proxy a CONNECT with TLS inside trusting only the proxy's CA (a blind tunnel would fail the handshake), straight to the app TLS trusting only the app's CA; throughput is counted once they are open. The app counted the requests it served.`,
          `Intercepted HTTPS, new hosts: the app also answers on ${hosts[0] ?? ""} … ${hosts.at(-1) ?? ""}, each a --host the proxy has no certificate for yet; every probe is a new connection whose request closes the app's side, so the proxy opens a new TLS connection to the app each time (its TLS session to a host seen before may be resumed).`,
          ...problems.map((problem) => `WARNING intercepted HTTPS: ${problem}`),
        ],
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
