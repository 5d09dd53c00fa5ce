/**
 * signin/: THE sign-in decision and everything it needs — reading an app's challenge, whose
 * request it is (same site or another site's page), the session jar, making the proof, signing
 * in on the client's behalf and replaying, the original's redirect flow, refusals and the record
 * of sign-ins. Every mode calls it; no mode re-decides any part of it.
 * May import: aws/, upstream/, mitm/, http/, common/ (npm run lint enforces the layers).
 */
export * from "./auth-redirect.js";
export * from "./auth-refusal.js";
export * from "./challenge-answerer.js";
export * from "./login-history.js";
export * from "./login-log.js";
export * from "./policy.js";
export * from "./exchange.js";
export * from "./client-answer.js";
export * from "./login-method.js";
export * from "./login-options.js";
export * from "./request-site.js";
export * from "./self-login.js";
