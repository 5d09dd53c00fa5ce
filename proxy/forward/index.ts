/**
 * forward/: the forward proxy — requests arrive in absolute form (`GET http://app/…`), as CONNECT
 * tunnels (blind, or intercepted for --host apps) and as websocket upgrades. It hands every app
 * response to signin/ and never re-decides what signin/ decides.
 * May import: pages/, signin/, upstream/, mitm/, aws/, http/, common/ — never reverse/ or cli/
 * (npm run lint enforces the layers).
 */
export * from "./proxy-options.js";
export * from "./proxy-server.js";
