/*
 * The smallest useful HTTP app, for the pure forwarding cost of a proxy: `GET` anything
 * answers "ok"; `GET /__served` answers how many requests it has served (see counting-handler.ts).
 *
 *   node dist/bench/apps/minimal-app.js
 */
import { createServer } from "node:http";
import { createCountingHandler } from "./counting-handler.js";
import { serveOnLoopback } from "./serve.js";

const server = createServer(createCountingHandler());
server.on("connection", (socket) => socket.on("error", () => socket.destroy()));
serveOnLoopback(server, "http");
