import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
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

/**
 * Reads an `--upstream-ca` file: one or more PEM certificates, each checked. Throws TypeError
 * naming the flag, the file and the problem.
 *
 * @example readUpstreamCaFile("/etc/corp/root-ca.pem") // "-----BEGIN CERTIFICATE-----\n…"
 */
export function readUpstreamCaFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    throw new TypeError(`--upstream-ca cannot read ${path}: ${code}`);
  }
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) {
    throw new TypeError(`--upstream-ca ${path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  }
  for (const [index, block] of blocks.entries()) {
    try {
      new X509Certificate(block);
    } catch {
      throw new TypeError(`--upstream-ca ${path}: certificate ${index + 1} cannot be read`);
    }
  }
  return blocks.join("\n");
}
