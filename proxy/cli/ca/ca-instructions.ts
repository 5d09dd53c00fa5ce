import { X509Certificate } from "node:crypto";
import { quotePosixArgument, quoteWindowsArgument } from "../../mitm/shell-quote.js";

/** Options of `renderCaInstructions`. */
export interface CaInstructionsOptions {
  /** The CA certificate file (`LocalCa.certPath`). */
  readonly caCertPath: string;
  /** Its SHA-256 fingerprint as `fingerprintOf` returns it (`AB:CD:…`, 32 bytes). */
  readonly fingerprintSha256: string;
  /** The proxy's own URL, e.g. `http://127.0.0.1:8080`, for the curl example. */
  readonly proxyUrl: string;
}

const fingerprintFormat = /^[0-9A-F]{2}(?::[0-9A-F]{2}){31}$/;

/**
 * The SHA-256 fingerprint of a PEM certificate, colon-separated upper-case hex, as browsers and
 * `openssl x509 -fingerprint -sha256` show it; throws TypeError if `pem` is not a certificate.
 *
 * @example fingerprintOf(ca.certPem) // "3A:0F:…:9C"
 */
export function fingerprintOf(pem: string): string {
  try {
    return new X509Certificate(pem).fingerprint256;
  } catch (error) {
    throw new TypeError("fingerprintOf: not a PEM certificate", { cause: error });
  }
}

/**
 * The text `iam-auth-proxy ca` prints: where the CA certificate is, its fingerprint, and the
 * commands that make each browser and tool trust it. It only prints: the person runs the commands
 * they want, so nothing about their trust stores changes behind their back.
 *
 * @example console.log(renderCaInstructions({ caCertPath: ca.certPath, fingerprintSha256: ca.fingerprintSha256, proxyUrl: "http://127.0.0.1:8080" }))
 */
export function renderCaInstructions(options: CaInstructionsOptions): string {
  const { caCertPath, fingerprintSha256, proxyUrl } = options;
  const problems: string[] = [];
  if (typeof caCertPath !== "string" || caCertPath === "")
    problems.push("caCertPath must be a non-empty path");
  if (typeof fingerprintSha256 !== "string" || !fingerprintFormat.test(fingerprintSha256)) {
    problems.push(
      `fingerprintSha256 must be 32 colon-separated upper-case hex bytes (got ${JSON.stringify(fingerprintSha256)})`,
    );
  }
  if (typeof proxyUrl !== "string" || !/^http:\/\/[^\s/]+\/?$/.test(proxyUrl)) {
    problems.push(`proxyUrl must be the proxy's http:// URL (got ${JSON.stringify(proxyUrl)})`);
  }
  if (problems.length > 0) throw new TypeError(`renderCaInstructions: ${problems.join("; ")}`);

  const path = quotePosixArgument(caCertPath);
  const windowsPath = quoteWindowsArgument(caCertPath);
  const nssdb = "sql:$HOME/.pki/nssdb";
  return [
    "iam-auth-proxy local certificate authority (CA)",
    "",
    `  Certificate:         ${caCertPath}`,
    `  SHA-256 fingerprint: ${fingerprintSha256}`,
    "",
    "To sign you in to the apps named by --host, the proxy decrypts their HTTPS on this machine: it",
    "shows your browser a certificate for each app, issued by this CA. Browsers and tools accept those",
    "only once you trust the CA. This command edits nothing itself: run the commands below for the",
    "browsers and tools you use, and check that any fingerprint they show matches the one above.",
    "",
    "The CA's private key (ca-key.pem, next to the certificate) never leaves this machine. Anyone who",
    "has it can impersonate any website to you: keep it private, and trust this CA only on this machine.",
    "",
    "Chrome / Chromium on Linux (their NSS database; certutil is in the libnss3-tools package):",
    `  certutil -d ${nssdb} -A -t "C,," -n iam-auth-proxy -i ${path}`,
    "  then restart the browser. To undo:",
    `  certutil -d ${nssdb} -D -n iam-auth-proxy`,
    "",
    "Firefox (any system; it keeps its own certificate store):",
    "  Settings > Privacy & Security > Certificates > View Certificates > Authorities > Import…,",
    '  choose the certificate file above and tick "Trust this CA to identify websites".',
    "  Or on Linux, with the profile folder shown in about:profiles (Root Directory):",
    `  certutil -d sql:<profile folder> -A -t "C,," -n iam-auth-proxy -i ${path}`,
    "",
    "macOS (Safari, Chrome and Edge use the keychain; asks for your password):",
    `  security add-trusted-cert -d -r trustRoot -k ~/Library/Keychains/login.keychain-db ${path}`,
    "",
    "Windows (Chrome and Edge use your user's Root store; Windows asks you to confirm):",
    `  certutil -user -addstore Root ${windowsPath}`,
    "",
    "Node.js and curl (they do not read the stores above):",
    `  NODE_EXTRA_CA_CERTS=${path} node your-client.js`,
    `  curl --proxy ${proxyUrl} --cacert ${path} https://app.corp.example.com/`,
    "  (--cacert checks the app's certificate, which this CA issues; --proxy-cacert is only for",
    "  checking a proxy that is itself reached over https://, which this one is not.)",
    "",
  ].join("\n");
}
