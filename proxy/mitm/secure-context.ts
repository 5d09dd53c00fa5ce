import { createSecureContext, type SecureContext, type TlsOptions } from "node:tls";
import { MitmError } from "./errors.js";
import type { IssuedLeaf, LeafIssuer } from "./leaf-issuer.js";

/** The `SNICallback` of `tls.createServer` / `new tls.TLSSocket(…, { isServer: true })`. */
export type SniCallback = NonNullable<TlsOptions["SNICallback"]>;

/** Options of `createSniCallback`. */
export interface SniCallbackOptions {
  /**
   * Whether to answer a TLS client asking for `servername`; refused names end the handshake with
   * MitmError LEAF_HOST_REFUSED. Default: every name the issuer accepts. Pass the `--host` check
   * (`matchesAnyHost`), so a client cannot make the proxy issue certificates for other sites.
   */
  readonly accept?: (servername: string) => boolean;
}

// One context per issued leaf: the issuer returns the identical object for a cached host, and a
// renewed leaf is a new object, so stale contexts are collected with their leaves.
const contexts = new WeakMap<IssuedLeaf, SecureContext>();

/**
 * Creates an SNICallback that presents, for each server name a client asks for, a certificate for
 * exactly that name. Clients send no SNI for IP literals (RFC 6066 §3): give the socket a default
 * context from `getSecureContext(issuer, host)` for the CONNECT target as well.
 *
 * @example tls.createServer({ SNICallback: createSniCallback(issuer, { accept: (name) => matchesAnyHost(patterns, name, 443) }) })
 */
export function createSniCallback(issuer: LeafIssuer, options: SniCallbackOptions = {}): SniCallback {
  const accept = options.accept ?? (() => true);
  if (typeof accept !== "function") throw new TypeError("createSniCallback: accept must be a function");
  return (servername, callback) => {
    if (!accept(servername)) {
      const shown = JSON.stringify(servername.slice(0, 300));
      callback(new MitmError("LEAF_HOST_REFUSED", `The proxy does not intercept ${shown}`), undefined);
      return;
    }
    getSecureContext(issuer, servername).then(
      (context) => callback(null, context),
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error)), undefined),
    );
  };
}

/**
 * The TLS context presenting `host`'s leaf certificate (issued or cached by `issuer`).
 *
 * @example new tls.TLSSocket(clientSocket, { isServer: true, secureContext: await getSecureContext(issuer, "10.0.0.5") })
 */
export async function getSecureContext(issuer: LeafIssuer, host: string): Promise<SecureContext> {
  const leaf = await issuer.issue(host);
  let context = contexts.get(leaf);
  if (context === undefined) {
    context = createSecureContext({ cert: leaf.cert, key: leaf.key });
    contexts.set(leaf, context);
  }
  return context;
}
