import { X509Certificate } from "node:crypto";
import { ProxyError } from "../common/errors.js";

/** OpenSSL's verify results that mean "no chain to a trusted CA" (X509_V_ERR_* names, as Node reports them in `code`). */
export const UNTRUSTED_CERTIFICATE_CODES: ReadonlySet<string> = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_UNTRUSTED",
  "CERT_SIGNATURE_FAILURE",
  "CERT_REJECTED",
  "INVALID_CA",
]);
const expiredCodes = new Set(["CERT_HAS_EXPIRED"]);
const notYetValidCodes = new Set(["CERT_NOT_YET_VALID"]);
const nameMismatchCode = "ERR_TLS_CERT_ALTNAME_INVALID";

interface TlsErrorShape {
  readonly code?: unknown;
  readonly cert?: { readonly subjectaltname?: unknown };
}

/**
 * Maps a failed TLS connection to an HTTPS app (`authority` = `host:port`) to the ProxyError the
 * client sees, or undefined when the error is not about TLS. Certificate problems say what is
 * wrong and what to do; the proxy never connects without verifying (there is no flag to turn
 * verification off: an unverified app could be anyone, and it receives the person's proof).
 *
 * @example describeTlsFailure(error, "app.example.com:443", "app.example.com")?.message
 * // "The certificate of app.example.com:443 is not trusted: UNABLE_TO_VERIFY_LEAF_SIGNATURE (pass its CA with --upstream-ca)"
 */
export function describeTlsFailure(
  error: unknown,
  authority: string,
  hostname: string,
): ProxyError | undefined {
  const shape = (typeof error === "object" && error !== null ? error : {}) as TlsErrorShape;
  const code = typeof shape.code === "string" ? shape.code : undefined;
  if (code === undefined) return undefined;
  const of = `The certificate of ${authority}`;
  const invalid = (message: string): ProxyError =>
    new ProxyError("UPSTREAM_CERTIFICATE_INVALID", message, { cause: error });
  if (UNTRUSTED_CERTIFICATE_CODES.has(code)) {
    return invalid(`${of} is not trusted: ${code} (pass its CA with --upstream-ca)`);
  }
  if (expiredCodes.has(code)) return invalid(`${of} has expired: ${code}`);
  if (notYetValidCodes.has(code)) return invalid(`${of} is not valid yet: ${code} (check the clocks)`);
  if (code === nameMismatchCode) {
    const names = typeof shape.cert?.subjectaltname === "string" ? shape.cert.subjectaltname : "no names";
    return invalid(`${of} is not valid for ${hostname}: ${code} (it names ${names})`);
  }
  if (code.startsWith("ERR_SSL_") || code === "EPROTO" || code.startsWith("ERR_TLS_")) {
    return new ProxyError(
      "UPSTREAM_TLS_FAILED",
      `The TLS handshake with ${authority} failed: ${code} (is it an HTTPS server?)`,
      { cause: error },
    );
  }
  return undefined;
}

const pemCertificate = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * Splits PEM text (a CA bundle: one or more certificates) into its certificates, each checked
 * to be readable, for the extra CAs apps' certificates may chain to. Throws a TypeError that says
 * what is wrong, for the caller to put after what it read the text from (an option, a file).
 *
 * @example readCaCertificates(readFileSync("/etc/corp/root-ca.pem")) // ["-----BEGIN CERTIFICATE-----\n…\n-----END CERTIFICATE-----"]
 */
export function readCaCertificates(pem: string | Buffer): string[] {
  const text = typeof pem === "string" ? pem : pem.toString("utf8");
  const blocks = text.match(pemCertificate) ?? [];
  if (blocks.length === 0) throw new TypeError("holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
  for (const [index, block] of blocks.entries()) {
    try {
      new X509Certificate(block);
    } catch {
      throw new TypeError(`holds a certificate that cannot be read (number ${index + 1})`);
    }
  }
  return blocks;
}

/**
 * Checks a list of CA bundles given as PEM contents (an option of both modes), adding a problem
 * naming `name[index]` for each entry that is not one; returns every certificate on its own.
 *
 * @example checkCaCertificateList([readFileSync("corp-ca.pem")], "upstreamCa", problems) // ["-----BEGIN CERTIFICATE-----…"]
 */
export function checkCaCertificateList(
  value: readonly (Buffer | string)[] | undefined,
  name: string,
  problems: string[],
): readonly string[] {
  if (value === undefined) return Object.freeze([]);
  if (!Array.isArray(value)) {
    problems.push(`${name}: must be an array of PEM texts (strings or Buffers)`);
    return Object.freeze([]);
  }
  const certificates: string[] = [];
  value.forEach((pem: unknown, index) => {
    if (typeof pem !== "string" && !Buffer.isBuffer(pem)) {
      problems.push(`${name}[${index}]: must be PEM text, a string or a Buffer (got ${typeof pem})`);
      return;
    }
    try {
      certificates.push(...readCaCertificates(pem));
    } catch (error) {
      problems.push(`${name}[${index}]: ${(error as Error).message}`);
    }
  });
  return Object.freeze(certificates);
}
