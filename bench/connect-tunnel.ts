import { once } from "node:events";
import { connect, type Socket } from "node:net";
import type { Benchmark } from "./benchmark.js";
import { startBenchAws, startOurProxy, startReferenceProxy } from "./processes.js";
import { measuredFigure, type Figure } from "./report.js";
import { withTimeout } from "./with-timeout.js";
import { median, roundOrder } from "./stats.js";

/*
 * Figure 2: bulk transfer through a CONNECT tunnel (what HTTPS goes through while interception is
 * not wired): MB/s through our proxy ÷ straight to the endpoint, each way, with the `proxy`
 * package for comparison. The endpoint (bench/apps/tcp-endpoint.ts) is its own process; the
 * client is the bench process, speaking raw TCP (and a raw CONNECT request).
 */

const ROUNDS = 3;
const WARMUP_BYTES = 20e6;
const CHUNK = Buffer.alloc(64 * 1024, 0x62);
const directions = ["upload", "download"] as const;
type Direction = (typeof directions)[number];

interface Route {
  readonly name: "direct" | "ours" | "peer";
  /** undefined: straight to the endpoint. */
  readonly proxy: URL | undefined;
}

/** A connection to `endpoint`: direct, or a tunnel through `proxy` (CONNECT answered 200, the rest handed back). */
async function openStream(endpoint: URL, proxy: URL | undefined): Promise<Socket> {
  const via = proxy ?? endpoint;
  const socket = connect({ host: via.hostname, port: Number(via.port) });
  await once(socket, "connect");
  // From here on an error closes the socket, and the transfer waiting on it fails on 'close'.
  socket.on("error", () => socket.destroy());
  if (proxy === undefined) return socket;
  socket.write(`CONNECT ${endpoint.host} HTTP/1.1\r\nHost: ${endpoint.host}\r\n\r\n`);
  const head = await new Promise<Buffer>((resolve, reject) => {
    let received = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      received = Buffer.concat([received, chunk]);
      if (received.includes("\r\n\r\n")) {
        socket.off("data", onData).off("close", onClose).pause();
        resolve(received);
      } else if (received.length > 8192) {
        reject(new Error("the proxy's answer to CONNECT has no end of header"));
      }
    };
    const onClose = (): void =>
      reject(new Error(`the proxy closed the connection: ${received.toString("latin1")}`));
    socket.on("data", onData).once("close", onClose);
  });
  const status = head.subarray(0, head.indexOf("\r\n")).toString("latin1");
  if (!/^HTTP\/1\.[01] 200\b/.test(status)) throw new Error(`CONNECT ${endpoint.host} answered "${status}"`);
  const end = head.indexOf("\r\n\r\n") + 4;
  if (end < head.length) socket.unshift(head.subarray(end));
  return socket;
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

/** One transfer on a fresh connection; returns MB/s (10^6 bytes per second). */
async function transfer(endpoint: URL, route: Route, direction: Direction, bytes: number): Promise<number> {
  const socket = await openStream(endpoint, route.proxy);
  try {
    const seconds = await withTimeout(
      direction === "upload" ? upload(socket, bytes) : download(socket, bytes),
      120_000,
      `${direction} of ${bytes} bytes via ${route.name}`,
    );
    return bytes / 1e6 / seconds;
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
    const routes: Route[] = [
      { name: "direct", proxy: undefined },
      { name: "ours", proxy: new URL(ours.url) },
      { name: "peer", proxy: new URL(peer.url) },
    ];
    const bytes = settings.connectMegabytes * 1e6;
    const samples: Record<Direction, Record<Route["name"], number[]>> = {
      upload: { direct: [], ours: [], peer: [] },
      download: { direct: [], ours: [], peer: [] },
    };
    for (const direction of directions) {
      for (const route of routes) await transfer(target, route, direction, Math.min(WARMUP_BYTES, bytes));
      for (let round = 0; round < ROUNDS; round += 1) {
        for (const route of roundOrder(routes, round)) {
          progress(`${direction} ${settings.connectMegabytes} MB: ${route.name} (round ${round + 1})`);
          samples[direction][route.name].push(await transfer(target, route, direction, bytes));
        }
      }
    }
    const figures: Figure[] = directions.flatMap((direction) => {
      const rate = (name: Route["name"]): number => median(samples[direction][name]);
      const ours = { value: rate("ours"), unit: "MB/s" } as const;
      const label = `CONNECT tunnel, ${settings.connectMegabytes} MB ${direction}: MB/s, ours ÷`;
      return [
        measuredFigure({
          id: `connect.${direction}.vs-direct`,
          label: `${label} direct`,
          ours,
          reference: { name: "direct", value: rate("direct"), unit: "MB/s" },
          target: { subject: "ratio", comparison: ">=", limit: 0.9 },
        }),
        measuredFigure({
          id: `connect.${direction}.vs-peer`,
          label: `${label} peer`,
          ours,
          reference: { name: "`proxy` pkg", value: rate("peer"), unit: "MB/s" },
        }),
      ];
    });
    figures.push({
      kind: "not-measured",
      id: "connect.https-interception",
      label: "Intercepted HTTPS (--host): req/s, ours ÷ direct",
      reason: "not measured yet: HTTPS interception is not wired",
    });
    return {
      figures,
      details: { bytesPerTransfer: bytes, rounds: ROUNDS, megabytesPerSecond: samples },
      notes: [
        `CONNECT tunnel: median of ${ROUNDS} transfers per route and direction, each on a fresh connection after the tunnel is up; the endpoint is its own process.`,
      ],
    };
  },
};
