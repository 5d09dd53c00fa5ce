import assert from "node:assert/strict";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createLeafIssuer, loadOrCreateCa, type LocalCa } from "../../../../proxy/mitm/index.js";
import { x509 } from "../../../../proxy/mitm/x509.js";

const hour = 60 * 60 * 1000;
const day = 24 * hour;

describe("createLeafIssuer", () => {
  let root = "";
  let ca: LocalCa;
  let caCert: X509Certificate;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), "iam-auth-proxy-leaf-"));
    ca = await loadOrCreateCa(join(root, "ca"));
    caCert = new X509Certificate(ca.certPem);
  });
  after(() => rm(root, { recursive: true, force: true }));

  describe("a leaf for a DNS name", () => {
    it("is issued by the CA and verifies against its key", async () => {
      const leaf = new X509Certificate((await createLeafIssuer(ca).issue("app.corp.example.com")).cert);
      assert.equal(leaf.verify(caCert.publicKey), true);
      assert.equal(leaf.checkIssued(caCert), true);
      assert.equal(leaf.issuer, caCert.subject);
      assert.equal(leaf.ca, false);
    });

    it("names exactly its host: SAN dNSName and CN", async () => {
      const leaf = new X509Certificate((await createLeafIssuer(ca).issue("app.corp.example.com")).cert);
      assert.equal(leaf.subjectAltName, "DNS:app.corp.example.com");
      assert.equal(leaf.subject, "CN=app.corp.example.com");
      assert.equal(leaf.checkHost("app.corp.example.com"), "app.corp.example.com");
      assert.equal(leaf.checkHost("other.corp.example.com"), undefined);
      assert.equal(leaf.checkHost("corp.example.com"), undefined);
    });

    it("is valid from an hour ago for at most 397 days", async () => {
      const now = new Date();
      const issued = await createLeafIssuer(ca, { clock: () => now }).issue("app.corp.example.com");
      const leaf = new X509Certificate(issued.cert);
      const notBefore = new Date(leaf.validFrom).getTime();
      const notAfter = new Date(leaf.validTo).getTime();
      assert.ok(Math.abs(notBefore - (now.getTime() - hour)) < 2000, leaf.validFrom);
      assert.ok(notAfter - notBefore <= 397 * day, leaf.validTo);
      assert.ok(notAfter - notBefore > 390 * day, leaf.validTo);
      assert.equal(issued.notAfter.getTime(), notAfter);
    });

    it("is for TLS servers only: serverAuth, digitalSignature (critical), CA:false (critical), key identifiers", async () => {
      const parsed = new x509.X509Certificate(
        (await createLeafIssuer(ca).issue("app.corp.example.com")).cert,
      );
      assert.deepEqual(
        [...(parsed.getExtension(x509.ExtendedKeyUsageExtension)?.usages ?? [])],
        [x509.ExtendedKeyUsage.serverAuth],
      );
      const usage = parsed.getExtension(x509.KeyUsagesExtension);
      assert.equal(usage?.usages, x509.KeyUsageFlags.digitalSignature);
      assert.equal(usage?.critical, true);
      const basic = parsed.getExtension(x509.BasicConstraintsExtension);
      assert.equal(basic?.ca, false);
      assert.equal(basic?.critical, true);
      const caKeyId = ca.certificate.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
      assert.ok(caKeyId);
      assert.equal(parsed.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId, caKeyId);
      assert.ok(parsed.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId);
      assert.deepEqual(parsed.signatureAlgorithm, { name: "ECDSA", hash: { name: "SHA-256" } });
      assert.ok(BigInt(`0x${parsed.serialNumber}`) >= 2n ** 64n, parsed.serialNumber);
    });

    it("comes with its EC P-256 private key", async () => {
      const issued = await createLeafIssuer(ca).issue("app.corp.example.com");
      const key = createPrivateKey(issued.key);
      assert.equal(key.asymmetricKeyDetails?.namedCurve, "prime256v1");
      assert.equal(new X509Certificate(issued.cert).checkPrivateKey(key), true);
    });

    it("ignores case and a trailing dot", async () => {
      const issued = await createLeafIssuer(ca).issue("App.Corp.Example.COM.");
      assert.equal(issued.host, "app.corp.example.com");
      assert.equal(new X509Certificate(issued.cert).subjectAltName, "DNS:app.corp.example.com");
    });

    it("leaves out the CN of a name longer than 64 characters and marks the SAN critical (RFC 5280 §4.2.1.6)", async () => {
      const host = `${"a".repeat(60)}.corp.example.com`;
      const issued = await createLeafIssuer(ca).issue(host);
      const leaf = new X509Certificate(issued.cert);
      assert.equal(leaf.subject, undefined, "empty subject");
      assert.equal(leaf.checkHost(host), host);
      assert.equal(
        new x509.X509Certificate(issued.cert).getExtension(x509.SubjectAlternativeNameExtension)?.critical,
        true,
      );
    });
  });

  describe("a leaf for an IP literal", () => {
    it("has an iPAddress SAN for 127.0.0.1", async () => {
      const leaf = new X509Certificate((await createLeafIssuer(ca).issue("127.0.0.1")).cert);
      assert.equal(leaf.subjectAltName, "IP Address:127.0.0.1");
      assert.equal(leaf.checkIP("127.0.0.1"), "127.0.0.1");
      assert.equal(leaf.checkIP("127.0.0.2"), undefined);
    });

    it("has an iPAddress SAN for [::1]", async () => {
      const issued = await createLeafIssuer(ca).issue("[::1]");
      assert.equal(issued.host, "::1");
      assert.equal(new X509Certificate(issued.cert).checkIP("::1"), "::1");
    });
  });

  describe("the cache", () => {
    it("returns the identical certificate for a host already issued", async () => {
      const issuer = createLeafIssuer(ca);
      const first = await issuer.issue("app.corp.example.com");
      assert.equal(await issuer.issue("app.corp.example.com"), first);
      assert.equal(await issuer.issue("APP.corp.example.com."), first);
    });

    it("issues one certificate for concurrent requests for one host", async () => {
      const issuer = createLeafIssuer(ca);
      const leaves = await Promise.all(
        Array.from({ length: 20 }, () => issuer.issue("app.corp.example.com")),
      );
      assert.equal(new Set(leaves).size, 1);
      assert.equal(new Set(leaves.map((leaf) => leaf.cert)).size, 1);
    });

    it("uses one key pair for every host of an issuer, and a new one per issuer", async () => {
      const issuer = createLeafIssuer(ca);
      const [a, b] = await Promise.all([
        issuer.issue("a.corp.example.com"),
        issuer.issue("b.corp.example.com"),
      ]);
      assert.notEqual(a.cert, b.cert);
      assert.equal(a.key, b.key);
      assert.notEqual((await createLeafIssuer(ca).issue("a.corp.example.com")).key, a.key);
    });

    it("reissues a certificate within a day of its expiry, not before", async () => {
      let now = new Date();
      const issuer = createLeafIssuer(ca, { clock: () => now });
      const first = await issuer.issue("app.corp.example.com");
      now = new Date(first.notAfter.getTime() - 2 * day);
      assert.equal(await issuer.issue("app.corp.example.com"), first);
      now = new Date(first.notAfter.getTime() - 12 * hour);
      const renewed = await issuer.issue("app.corp.example.com");
      assert.notEqual(renewed, first);
      assert.ok(renewed.notAfter.getTime() > first.notAfter.getTime());
    });

    it("drops the least recently used host beyond maxCachedHosts", async () => {
      const issuer = createLeafIssuer(ca, { maxCachedHosts: 2 });
      const a = await issuer.issue("a.corp.example.com");
      const b = await issuer.issue("b.corp.example.com");
      assert.equal(await issuer.issue("a.corp.example.com"), a); // a is now the most recently used
      await issuer.issue("c.corp.example.com"); // evicts b
      assert.equal(await issuer.issue("a.corp.example.com"), a);
      assert.notEqual(await issuer.issue("b.corp.example.com"), b);
    });
  });

  it("never issues a leaf that outlives the CA", async () => {
    const now = new Date(ca.notAfter.getTime() - 10 * day);
    const issued = await createLeafIssuer(ca, { clock: () => now }).issue("app.corp.example.com");
    assert.equal(issued.notAfter.getTime(), ca.notAfter.getTime());
  });

  it("refuses a name that is neither a DNS name nor an IP literal with LEAF_HOST_INVALID", async () => {
    const issuer = createLeafIssuer(ca);
    for (const host of ["", "bad_host.example.com", "*.corp.example.com", "a b", "fe80::1%eth0"]) {
      await assert.rejects(issuer.issue(host), {
        name: "MitmError",
        code: "LEAF_HOST_INVALID",
        message: `Cannot issue a certificate for ${JSON.stringify(host)}: not a DNS name or IP address`,
      });
    }
  });

  it("rejects bad options with a TypeError naming the option", () => {
    assert.throws(() => createLeafIssuer(ca, { maxCachedHosts: 0 }), {
      name: "TypeError",
      message: "createLeafIssuer: maxCachedHosts must be a positive integer (got 0)",
    });
    assert.throws(() => createLeafIssuer(ca, { clock: 5 as unknown as () => Date, maxCachedHosts: 1.5 }), {
      name: "TypeError",
      message:
        "createLeafIssuer: clock must be a function; maxCachedHosts must be a positive integer (got 1.5)",
    });
  });

  it("measures the first issue for a new host (prints only, asserts no time)", async (t) => {
    const issuer = createLeafIssuer(ca);
    let started = performance.now();
    await issuer.issue("first.corp.example.com");
    const first = performance.now() - started;
    started = performance.now();
    await issuer.issue("second.corp.example.com");
    const second = performance.now() - started;
    started = performance.now();
    await issuer.issue("second.corp.example.com");
    const cached = performance.now() - started;
    t.diagnostic(
      `first issue (with the issuer's key pair) ${first.toFixed(2)} ms; another new host ${second.toFixed(2)} ms; cache hit ${cached.toFixed(3)} ms`,
    );
  });
});
