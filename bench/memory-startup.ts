import { Agent, request } from "node:http";
import type { RunningService } from "../test/helpers/service.js";
import type { Benchmark } from "./benchmark.js";
import { readRssMegabytes } from "./proc.js";
import { startBenchAws, startMinimalApp, startOurProxy, startReferenceProxy } from "./processes.js";
import { measuredFigure } from "./report.js";
import { withTimeout } from "./with-timeout.js";
import { median } from "./stats.js";

/*
 * Figure 5: the proxy's memory with many idle browser connections, and how fast it starts.
 * Both against the `proxy` package in the same run.
 */

const IDLE_CONNECTIONS = 1000;
/** Connections opened at once: enough to be quick, few enough not to look like a burst of 1,000. */
const BATCH = 100;
/** Node's HTTP server closes an idle keep-alive connection after 5 s by default: measure well before. */
const SETTLE_MS = 300;

/** One request through `proxy` on its own keep-alive connection, which then stays open and idle. */
function requestOnOwnConnection(agent: Agent, proxy: URL, app: URL): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: proxy.hostname, port: proxy.port, path: app.href, headers: { host: app.host }, agent },
      (res) => {
        res.resume();
        res.on("error", reject);
        res.on("end", () =>
          res.statusCode === 200 ? resolve() : reject(new Error(`answered ${res.statusCode}`)),
        );
      },
    );
    req.on("error", reject);
    req.end();
  });
}

interface IdleMemory {
  readonly baselineMb: number;
  readonly rssMb: number;
  readonly peakMb: number;
  /** Client connections still open when RSS was read. */
  readonly openConnections: number;
}

/** The proxy's RSS before, and with, IDLE_CONNECTIONS keep-alive client connections that each made one request to the app. */
async function measureIdleMemory(proxy: RunningService, appUrl: string): Promise<IdleMemory> {
  const pid = proxy.process.pid;
  if (pid === undefined) throw new Error("the proxy process has no pid");
  const baseline = await readRssMegabytes(pid);
  // One agent per connection, one socket per agent: no request can reuse another's connection.
  const agents = Array.from(
    { length: IDLE_CONNECTIONS },
    () => new Agent({ keepAlive: true, maxSockets: 1 }),
  );
  try {
    const proxyUrl = new URL(proxy.url);
    const app = new URL(`${appUrl}/`);
    for (let start = 0; start < agents.length; start += BATCH) {
      await withTimeout(
        Promise.all(
          agents.slice(start, start + BATCH).map((agent) => requestOnOwnConnection(agent, proxyUrl, app)),
        ),
        30_000,
        `opening connections ${start}..${start + BATCH} to ${proxy.url}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const { rss, peak } = await readRssMegabytes(pid);
    const openConnections = agents.filter((agent) =>
      Object.values(agent.freeSockets).some(
        (sockets) => sockets !== undefined && sockets.some((s) => !s.destroyed),
      ),
    ).length;
    return { baselineMb: baseline.rss, rssMb: rss, peakMb: peak, openConnections };
  } finally {
    for (const agent of agents) agent.destroy();
  }
}

export const memoryStartupBenchmark: Benchmark = {
  name: "memory",
  title: "Memory with idle connections, and start-up time",
  async run({ settings, processes, progress }) {
    const aws = await startBenchAws(processes);
    const app = await startMinimalApp(processes);

    progress(`RSS with ${IDLE_CONNECTIONS} idle keep-alive connections: ours`);
    const ours = await startOurProxy(processes, "proxy", aws);
    const oursMemory = await measureIdleMemory(ours, app.service.url);
    await processes.stop(ours);
    progress(`RSS with ${IDLE_CONNECTIONS} idle keep-alive connections: peer`);
    const peer = await startReferenceProxy(processes);
    const peerMemory = await measureIdleMemory(peer, app.service.url);
    await processes.stop(peer);

    progress(`start-up, ${settings.startSamples} starts each, alternating`);
    const startUpMs = { ours: [] as number[], peer: [] as number[] };
    const timeStart = async (start: () => Promise<RunningService>, samples: number[]): Promise<void> => {
      const started = performance.now();
      const service = await start();
      samples.push(performance.now() - started);
      await processes.stop(service);
    };
    for (let i = 0; i < settings.startSamples; i += 1) {
      await timeStart(() => startOurProxy(processes, "proxy-start", aws), startUpMs.ours);
      await timeStart(() => startReferenceProxy(processes, "proxy-package-start"), startUpMs.peer);
    }

    const peerName = "`proxy` pkg";
    return {
      figures: [
        measuredFigure({
          id: "memory.idle-connections",
          label: `Proxy RSS with ${IDLE_CONNECTIONS.toLocaleString("en-US")} idle keep-alive client connections`,
          ours: { value: oursMemory.rssMb, unit: "MB" },
          reference: { name: peerName, value: peerMemory.rssMb, unit: "MB" },
          target: { subject: "ratio", comparison: "<=", limit: 1.1 },
        }),
        measuredFigure({
          id: "startup.listening",
          label: `Proxy start-up: spawn to \`listening url=\`, median of ${settings.startSamples}`,
          ours: { value: median(startUpMs.ours), unit: "ms" },
          reference: { name: peerName, value: median(startUpMs.peer), unit: "ms" },
          target: { subject: "value", comparison: "<=", limit: 300 },
        }),
      ],
      details: { idleConnections: IDLE_CONNECTIONS, ours: oursMemory, peer: peerMemory, startUpMs },
      notes: [
        `Memory: RSS (VmRSS, MB = 10^6 bytes) ${SETTLE_MS} ms after the last of ${IDLE_CONNECTIONS} connections made its one request through the proxy to the minimal app; ` +
          `ours ${oursMemory.baselineMb.toFixed(1)} MB before, ${oursMemory.openConnections} connections still open, peak ${oursMemory.peakMb.toFixed(1)} MB; ` +
          `peer ${peerMemory.baselineMb.toFixed(1)} MB before, ${peerMemory.openConnections} still open.`,
      ],
    };
  },
};
