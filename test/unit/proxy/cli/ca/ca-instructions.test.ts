import assert from "node:assert/strict";
import { generateKeyPairSync, X509Certificate } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fingerprintOf, renderCaInstructions } from "../../../../../proxy/cli/ca/ca-instructions.js";
import { loadOrCreateCa, type LocalCa } from "../../../../../proxy/mitm/index.js";

describe("fingerprintOf", () => {
  let root = "";
  let ca: LocalCa;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), "iam-auth-proxy-ca-command-"));
    ca = await loadOrCreateCa(join(root, "ca"));
  });
  after(() => rm(root, { recursive: true, force: true }));

  it("is the SHA-256 of the certificate as colon-separated upper-case hex, as browsers show it", () => {
    const fingerprint = fingerprintOf(ca.certPem);
    assert.match(fingerprint, /^[0-9A-F]{2}(:[0-9A-F]{2}){31}$/);
    assert.equal(fingerprint, new X509Certificate(ca.certPem).fingerprint256);
    assert.equal(fingerprint, ca.fingerprintSha256);
  });

  it("rejects text that is not a certificate with a TypeError", () => {
    const key = generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey.export({
      format: "pem",
      type: "pkcs8",
    });
    for (const pem of ["", "hello", String(key)]) {
      assert.throws(() => fingerprintOf(pem), {
        name: "TypeError",
        message: "fingerprintOf: not a PEM certificate",
      });
    }
  });
});

describe("renderCaInstructions", () => {
  const fingerprintSha256 = Array.from({ length: 32 }, (_, i) =>
    (i * 7).toString(16).toUpperCase().padStart(2, "0"),
  ).join(":");
  const caCertPath = "/home/jo/.iam-auth-proxy/ca-cert.pem";
  const text = renderCaInstructions({ caCertPath, fingerprintSha256, proxyUrl: "http://127.0.0.1:8080" });

  it("names the certificate file and its fingerprint", () => {
    assert.ok(text.includes(`Certificate:         ${caCertPath}\n`));
    assert.ok(text.includes(`SHA-256 fingerprint: ${fingerprintSha256}\n`));
  });

  it("says it edits nothing itself", () => {
    assert.match(text, /This command edits nothing itself/);
  });

  it("gives the trust command for Chrome/Chromium on Linux (NSS, libnss3-tools)", () => {
    assert.ok(
      text.includes(`  certutil -d sql:$HOME/.pki/nssdb -A -t "C,," -n iam-auth-proxy -i ${caCertPath}\n`),
    );
    assert.ok(text.includes("libnss3-tools"));
  });

  it("gives Firefox, macOS and Windows instructions", () => {
    assert.match(text, /Firefox.*\n.*Certificates > View Certificates > Authorities > Import/);
    assert.ok(
      text.includes(
        `  security add-trusted-cert -d -r trustRoot -k ~/Library/Keychains/login.keychain-db ${caCertPath}\n`,
      ),
    );
    assert.ok(text.includes(`  certutil -user -addstore Root ${caCertPath}\n`));
  });

  it("tells Node.js and curl clients how to trust it", () => {
    assert.ok(text.includes(`  NODE_EXTRA_CA_CERTS=${caCertPath} node your-client.js\n`));
    assert.ok(
      text.includes(
        `  curl --proxy http://127.0.0.1:8080 --cacert ${caCertPath} https://app.corp.example.com/\n`,
      ),
    );
  });

  it("quotes a path with spaces so the commands can be pasted", () => {
    const spaced = renderCaInstructions({
      caCertPath: "/Users/Jo Doe/.iam-auth-proxy/ca-cert.pem",
      fingerprintSha256,
      proxyUrl: "http://127.0.0.1:8080",
    });
    assert.ok(spaced.includes(`-i '/Users/Jo Doe/.iam-auth-proxy/ca-cert.pem'\n`));
    assert.ok(spaced.includes(`NODE_EXTRA_CA_CERTS='/Users/Jo Doe/.iam-auth-proxy/ca-cert.pem' node`));
    assert.ok(spaced.includes(`-addstore Root "/Users/Jo Doe/.iam-auth-proxy/ca-cert.pem"\n`));
  });

  it("reports every bad option in one TypeError", () => {
    assert.throws(
      () => renderCaInstructions({ caCertPath: "", fingerprintSha256: "ab:cd", proxyUrl: "https://x" }),
      {
        name: "TypeError",
        message:
          'renderCaInstructions: caCertPath must be a non-empty path; fingerprintSha256 must be 32 colon-separated upper-case hex bytes (got "ab:cd"); proxyUrl must be the proxy\'s http:// URL (got "https://x")',
      },
    );
  });
});
