/**
 * mitm/: HTTPS interception for --host apps — the local CA (created once, kept private) and the
 * leaf certificates it issues per host. May import: http/, common/.
 */
export { defaultCaDir, loadOrCreateCa, type LoadOrCreateCaOptions, type LocalCa } from "./ca-store.js";
export { createLeafIssuer, type IssuedLeaf, type LeafIssuer, type LeafIssuerOptions } from "./leaf-issuer.js";
export {
  createSniCallback,
  getSecureContext,
  type SniCallback,
  type SniCallbackOptions,
} from "./secure-context.js";
export { MitmError, type MitmErrorCode } from "./errors.js";
