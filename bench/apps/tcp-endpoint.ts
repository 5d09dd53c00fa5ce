/*
 * A TCP sink and source for the CONNECT benchmark. A client opens a connection (directly or
 * through a proxy's tunnel) and sends one line:
 *   `upload <bytes>\n`   then that many bytes; the endpoint answers `done\n` once all arrived;
 *   `download <bytes>\n` the endpoint sends that many bytes, then closes its side.
 *
 *   node dist/bench/apps/tcp-endpoint.js
 */
import { createServer, type Socket } from "node:net";
import { serveOnLoopback } from "./serve.js";

const CHUNK = Buffer.alloc(64 * 1024, 0x61);
const MAX_LINE = 64;
const request = /^(upload|download) (\d{1,12})\n/;

function handle(socket: Socket): void {
  socket.on("error", () => socket.destroy());
  let head = Buffer.alloc(0);
  const onHead = (chunk: Buffer): void => {
    head = Buffer.concat([head, chunk]);
    const newline = head.indexOf(0x0a);
    if (newline < 0) {
      if (head.length > MAX_LINE) socket.destroy();
      return;
    }
    socket.off("data", onHead);
    const match = request.exec(head.subarray(0, newline + 1).toString("latin1"));
    if (match === null) {
      socket.end("bad request\n");
      return;
    }
    const bytes = Number(match[2]);
    const rest = head.subarray(newline + 1);
    if (match[1] === "upload") sink(socket, bytes, rest.length);
    else void source(socket, bytes);
  };
  socket.on("data", onHead);
}

function sink(socket: Socket, bytes: number, already: number): void {
  let received = already;
  const check = (): void => {
    if (received < bytes) return;
    socket.off("data", onData);
    socket.end("done\n");
  };
  const onData = (chunk: Buffer): void => {
    received += chunk.length;
    check();
  };
  socket.on("data", onData);
  check();
}

async function source(socket: Socket, bytes: number): Promise<void> {
  let left = bytes;
  while (left > 0 && !socket.destroyed) {
    const chunk = left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left);
    left -= chunk.length;
    // Honour backpressure: a tunnel that reads slower must slow us down, not fill our memory.
    if (!socket.write(chunk))
      await new Promise((resolve) => socket.once("drain", resolve).once("close", resolve));
  }
  socket.end();
}

serveOnLoopback(createServer(handle), "tcp");
