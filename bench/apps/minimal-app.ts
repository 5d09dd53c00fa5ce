/*
 * The smallest useful HTTP app, for the pure forwarding cost of a proxy: `GET` anything
 * answers "ok". `GET /__served` (asked directly, not through a proxy) answers how many other
 * requests it has served, so the bench can prove that load sent to a proxy reached the app.
 *
 *   node dist/bench/apps/minimal-app.js
 */
import { createServer } from "node:http";
import { serveOnLoopback } from "./serve.js";

let served = 0;
const body = Buffer.from("ok\n");

const server = createServer((req, res) => {
  req.on("error", () => req.destroy());
  res.on("error", () => res.destroy());
  if (req.url === "/__served") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ served }));
    return;
  }
  served += 1;
  res.writeHead(200, { "content-type": "text/plain", "content-length": body.length });
  res.end(body);
});
server.on("connection", (socket) => socket.on("error", () => socket.destroy()));
serveOnLoopback(server, "http");
