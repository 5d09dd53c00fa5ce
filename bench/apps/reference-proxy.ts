/*
 * The peer our proxy is measured against: the `proxy` npm package (TooTallNate's, "think
 * Squid"), a plain forward proxy for absolute-form HTTP requests and CONNECT, with no IAM
 * sign-in. Run as its own process, like ours.
 *
 *   node dist/bench/apps/reference-proxy.js
 */
import { createServer } from "node:http";
import { createProxy } from "proxy";
import { serveOnLoopback } from "./serve.js";

const server = createProxy(createServer());
server.on("connection", (socket) => socket.on("error", () => socket.destroy()));
serveOnLoopback(server, "http");
