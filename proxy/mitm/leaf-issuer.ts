import { createPrivateKey, webcrypto } from "node:crypto";
import { isIP } from "node:net";
import { isCertifiableHost, normaliseHost } from "../http/host-pattern.js";
import type { LocalCa } from "./ca-store.js";
import { MitmError } from "./errors.js";
// Types only up front: the x509 library (and its polyfills) loads on the first certificate,
// so a proxy that never intercepts starts without it.
import type { x509 } from "./x509.js";

/** Options of `createLeafIssuer`. */
export interface LeafIssuerOptions {
  /** The current time: the validity of new leaves and when a cached one is renewed. Default `() => new Date()`. */
  readonly clock?: () => Date;
  /** How many hosts' certificates are kept; the least recently used is dropped first. Default 1000. */
  readonly maxCachedHosts?: number;
}

/** A certificate for one host and its private key, both PEM, ready for `tls.createSecureContext`. */
export interface IssuedLeaf {
  /** The host it was issued for, in `normaliseHost` form. */
  readonly host: string;
  readonly cert: string;
  readonly key: string;
  readonly notAfter: Date;
}

/** Issues leaf certificates signed by the local CA, cached per host. */
export interface LeafIssuer {
  /**
   * The certificate for `host` (a DNS name or IP literal; case, trailing dot and IPv6 brackets are
   * ignored). Concurrent calls for one host share one issue; throws MitmError LEAF_HOST_INVALID.
   */
  issue(host: string): Promise<IssuedLeaf>;
  /**
   * Loads the certificate library, makes the key pair and issues one throwaway certificate in
   * the background, so the first intercepted host does not wait for them (a few hundred ms, and
   * 12-17 ms more for the first certificates while the code is still cold). A failure is left
   * to issue().
   */
  prepare(): void;
}

const hour = 60 * 60 * 1000;
const day = 24 * hour;
/** CA/Browser Forum limit is 397 days (Apple and Chrome enforce it); stay a day under. */
const leafLifetime = 396 * day;
/** A cached leaf this close to expiry is replaced, so no connection gets one that expires mid-session. */
const renewBefore = day;
/** What prepare() issues a certificate for, to run the issuing code once before a real host needs it. */
const WARM_UP_HOST = "warm-up.iam-auth-proxy.invalid";
const WARM_UP_ISSUES = 5;
/** RFC 5280 upper bound for a common name; longer names go in the SAN only. */
const maxCommonName = 64;

/**
 * Creates an issuer of leaf certificates for intercepted hosts: SAN and CN = the host, serverAuth,
 * valid from now − 1 h for 396 days (never past the CA), signed ECDSA-SHA256 by the CA. One EC
 * P-256 key pair, generated on first use and never written to disk, serves every host; the
 * certificates are cached per host (LRU) and reissued a day before they expire.
 *
 * @example const { cert, key } = await createLeafIssuer(ca).issue("app.corp.example.com")
 */
export function createLeafIssuer(ca: LocalCa, options: LeafIssuerOptions = {}): LeafIssuer {
  const problems: string[] = [];
  const clock = options.clock ?? (() => new Date());
  if (typeof clock !== "function") problems.push("clock must be a function");
  const maxCachedHosts = options.maxCachedHosts ?? 1000;
  if (!Number.isInteger(maxCachedHosts) || maxCachedHosts < 1) {
    problems.push(`maxCachedHosts must be a positive integer (got ${String(maxCachedHosts)})`);
  }
  if (problems.length > 0) throw new TypeError(`createLeafIssuer: ${problems.join("; ")}`);

  // Map iteration order is insertion order: re-inserting on use makes the first key the least recently used.
  const cache = new Map<string, { readonly promise: Promise<IssuedLeaf>; leaf?: IssuedLeaf }>();
  let leafKeys: Promise<LeafKeys> | undefined;
  const getLeafKeys = (): Promise<LeafKeys> => {
    leafKeys ??= createLeafKeys(ca).catch((error: unknown) => {
      leafKeys = undefined;
      throw error;
    });
    return leafKeys;
  };

  return {
    prepare(): void {
      // `.invalid` (RFC 6761 §6.4) is never a real host; the certificate is not cached.
      getLeafKeys()
        .then(async (keys) => {
          for (let i = 0; i < WARM_UP_ISSUES; i += 1) await createLeaf(ca, keys, WARM_UP_HOST, clock());
        })
        .catch(() => undefined);
    },
    issue(requested: string): Promise<IssuedLeaf> {
      const host = normaliseHost(String(requested));
      if (!isCertifiableHost(host)) {
        const shown = JSON.stringify(String(requested).slice(0, 300));
        return Promise.reject(
          new MitmError(
            "LEAF_HOST_INVALID",
            `Cannot issue a certificate for ${shown}: not a DNS name or IP address`,
          ),
        );
      }
      const now = clock();
      const cached = cache.get(host);
      cache.delete(host);
      if (
        cached &&
        (cached.leaf === undefined || cached.leaf.notAfter.getTime() - now.getTime() > renewBefore)
      ) {
        cache.set(host, cached);
        return cached.promise;
      }
      const entry: { readonly promise: Promise<IssuedLeaf>; leaf?: IssuedLeaf } = {
        promise: getLeafKeys().then((keys) => createLeaf(ca, keys, host, now)),
      };
      cache.set(host, entry);
      for (const oldest of cache.keys()) {
        if (cache.size <= maxCachedHosts) break;
        cache.delete(oldest);
      }
      void entry.promise.then(
        (leaf) => {
          entry.leaf = leaf;
        },
        () => {
          // A failed issue is not cached, so the next call tries again; the caller gets the error.
          if (cache.get(host) === entry) cache.delete(host);
        },
      );
      return entry.promise;
    },
  };
}

interface LeafKeys {
  readonly publicKey: webcrypto.CryptoKey;
  readonly privateKeyPem: string;
  readonly subjectKeyId: x509.SubjectKeyIdentifierExtension;
  readonly authorityKeyId: x509.AuthorityKeyIdentifierExtension;
}

async function createLeafKeys(ca: LocalCa): Promise<LeafKeys> {
  const { ecdsaP256Sha256, x509 } = await import("./x509.js");
  const keys = await webcrypto.subtle.generateKey(ecdsaP256Sha256, true, ["sign", "verify"]);
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey));
  const privateKeyPem = createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" }).export({
    format: "pem",
    type: "pkcs8",
  });
  // The authority key identifier must equal the CA's subject key identifier byte for byte.
  const caKeyId = ca.certificate.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  return {
    publicKey: keys.publicKey,
    privateKeyPem: String(privateKeyPem),
    subjectKeyId: await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    authorityKeyId:
      caKeyId === undefined
        ? await x509.AuthorityKeyIdentifierExtension.create(ca.certificate.publicKey)
        : new x509.AuthorityKeyIdentifierExtension(caKeyId),
  };
}

async function createLeaf(ca: LocalCa, keys: LeafKeys, host: string, now: Date): Promise<IssuedLeaf> {
  const { ecdsaP256Sha256, randomSerialNumber, x509 } = await import("./x509.js");
  const notBefore = new Date(now.getTime() - hour);
  const notAfter = new Date(Math.min(now.getTime() + leafLifetime, ca.notAfter.getTime()));
  const name =
    isIP(host) === 0 ? { type: "dns" as const, value: host } : { type: "ip" as const, value: host };
  // Without a CN the subject is empty, and RFC 5280 §4.2.1.6 then requires a critical SAN.
  const withCommonName = host.length <= maxCommonName;
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialNumber(),
    subject: withCommonName ? [{ CN: [host] }] : [],
    // The issuer is the CA's subject exactly as encoded, so chain building matches it byte for byte.
    issuer: ca.certificate.subjectName,
    notBefore,
    notAfter,
    publicKey: keys.publicKey,
    signingKey: ca.signingKey,
    signingAlgorithm: ecdsaP256Sha256,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
      new x509.SubjectAlternativeNameExtension([name], !withCommonName),
      keys.subjectKeyId,
      keys.authorityKeyId,
    ],
  });
  return Object.freeze({
    host,
    cert: `${certificate.toString("pem")}\n`,
    key: keys.privateKeyPem,
    notAfter: certificate.notAfter,
  });
}
