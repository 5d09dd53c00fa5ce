/**
 * common/: what every folder of the proxy shares — the error class with its stable codes, and the
 * structured logger. May import: nothing of the proxy (only ../../protocol).
 */
export * from "./errors.js";
export * from "./log.js";
