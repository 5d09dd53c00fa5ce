/**
 * upstream/: reaching apps — the one sender (undici) for requests and upgrades, the connections
 * it rides on (direct, SOCKS, TLS trust), and the one failure mapper: the same failure gets the
 * same status, code and message in every mode. May import: http/, common/.
 */
export * from "./sender.js";
export * from "./socks-connector.js";
export * from "./upstream-connections.js";
export * from "./failure.js";
export * from "./upstream-response.js";
export * from "./upstream-tls.js";
