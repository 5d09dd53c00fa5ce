import { createPrivateKey, webcrypto } from "node:crypto";
import { ecdsaP256Sha256, randomSerialNumber, x509 } from "./x509.js";

const hour = 60 * 60 * 1000;
const day = 24 * hour;
/** 3650 days: under ten calendar years, whatever the leap days. */
const caLifetime = 3650 * day;
/** RFC 5280 upper bound for a common name (ub-common-name). */
const maxCommonName = 64;

/** A freshly generated CA: its private key and self-signed certificate, both PEM. */
export interface NewCa {
  readonly keyPem: string;
  readonly certPem: string;
}

/**
 * Generates an EC P-256 key and a self-signed CA certificate for it, valid from `now` − 1 h (so a
 * client whose clock is a little behind accepts it) for 3650 days.
 * basicConstraints CA:true pathLen 0 (critical): it may sign leaves, never another CA.
 * keyUsage keyCertSign + cRLSign (critical), subjectKeyIdentifier for chain building.
 *
 * @example const { keyPem, certPem } = await createCaCertificate(new Date(), "laptop")
 */
export async function createCaCertificate(now: Date, hostname: string): Promise<NewCa> {
  const keys = await webcrypto.subtle.generateKey(ecdsaP256Sha256, true, ["sign", "verify"]);
  const notBefore = new Date(now.getTime() - hour);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialNumber(),
    name: [{ O: ["iam-auth-proxy"] }, { CN: [caCommonName(hostname)] }],
    notBefore,
    notAfter: new Date(notBefore.getTime() + caLifetime),
    keys,
    signingAlgorithm: ecdsaP256Sha256,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey));
  const keyPem = createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" }).export({
    format: "pem",
    type: "pkcs8",
  });
  return { keyPem: String(keyPem), certPem: `${certificate.toString("pem")}\n` };
}

/** `iam-auth-proxy local CA (<hostname>)`: the name people see in their trust stores. */
function caCommonName(hostname: string): string {
  if (hostname === "") return "iam-auth-proxy local CA";
  const prefix = "iam-auth-proxy local CA (";
  const room = maxCommonName - prefix.length - 1;
  const shown = hostname.length > room ? `${hostname.slice(0, room - 1)}…` : hostname;
  return `${prefix}${shown})`;
}
