/*
 * The reference for what http-proxy alone costs the gateway: a reverse proxy made of
 * `httpProxy.createProxyServer({ target })` on a node:http server and nothing else (no
 * sign-in, no headers added, the library's defaults — among them no keep-alive to the app, so
 * a new connection per request, as the gateway does). With `--keep-alive`, the same with a
 * keep-alive agent: what reusing connections to the app would be worth. Run as its own
 * process, like the gateway.
 *
 *   node dist/bench/apps/http-proxy-reverse.js http://127.0.0.1:8000 [--keep-alive]
 */
import { Agent, createServer } from "node:http";
import httpProxy from "http-proxy";
import parseArgv from "yargs-parser";
import { serveOnLoopback } from "./serve.js";

const argv = parseArgv(process.argv.slice(2), { boolean: ["keep-alive"] });
const target = String(argv._[0] ?? "");
if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(target)) {
  process.stderr.write(
    `usage: node http-proxy-reverse.js http://127.0.0.1:<port> [--keep-alive] (got ${JSON.stringify(target)})\n`,
  );
  process.exit(2);
}
const proxy = httpProxy.createProxyServer({
  target,
  ...(argv["keep-alive"] === true ? { agent: new Agent({ keepAlive: true }) } : {}),
});
// An unreachable app answers 502 rather than crash the process (the gateway does the same).
proxy.on("error", (_error, _req, res) => {
  if ("writeHead" in res && !res.headersSent) res.writeHead(502).end();
  else res.destroy();
});
const server = createServer((req, res) => proxy.web(req, res));
server.on("connection", (socket) => socket.on("error", () => socket.destroy()));
serveOnLoopback(server, "http");
