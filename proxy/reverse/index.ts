/**
 * reverse/: reverse mode — each app gets a local address a browser opens without proxy settings.
 * It hands every app response to signin/ and never re-decides what signin/ decides.
 * May import: pages/, signin/, upstream/, mitm/, aws/, http/, common/ — never forward/ or cli/
 * (npm run lint enforces the layers).
 */
/**
 * Reverse mode: `iam-auth-proxy --upstream https://app.internal.example.com` serves the app at
 * http://localhost:8080/ with the person signed in, no browser proxy settings and no CA to trust.
 */
export { createReverseProxy, type ReverseListener, type ReverseProxy } from "./reverse-proxy.js";
export type { ReverseProxyOptions, ReverseUpstreamOptions } from "./reverse-options.js";
export { describeUpstreamOriginProblem } from "./upstream-option.js";
export { rewriteLocation, type OriginMapping } from "./location-rewrite.js";
export { rewriteSetCookieForBrowser } from "./set-cookie-rewrite.js";
