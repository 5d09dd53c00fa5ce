import { Agent, request } from "node:http";
import type { RunningService } from "../test/helpers/service.js";
import type { Benchmark } from "./benchmark.js";
import { startBenchAws, startMinimalApp, startOurProxy } from "./processes.js";
import { measuredFigure } from "./report.js";
import { median } from "./stats.js";
import { withTimeout } from "./with-timeout.js";

/*
 * Figure 6: what the local-user check (proxy/http/local-peer.ts) costs a new connection. The
 * proxy finds the OS user of every new loopback client connection in /proc/net/tcp; a request
 * on a kept-alive connection costs nothing more. Measured as new connections, one request
 * each, through the proxy with the check (the default) and with --allow-other-users (no check),
 * both real processes, in alternating rounds. Two patterns: one connection at a time (the whole
 * cost shows) and six at a time (as a browser opens them for a page; the proxy reads the table
 * once for the connections that arrive while it is being read).
 */

const CONNECTIONS = 600;
const ROUNDS = 3;
const BURST = 6;

/**
 * One request through `proxy` on a connection of its own. The client resets the connection once
 * answered so no TIME_WAIT rows pile up in /proc/net/tcp and inflate the later figures.
 */
function requestOnNewConnection(proxy: URL, app: URL): Promise<void> {
  return new Promise((resolve, reject) => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const req = request(
      { host: proxy.hostname, port: proxy.port, path: app.href, headers: { host: app.host }, agent },
      (res) => {
        res.resume();
        res.on("error", reject);
        res.on("end", () => {
          req.socket?.resetAndDestroy();
          agent.destroy();
          if (res.statusCode === 200) resolve();
          else reject(new Error(`the proxy answered ${res.statusCode}`));
        });
      },
    );
    req.on("error", reject);
    req.end();
  });
}

/** Milliseconds for CONNECTIONS new connections through `proxy`, `burst` at a time. */
async function timeNewConnections(proxy: RunningService, app: URL, burst: number): Promise<number> {
  const proxyUrl = new URL(proxy.url);
  const started = performance.now();
  for (let opened = 0; opened < CONNECTIONS; opened += burst) {
    await withTimeout(
      Promise.all(Array.from({ length: burst }, () => requestOnNewConnection(proxyUrl, app))),
      10_000,
      `a burst of ${burst} new connections through ${proxy.url}`,
    );
  }
  return performance.now() - started;
}

interface PatternTimes {
  /** Milliseconds per round for all CONNECTIONS, with the check. */
  readonly checked: number[];
  /** The same without the check (--allow-other-users). */
  readonly unchecked: number[];
}

export const localUserCheckBenchmark: Benchmark = {
  name: "local-user",
  title: "Local-user check: cost per new client connection",
  async run({ processes, progress }) {
    const aws = await startBenchAws(processes);
    const app = await startMinimalApp(processes);
    const appUrl = new URL(`${app.service.url}/`);
    const checked = await startOurProxy(processes, "proxy-checked", aws);
    const unchecked = await startOurProxy(processes, "proxy-unchecked", aws, ["--allow-other-users"]);

    // Unrecorded: JIT warm-up of both proxies and of the client.
    for (const proxy of [checked, unchecked]) await timeNewConnections(proxy, appUrl, BURST);

    const times: Record<"single" | "burst", PatternTimes> = {
      single: { checked: [], unchecked: [] },
      burst: { checked: [], unchecked: [] },
    };
    for (let round = 0; round < ROUNDS; round += 1) {
      progress(`round ${round + 1} of ${ROUNDS}: ${CONNECTIONS} new connections, 1 and ${BURST} at a time`);
      // Alternate which proxy goes first, so drift on the machine falls on both.
      const order =
        round % 2 === 0 ? (["checked", "unchecked"] as const) : (["unchecked", "checked"] as const);
      for (const [pattern, burst] of [
        ["single", 1],
        ["burst", BURST],
      ] as const) {
        for (const which of order) {
          const proxy = which === "checked" ? checked : unchecked;
          times[pattern][which].push(await timeNewConnections(proxy, appUrl, burst));
        }
      }
    }

    const perConnectionUs = (ms: number): number => (ms * 1000) / CONNECTIONS;
    const figures = (["single", "burst"] as const).map((pattern) => {
      const ours = perConnectionUs(median(times[pattern].checked));
      const reference = perConnectionUs(median(times[pattern].unchecked));
      return measuredFigure({
        id: `local-user.${pattern}`,
        label:
          pattern === "single"
            ? "New connection + 1 request, one at a time, with the local-user check"
            : `New connection + 1 request, ${BURST} at a time, with the local-user check`,
        ours: { value: ours, unit: "µs" },
        reference: { name: "no check", value: reference, unit: "µs" },
        note: `adds ${((ours - reference) / 1000).toFixed(2)} ms per new connection (median of ${ROUNDS} rounds of ${CONNECTIONS})`,
      });
    });
    return {
      figures,
      details: { connections: CONNECTIONS, rounds: ROUNDS, burst: BURST, milliseconds: times },
      notes: [
        `Local-user check: ${CONNECTIONS} new client connections per round, each one GET through the proxy to the minimal app, then reset; ` +
          `our proxy by default (the check) against the same proxy with --allow-other-users (no check). ` +
          "Time per connection, client side; a kept-alive connection pays it once.",
      ],
    };
  },
};
