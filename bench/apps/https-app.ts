/*
 * The minimal app over TLS, for the intercepted-HTTPS benchmark: the same counting handler as
 * minimal-app.ts, with a certificate from a CA the bench made for this run. It listens on
 * 127.0.0.1 and, on the same port, on 127.0.0.2 … 127.0.0.<1 + extra>: distinct hosts, all of
 * them this app, for which the proxy has to issue distinct certificates (no /etc/hosts needed:
 * the whole 127/8 block is loopback on Linux). Its certificate names every one of them.
 *
 *   BENCH_TLS_CERT_FILE=cert.pem BENCH_TLS_KEY_FILE=key.pem node dist/bench/apps/https-app.js [extra]
 */
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { createServer, type ServerOptions } from "node:https";
import { extraLoopbackHosts, maxExtraLoopbackHosts } from "../loopback-hosts.js";
import { createCountingHandler } from "./counting-handler.js";
import { serveOnLoopback } from "./serve.js";

const certFile = process.env.BENCH_TLS_CERT_FILE ?? "";
const keyFile = process.env.BENCH_TLS_KEY_FILE ?? "";
const extra = Number(process.argv[2] ?? "0");
if (
  certFile === "" ||
  keyFile === "" ||
  !Number.isInteger(extra) ||
  extra < 0 ||
  extra > maxExtraLoopbackHosts
) {
  process.stderr.write(
    `usage: BENCH_TLS_CERT_FILE=… BENCH_TLS_KEY_FILE=… node https-app.js [extra addresses, 0-${maxExtraLoopbackHosts}] (got ${JSON.stringify(process.argv[2])})\n`,
  );
  process.exit(2);
}
const options: ServerOptions = { cert: readFileSync(certFile), key: readFileSync(keyFile) };
const handler = createCountingHandler();

function createAppServer(): ReturnType<typeof createServer> {
  const server = createServer(options, handler);
  server.on("connection", (socket) => socket.on("error", () => socket.destroy()));
  return server;
}

serveOnLoopback(createAppServer(), "https", async (port) => {
  await Promise.all(
    extraLoopbackHosts(extra).map(async (address) => {
      const server = createAppServer();
      server.listen(port, address);
      await once(server, "listening");
    }),
  );
});
