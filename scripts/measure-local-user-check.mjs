// What the local-user check (proxy/http/local-peer.ts) costs a new connection: times N sequential
// new connections, one request each, through the forward proxy with allowOtherUsers true (no check)
// and false (the check), three rounds each. Each client resets its connection when answered, so
// no TIME_WAIT rows pile up in /proc/net/tcp and inflate the figures.
// Run after a build: node scripts/measure-local-user-check.mjs   (N=1000, BURST=1 by default)
import { readFileSync } from "node:fs";
import http from "node:http";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const { createProxyServer } = await import(`${root}dist/proxy/forward/proxy-server.js`);
const quiet = { info() {}, warn() {} };
const app = http.createServer((_req, res) => res.end("ok"));
await new Promise((resolve) => app.listen(0, "127.0.0.1", resolve));
const target = `http://127.0.0.1:${app.address().port}/`;
const n = Number(process.env.N ?? 1000);
// BURST=6: connections opened six at a time, as a browser opens them for a page.
const burst = Number(process.env.BURST ?? 1);

function requestOnNewConnection(port) {
  return new Promise((resolve, reject) => {
    const agent = new http.Agent({ keepAlive: true });
    const req = http
      .get({ host: "127.0.0.1", port, path: target, agent }, (res) => {
        res.resume();
        res.on("end", () => {
          req.socket.resetAndDestroy();
          resolve();
        });
      })
      .on("error", reject);
  });
}

const results = { "without the check": [], "with the check": [] };
for (let round = 0; round < 3; round++) {
  for (const allowOtherUsers of [true, false]) {
    const proxy = createProxyServer({
      bind: { kind: "address", host: "127.0.0.1", port: 0 },
      logger: quiet,
      allowOtherUsers,
    });
    const port = Number(new URL((await proxy.listen())[0]).port);
    for (let i = 0; i < 100; i++) await requestOnNewConnection(port);
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i += burst) {
      await Promise.all(Array.from({ length: burst }, () => requestOnNewConnection(port)));
    }
    results[allowOtherUsers ? "without the check" : "with the check"].push(
      Number(process.hrtime.bigint() - start) / 1e6,
    );
    await proxy.close();
  }
}
for (const [name, runs] of Object.entries(results)) {
  console.log(
    `${name}: ${runs.map((ms) => `${Math.round(ms)} ms (${Math.round((ms * 1000) / n)} µs a connection)`).join(", ")}`,
  );
}
const rows = (path) => readFileSync(path, "latin1").split("\n").length - 2;
console.log(`rows in /proc/net/tcp: ${rows("/proc/net/tcp")}, /proc/net/tcp6: ${rows("/proc/net/tcp6")}`);
app.close();
