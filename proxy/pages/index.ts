/**
 * pages/: what the proxy itself serves to a person — its status page, the PAC file, the local
 * CA's certificate and instructions. May import: signin/, aws/, upstream/, mitm/, http/, common/
 * (npm run lint enforces the layers).
 */
export * from "./credential-source.js";
export * from "./direct-request.js";
export * from "./pac-file.js";
export * from "./status-page.js";
