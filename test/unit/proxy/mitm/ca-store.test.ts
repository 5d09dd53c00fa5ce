import assert from "node:assert/strict";
import { generateKeyPairSync, X509Certificate } from "node:crypto";
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { loadOrCreateCa } from "../../../../proxy/mitm/index.js";
import { x509 } from "../../../../proxy/mitm/x509.js";

const day = 24 * 60 * 60 * 1000;

describe("loadOrCreateCa", () => {
  let root = "";
  let counter = 0;
  /** A fresh, not yet existing CA directory under the test's temporary root. */
  const newDir = (): string => join(root, `ca-${++counter}`);

  before(async () => {
    root = await mkdtemp(join(tmpdir(), "iam-auth-proxy-ca-"));
  });
  after(() => rm(root, { recursive: true, force: true }));

  describe("on first run", () => {
    it("creates the directory (0700), ca-key.pem (0600) and ca-cert.pem, and leaves no temporary files", async () => {
      const dir = newDir();
      const ca = await loadOrCreateCa(dir, { hostname: "laptop" });
      assert.equal(ca.created, true);
      assert.equal(ca.keyPath, join(dir, "ca-key.pem"));
      assert.equal(ca.certPath, join(dir, "ca-cert.pem"));
      assert.equal((await stat(dir)).mode & 0o777, 0o700);
      assert.equal((await stat(ca.keyPath)).mode & 0o777, 0o600);
      assert.equal((await stat(ca.certPath)).mode & 0o022, 0, "only its owner may change the certificate");
      assert.deepEqual((await readdir(dir)).sort(), ["ca-cert.pem", "ca-key.pem"]);
      assert.match(await readFile(ca.keyPath, "utf8"), /^-----BEGIN PRIVATE KEY-----\n/);
      assert.equal(await readFile(ca.certPath, "utf8"), ca.certPem);
    });

    it("makes a self-signed EC P-256 CA, signed with ECDSA-SHA256, valid from an hour ago for at most ten years", async () => {
      const now = new Date();
      const ca = await loadOrCreateCa(newDir(), { hostname: "laptop", clock: () => now });
      const cert = new X509Certificate(await readFile(ca.certPath, "utf8"));
      assert.equal(cert.ca, true);
      assert.equal(cert.publicKey.asymmetricKeyType, "ec");
      assert.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, "prime256v1");
      assert.equal(cert.subject, "O=iam-auth-proxy\nCN=iam-auth-proxy local CA (laptop)");
      assert.equal(cert.issuer, cert.subject);
      assert.equal(cert.verify(cert.publicKey), true, "self-signed");
      assert.equal(cert.fingerprint256, ca.fingerprintSha256);

      const notBefore = new Date(cert.validFrom).getTime();
      const notAfter = new Date(cert.validTo).getTime();
      assert.ok(Math.abs(notBefore - (now.getTime() - 60 * 60 * 1000)) < 2000, cert.validFrom);
      assert.ok(notAfter - notBefore <= 3652 * day, "at most ten calendar years");
      assert.ok(notAfter - notBefore > 3600 * day, cert.validTo);

      const parsed = new x509.X509Certificate(cert.raw);
      assert.deepEqual(parsed.signatureAlgorithm, { name: "ECDSA", hash: { name: "SHA-256" } });
      const basic = parsed.getExtension(x509.BasicConstraintsExtension);
      assert.equal(basic?.ca, true);
      assert.equal(basic?.pathLength, 0);
      assert.equal(basic?.critical, true);
      const usage = parsed.getExtension(x509.KeyUsagesExtension);
      assert.equal(usage?.usages, x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);
      assert.equal(usage?.critical, true);
      assert.ok(parsed.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId);
      // Positive and at least 64 bits (RFC 5280 §4.1.2.2, CA/Browser Forum).
      assert.ok(BigInt(`0x${cert.serialNumber}`) >= 2n ** 64n, cert.serialNumber);
    });

    it("gives each CA its own serial number and key", async () => {
      const [a, b] = await Promise.all([loadOrCreateCa(newDir()), loadOrCreateCa(newDir())]);
      assert.notEqual(a?.fingerprintSha256, b?.fingerprintSha256);
      assert.notEqual(
        new X509Certificate(a?.certPem ?? "").serialNumber,
        new X509Certificate(b?.certPem ?? "").serialNumber,
      );
    });

    it("agrees on one CA when two proxies start at the same moment", async () => {
      const dir = newDir();
      const results = await Promise.all([loadOrCreateCa(dir), loadOrCreateCa(dir), loadOrCreateCa(dir)]);
      const fingerprints = new Set(results.map((ca) => ca.fingerprintSha256));
      assert.equal(fingerprints.size, 1);
      assert.equal(results.filter((ca) => ca.created).length, 1);
      assert.equal(
        fingerprintOfFile(await readFile(join(dir, "ca-cert.pem"), "utf8")),
        results[0]?.fingerprintSha256,
      );
      assert.deepEqual((await readdir(dir)).sort(), ["ca-cert.pem", "ca-key.pem"]);
    });

    it("keeps the mode of a directory that already exists", async () => {
      const dir = await mkdtemp(join(root, "existing-"));
      await chmod(dir, 0o750);
      await loadOrCreateCa(dir);
      assert.equal((await stat(dir)).mode & 0o777, 0o750);
    });
  });

  describe("on later runs", () => {
    it("loads the same CA (same fingerprint and certificate), not a new one", async () => {
      const dir = newDir();
      const first = await loadOrCreateCa(dir);
      const second = await loadOrCreateCa(dir);
      assert.equal(second.created, false);
      assert.equal(second.fingerprintSha256, first.fingerprintSha256);
      assert.equal(second.certPem, first.certPem);
    });

    it("exposes the signing key as non-extractable", async () => {
      const ca = await loadOrCreateCa(newDir());
      assert.equal(ca.signingKey.extractable, false);
      assert.equal(JSON.stringify(ca).includes("PRIVATE KEY"), false);
    });
  });

  describe("when the key is readable by other users", () => {
    it("refuses it with CA_KEY_PERMISSIONS naming the file, its mode and the chmod fix", async () => {
      const dir = newDir();
      const { keyPath } = await loadOrCreateCa(dir);
      await chmod(keyPath, 0o644);
      await assert.rejects(loadOrCreateCa(dir), {
        name: "MitmError",
        code: "CA_KEY_PERMISSIONS",
        message: `Refusing to use the CA key ${keyPath}: its mode is 0644, so other users of this machine can read it; run chmod 600 ${keyPath} (or, if someone may have copied it, delete ca-key.pem and ca-cert.pem to create a new CA)`,
      });
      assert.equal((await stat(keyPath)).mode & 0o777, 0o644, "refused, not silently fixed");
    });

    it("refuses group-only access too (0640)", async () => {
      const dir = newDir();
      const { keyPath } = await loadOrCreateCa(dir);
      await chmod(keyPath, 0o640);
      await assert.rejects(loadOrCreateCa(dir), { code: "CA_KEY_PERMISSIONS" });
      await chmod(keyPath, 0o400);
      assert.equal((await loadOrCreateCa(dir)).created, false, "owner-only modes are fine");
    });
  });

  describe("when the directory cannot be created", () => {
    it("fails with CA_DIR_UNAVAILABLE naming the path and what to do (a path under a regular file fails even for root)", async () => {
      const file = join(root, "a-file");
      await writeFile(file, "not a directory");
      const dir = join(file, "sub");
      await assert.rejects(loadOrCreateCa(dir), {
        name: "MitmError",
        code: "CA_DIR_UNAVAILABLE",
        message: `Cannot create the CA directory ${dir}: a part of the path is a file, not a directory (ENOTDIR); create it yourself (mkdir -m 700 ${dir}) or choose another directory`,
      });
    });
  });

  describe("when only one of the files exists", () => {
    it("refuses to overwrite a certificate someone may trust (CA_FILES_INCOMPLETE)", async () => {
      const dir = newDir();
      const { keyPath, certPath, certPem } = await loadOrCreateCa(dir);
      await rm(keyPath);
      await assert.rejects(loadOrCreateCa(dir), {
        code: "CA_FILES_INCOMPLETE",
        message: `${certPath} exists but ${keyPath} does not; restore the missing file, or delete ${certPath} to create a new CA (and trust the new one)`,
      });
      assert.equal(await readFile(certPath, "utf8"), certPem, "left as it was");
    });
  });

  describe("when the key does not belong to the certificate", () => {
    it("fails with CA_KEY_MISMATCH", async () => {
      const dir = newDir();
      const { keyPath, certPath } = await loadOrCreateCa(dir);
      const other = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
      await writeFile(keyPath, other.privateKey.export({ format: "pem", type: "pkcs8" }), { mode: 0o600 });
      await assert.rejects(loadOrCreateCa(dir), {
        name: "MitmError",
        code: "CA_KEY_MISMATCH",
        message: `${keyPath} is not the key of ${certPath}; restore the matching pair, or delete both files to create a new CA (and trust the new one)`,
      });
    });
  });

  describe("when a file is corrupt", () => {
    it("fails with CA_FILE_INVALID for a certificate that is not PEM", async () => {
      const dir = newDir();
      const { certPath, certPem } = await loadOrCreateCa(dir);
      await writeFile(certPath, certPem.slice(0, 120));
      await assert.rejects(loadOrCreateCa(dir), {
        code: "CA_FILE_INVALID",
        message: `${certPath} is not a PEM certificate`,
      });
      await writeFile(certPath, "hello");
      await assert.rejects(loadOrCreateCa(dir), {
        code: "CA_FILE_INVALID",
        message: `${certPath} is not a PEM certificate`,
      });
    });

    it("fails with CA_FILE_INVALID for a key that is not PEM", async () => {
      const dir = newDir();
      const { keyPath } = await loadOrCreateCa(dir);
      await writeFile(keyPath, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
      await assert.rejects(loadOrCreateCa(dir), {
        code: "CA_FILE_INVALID",
        message: `${keyPath} is not a PEM private key (or is protected by a passphrase)`,
      });
    });

    it("fails with CA_FILE_INVALID for a key that is not EC P-256", async () => {
      const dir = newDir();
      const { keyPath } = await loadOrCreateCa(dir);
      const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
      await writeFile(keyPath, rsa.privateKey.export({ format: "pem", type: "pkcs8" }));
      await assert.rejects(loadOrCreateCa(dir), {
        code: "CA_FILE_INVALID",
        message: `${keyPath} must hold an EC P-256 key (found rsa)`,
      });
    });
  });

  describe("when the CA has expired", () => {
    it("fails with CA_EXPIRED saying to create a new one", async () => {
      const dir = newDir();
      const { keyPath, certPath, notAfter } = await loadOrCreateCa(dir);
      const later = new Date(notAfter.getTime() + 1000);
      await assert.rejects(loadOrCreateCa(dir, { clock: () => later }), {
        code: "CA_EXPIRED",
        message: `The CA certificate ${certPath} expired on ${notAfter.toISOString()}; delete ${certPath} and ${keyPath} to create a new CA, then trust the new one`,
      });
    });
  });

  describe("options", () => {
    it("rejects a clock that is not a function with a TypeError", async () => {
      await assert.rejects(loadOrCreateCa(newDir(), { clock: "now" as unknown as () => Date }), {
        name: "TypeError",
        message: "loadOrCreateCa: clock must be a function",
      });
    });
  });
});

function fingerprintOfFile(pem: string): string {
  return new X509Certificate(pem).fingerprint256;
}
