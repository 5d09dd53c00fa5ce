import { createPrivateKey, X509Certificate, webcrypto, type KeyObject } from "node:crypto";
import { homedir, hostname as osHostname } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createCaCertificate } from "./ca-certificate.js";
import {
  caPathsIn,
  checkKeyMode,
  findCaFiles,
  incompleteCa,
  makeCaDirectory,
  publishCaFiles,
  readCaFile,
  type CaPaths,
} from "./ca-files.js";
import { MitmError } from "./errors.js";
import { x509 } from "./x509.js";

/** Options of `loadOrCreateCa`. */
export interface LoadOrCreateCaOptions {
  /** The current time: the start of a new CA's validity and the expiry check. Default `() => new Date()`. */
  readonly clock?: () => Date;
  /** The machine name in a new CA's subject, so people can tell CAs apart in trust stores. Default `os.hostname()`. */
  readonly hostname?: string;
}

/** The local certificate authority the proxy issues its HTTPS certificates with. */
export interface LocalCa {
  /** The certificate file: what browsers, `NODE_EXTRA_CA_CERTS` and curl's `--cacert` are given. */
  readonly certPath: string;
  /** The private key file (mode 0600). */
  readonly keyPath: string;
  /** The certificate, PEM. */
  readonly certPem: string;
  /** SHA-256 of the certificate, colon-separated upper-case hex, as browsers show it. */
  readonly fingerprintSha256: string;
  readonly notAfter: Date;
  /** True when this call created the CA: the person has not trusted it yet (`iam-auth-proxy ca` says how). */
  readonly created: boolean;
  /** The parsed certificate, for the leaf issuer. */
  readonly certificate: x509.X509Certificate;
  /** The CA's private key, non-extractable: it signs leaves and can never be exported or logged. */
  readonly signingKey: webcrypto.CryptoKey;
}

/** `~/.iam-auth-proxy`: where the CA lives unless told otherwise. */
export function defaultCaDir(): string {
  return join(homedir(), ".iam-auth-proxy");
}

/**
 * Loads the CA from `dir`, creating it on first run: `dir` (mode 0700 if created), `ca-key.pem`
 * (EC P-256, PKCS#8, mode 0600) and `ca-cert.pem` (self-signed, valid ten years). A loaded CA is
 * checked: key mode, both files parse, the key is EC P-256 and belongs to the certificate, the
 * certificate is a CA and has not expired. Fails with a MitmError whose message says what to do.
 *
 * @example const ca = await loadOrCreateCa(); // ~/.iam-auth-proxy
 * @example const ca = await loadOrCreateCa("/tmp/ca", { clock: () => new Date("2030-01-01") });
 */
export async function loadOrCreateCa(
  dir: string = defaultCaDir(),
  options: LoadOrCreateCaOptions = {},
): Promise<LocalCa> {
  const problems: string[] = [];
  if (typeof dir !== "string" || dir === "") problems.push("dir must be a non-empty path");
  const clock = options.clock ?? (() => new Date());
  if (typeof clock !== "function") problems.push("clock must be a function");
  const hostname = options.hostname ?? osHostname();
  if (typeof hostname !== "string") problems.push("hostname must be a string");
  if (problems.length > 0) throw new TypeError(`loadOrCreateCa: ${problems.join("; ")}`);

  const paths = caPathsIn(dir);
  const found = await findCaFiles(paths);
  if (found.key && found.cert) return loadCa(paths, clock(), false);
  if (found.key || found.cert) throw incompleteCa(paths, found);

  await makeCaDirectory(dir);
  const { keyPem, certPem } = await createCaCertificate(clock(), hostname);
  if (await publishCaFiles(paths, keyPem, certPem)) return parseCa(paths, keyPem, certPem, clock(), true);
  // Another process published its CA first; its certificate follows its key within milliseconds.
  for (let attempt = 0; attempt < 40 && !(await findCaFiles(paths)).cert; attempt++) await sleep(25);
  return loadCa(paths, clock(), false);
}

async function loadCa(paths: CaPaths, now: Date, created: boolean): Promise<LocalCa> {
  await checkKeyMode(paths.keyPath);
  const keyPem = await readCaFile(paths.keyPath);
  const certPem = await readCaFile(paths.certPath);
  return parseCa(paths, keyPem, certPem, now, created);
}

async function parseCa(
  paths: CaPaths,
  keyPem: string,
  certPem: string,
  now: Date,
  created: boolean,
): Promise<LocalCa> {
  const { keyPath, certPath } = paths;
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: keyPem, format: "pem" });
  } catch (error) {
    throw invalid(`${keyPath} is not a PEM private key (or is protected by a passphrase)`, error);
  }
  if (key.asymmetricKeyType !== "ec" || key.asymmetricKeyDetails?.namedCurve !== "prime256v1") {
    const found = key.asymmetricKeyDetails?.namedCurve ?? key.asymmetricKeyType ?? "unknown";
    throw invalid(`${keyPath} must hold an EC P-256 key (found ${found})`);
  }
  let certificate: X509Certificate;
  try {
    if (!certPem.includes("-----BEGIN CERTIFICATE-----")) throw new Error("no PEM certificate block");
    certificate = new X509Certificate(certPem);
  } catch (error) {
    throw invalid(`${certPath} is not a PEM certificate`, error);
  }
  if (!certificate.ca)
    throw invalid(`${certPath} is not a CA certificate (basicConstraints CA:true is missing)`);
  if (!certificate.checkPrivateKey(key)) {
    throw new MitmError(
      "CA_KEY_MISMATCH",
      `${keyPath} is not the key of ${certPath}; restore the matching pair, or delete both files to create a new CA (and trust the new one)`,
    );
  }
  const parsed = new x509.X509Certificate(certificate.raw);
  if (parsed.notAfter.getTime() <= now.getTime()) {
    throw new MitmError(
      "CA_EXPIRED",
      `The CA certificate ${certPath} expired on ${parsed.notAfter.toISOString()}; delete ${certPath} and ${keyPath} to create a new CA, then trust the new one`,
    );
  }
  const pkcs8 = key.export({ format: "der", type: "pkcs8" });
  const signingKey = await webcrypto.subtle.importKey(
    "pkcs8",
    pkcs8,
    { name: "ECDSA", namedCurve: "P-256" },
    false,
    ["sign"],
  );
  return Object.freeze({
    certPath,
    keyPath,
    certPem: certificate.toString(),
    fingerprintSha256: certificate.fingerprint256,
    notAfter: parsed.notAfter,
    created,
    certificate: parsed,
    signingKey,
  });
}

function invalid(message: string, cause?: unknown): MitmError {
  return new MitmError("CA_FILE_INVALID", message, cause === undefined ? undefined : { cause });
}
