import { once } from "node:events";
import type { Socket } from "node:net";
import type { Benchmark } from "./benchmark.js";
import { cpuReaderOf, readProcessTreeCpuSeconds, waitForChildrenToExit } from "./proc.js";
import { startBenchAws, startOurProxy, startReferenceProxy } from "./processes.js";
import { SOCAT_BUFFER_BYTES, SOCAT_NOT_INSTALLED, startSocatRelay } from "./socat-relay.js";
import { roundOrder } from "./stats.js";
import {
  directions,
  transferFigures,
  type Direction,
  type RouteName,
  type TransferSample,
} from "./transfer-figures.js";
import { openStream } from "./tunnel-client.js";
import { withTimeout } from "./with-timeout.js";

/*
 * Figure 2: bulk transfer through a CONNECT tunnel (what HTTPS to an app no --host names goes
 * through): MB/s through our proxy ÷ straight to the endpoint, each way, with the `proxy`
 * package for comparison and socat, a TCP relay written in C, as the limit of any user-space
 * relay; and the CPU time each relay spends per GB. The endpoint (bench/apps/tcp-endpoint.ts) is
 * its own process; the client is the bench process, speaking raw TCP (and a raw CONNECT request).
 */

const ROUNDS = 3;
const WARMUP_BYTES = 20e6;
const CHUNK = Buffer.alloc(64 * 1024, 0x62);

interface Route {
  readonly name: RouteName;
  /** Where the client connects. */
  readonly connectTo: URL;
  /** Open a tunnel with CONNECT first (a proxy), or just connect (direct, socat). */
  readonly speaksConnect: boolean;
  /** CPU seconds the relay has used so far. */
  readonly readCpuSeconds?: () => Promise<number>;
}

/** Sends `bytes` and waits for the endpoint's `done`; returns the seconds it took. */
async function upload(socket: Socket, bytes: number): Promise<number> {
  const started = performance.now();
  const acknowledged = new Promise<void>((resolve, reject) => {
    let answer = "";
    socket.on("data", (chunk: Buffer) => {
      answer += chunk.toString("latin1");
      if (answer.includes("done\n")) resolve();
    });
    socket.once("close", () =>
      reject(new Error(`the connection closed before the endpoint acknowledged (${answer})`)),
    );
  });
  socket.resume();
  socket.write(`upload ${bytes}\n`);
  for (let left = bytes; left > 0; left -= CHUNK.length) {
    const chunk = left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left);
    if (!socket.write(chunk)) await once(socket, "drain");
  }
  await acknowledged;
  return (performance.now() - started) / 1000;
}

/** Asks the endpoint for `bytes` and reads them to the end; returns the seconds it took. */
async function download(socket: Socket, bytes: number): Promise<number> {
  const started = performance.now();
  let received = 0;
  const ended = new Promise<void>((resolve, reject) => {
    socket.once("end", resolve);
    socket.once("close", () =>
      reject(new Error(`the connection closed after ${received} of ${bytes} bytes`)),
    );
  });
  socket.on("data", (chunk: Buffer) => void (received += chunk.length));
  socket.resume();
  socket.write(`download ${bytes}\n`);
  await ended;
  if (received !== bytes) throw new Error(`downloaded ${received} bytes, expected ${bytes}`);
  return (performance.now() - started) / 1000;
}

/** One transfer on a fresh connection: its MB/s (10^6 bytes per second) and the relay's CPU time. */
async function transfer(
  endpoint: URL,
  route: Route,
  direction: Direction,
  bytes: number,
): Promise<TransferSample> {
  const cpuBefore = await route.readCpuSeconds?.();
  const socket = route.speaksConnect
    ? await openStream(endpoint, route.connectTo)
    : await openStream(route.connectTo, undefined);
  try {
    const seconds = await withTimeout(
      direction === "upload" ? upload(socket, bytes) : download(socket, bytes),
      120_000,
      `${direction} of ${bytes} bytes via ${route.name}`,
    );
    socket.destroy();
    // After the connection closed: socat's child for it has then exited and its time is its parent's.
    const cpuAfter = await route.readCpuSeconds?.();
    return {
      megabytesPerSecond: bytes / 1e6 / seconds,
      cpuSeconds: cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore,
    };
  } finally {
    socket.destroy();
  }
}

export const connectTunnelBenchmark: Benchmark = {
  name: "connect",
  title: "CONNECT tunnel: bulk transfer",
  async run({ settings, processes, progress }) {
    const aws = await startBenchAws(processes);
    const [endpoint, ours, peer] = await Promise.all([
      processes.start("tcp-endpoint", "bench/apps/tcp-endpoint.js"),
      startOurProxy(processes, "proxy", aws),
      startReferenceProxy(processes),
    ]);
    const target = new URL(endpoint.url);
    const socat = await startSocatRelay(processes, target);
    const socatPid = socat?.process.pid;
    const routes: Route[] = [
      { name: "direct", connectTo: target, speaksConnect: false },
      { name: "ours", connectTo: new URL(ours.url), speaksConnect: true, readCpuSeconds: cpuReaderOf(ours) },
      { name: "peer", connectTo: new URL(peer.url), speaksConnect: true, readCpuSeconds: cpuReaderOf(peer) },
      ...(socat === undefined || socatPid === undefined
        ? []
        : [
            {
              name: "socat",
              connectTo: new URL(socat.url),
              speaksConnect: false,
              // socat relays each connection in a child it forks: count the parent and its children,
              // once they have exited (an exited child not yet waited for shows no CPU time).
              readCpuSeconds: async () => {
                await waitForChildrenToExit(socatPid);
                return readProcessTreeCpuSeconds(socatPid);
              },
            } as const,
          ]),
    ];
    const bytes = settings.connectMegabytes * 1e6;
    const samples: Record<Direction, Partial<Record<RouteName, TransferSample[]>>> = {
      upload: {},
      download: {},
    };
    for (const direction of directions) {
      for (const route of routes) {
        await transfer(target, route, direction, Math.min(WARMUP_BYTES, bytes));
      }
      for (let round = 0; round < ROUNDS; round += 1) {
        for (const route of roundOrder(routes, round)) {
          progress(`${direction} ${settings.connectMegabytes} MB: ${route.name} (round ${round + 1})`);
          const sample = await transfer(target, route, direction, bytes);
          (samples[direction][route.name] ??= []).push(sample);
        }
      }
    }
    return {
      figures: transferFigures({
        megabytes: settings.connectMegabytes,
        samples,
        socatMissing: socat === undefined ? SOCAT_NOT_INSTALLED : undefined,
      }),
      details: {
        bytesPerTransfer: bytes,
        rounds: ROUNDS,
        socatBufferBytes: socat === undefined ? undefined : SOCAT_BUFFER_BYTES,
        transfers: samples,
      },
      notes: [
        `CONNECT tunnel: median of ${ROUNDS} transfers per route and direction, each on a fresh connection after the tunnel is up; the endpoint is its own process.`,
        socat === undefined
          ? `CONNECT tunnel: the socat rows are missing: socat is not installed (apt-get install socat).`
          : `CONNECT tunnel: socat (\`socat -b ${SOCAT_BUFFER_BYTES} TCP-LISTEN:0,fork TCP:<endpoint>\`) is a plain TCP relay written in C, so the client connects to it directly (no CONNECT); it is the limit of a user-space relay on this machine. Its CPU time is its own plus the per-connection child's.`,
        "CONNECT tunnel: relay CPU per GB is the CPU time (/proc) the proxy or socat used during the transfers ÷ the bytes moved.",
      ],
    };
  },
};
