import { createPrivateKey, webcrypto } from "node:crypto";
import { isIP } from "node:net";
import { ecdsaP256Sha256, randomSerialNumber, x509 } from "../../proxy/mitm/x509.js";

/** A server certificate and its key, PEM, for `https.createServer({ cert, key })`. */
export interface TestCertificate {
  readonly certPem: string;
  readonly keyPem: string;
}

/** A certificate authority made for one test run; its certificate goes to clients as `ca`. */
export interface TestCa extends TestCertificate {
  /** Issues a server certificate for DNS names and IP literals (SANs), valid from an hour ago. */
  issue(names: readonly string[], options?: { readonly expired?: boolean }): Promise<TestCertificate>;
}

const hour = 60 * 60 * 1000;

/**
 * Generates a CA (EC P-256) at run time, so no test key is ever checked in and every run has
 * its own trust root.
 *
 * @example const ca = await createTestCa("app test CA"); const leaf = await ca.issue(["localhost", "127.0.0.1"])
 */
export async function createTestCa(commonName: string): Promise<TestCa> {
  const keys = await webcrypto.subtle.generateKey(ecdsaP256Sha256, true, ["sign", "verify"]);
  const notBefore = new Date(Date.now() - hour);
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialNumber(),
    name: [{ CN: [commonName] }],
    notBefore,
    notAfter: new Date(notBefore.getTime() + 48 * hour),
    keys,
    signingAlgorithm: ecdsaP256Sha256,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    certPem: `${caCert.toString("pem")}\n`,
    keyPem: await exportKeyPem(keys.privateKey),
    async issue(names, options = {}) {
      const leafKeys = await webcrypto.subtle.generateKey(ecdsaP256Sha256, true, ["sign", "verify"]);
      const start = options.expired === true ? new Date(Date.now() - 48 * hour) : notBefore;
      const leaf = await x509.X509CertificateGenerator.create({
        serialNumber: randomSerialNumber(),
        subject: [{ CN: [names[0] ?? "test"] }],
        issuer: caCert.subjectName,
        notBefore: start,
        notAfter: new Date(start.getTime() + (options.expired === true ? hour : 47 * hour)),
        publicKey: leafKeys.publicKey,
        signingKey: keys.privateKey,
        signingAlgorithm: ecdsaP256Sha256,
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
          new x509.SubjectAlternativeNameExtension(
            names.map((name) => ({
              type: isIP(name) === 0 ? ("dns" as const) : ("ip" as const),
              value: name,
            })),
            false,
          ),
        ],
      });
      return { certPem: `${leaf.toString("pem")}\n`, keyPem: await exportKeyPem(leafKeys.privateKey) };
    },
  };
}

async function exportKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", key));
  return String(
    createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" }).export({ format: "pem", type: "pkcs8" }),
  );
}
