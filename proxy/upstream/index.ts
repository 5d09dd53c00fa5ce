/**
 * upstream/: reaching apps — the one sender for requests and upgrades (its own HTTP/1.1 client:
 * request head written, response read by ResponseReader), the connections it rides on (kept
 * alive per app; direct, SOCKS, TLS trust), and the one failure mapper: the same failure gets the
 * same status, code and message in every mode. May import: http/, common/.
 */
export * from "./sender.js";
export * from "./socks-connector.js";
export * from "./upstream-connections.js";
export * from "./failure.js";
export * from "./upstream-response.js";
export * from "./upstream-tls.js";
export * from "./response-reader.js";
export * from "./connection-pool.js";
export * from "./app-connection.js";
