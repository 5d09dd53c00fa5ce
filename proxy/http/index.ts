/**
 * http/: HTTP/1.1 plumbing every mode shares — request targets and bind addresses parsed once
 * into types, host patterns, hop-by-hop rules, request bodies, Set-Cookie parsing and the cookie
 * jar (RFC 6265 storage), listening, and which local OS user a loopback connection comes from.
 * Knows nothing of AWS, apps or sign-in. May import: common/.
 */
export * from "./allowed-local-host.js";
export * from "./bind-address.js";
export * from "./client-error.js";
export * from "./cookie-jar.js";
export * from "./host-pattern.js";
export * from "./http-messages.js";
export * from "./listen.js";
export * from "./local-peer.js";
export * from "./proc-net-tcp.js";
export * from "./proxy-error-page.js";
export * from "./request-body.js";
export * from "./request-target.js";
export * from "./set-cookie.js";
