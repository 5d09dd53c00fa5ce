import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { describeTlsFailure } from "../../../../proxy/upstream/upstream-tls.js";

const withCode = (code: string, extra: object = {}): Error => Object.assign(new Error(code), { code }, extra);

describe("describeTlsFailure", () => {
  it("says an untrusted certificate needs --upstream-ca", () => {
    for (const code of [
      "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
      "SELF_SIGNED_CERT_IN_CHAIN",
      "DEPTH_ZERO_SELF_SIGNED_CERT",
    ]) {
      const error = describeTlsFailure(withCode(code), "app.example.com:443", "app.example.com");
      assert.equal(error?.code, "UPSTREAM_CERTIFICATE_INVALID");
      assert.equal(error?.status, 502);
      assert.equal(
        error?.message,
        `The certificate of app.example.com:443 is not trusted: ${code} (pass its CA with --upstream-ca)`,
      );
    }
  });

  it("names the names a certificate for another host has", () => {
    const error = describeTlsFailure(
      withCode("ERR_TLS_CERT_ALTNAME_INVALID", { cert: { subjectaltname: "DNS:other.example.com" } }),
      "app.example.com:443",
      "app.example.com",
    );
    assert.equal(
      error?.message,
      "The certificate of app.example.com:443 is not valid for app.example.com: ERR_TLS_CERT_ALTNAME_INVALID (it names DNS:other.example.com)",
    );
  });

  it("says when a certificate has expired or is not valid yet", () => {
    assert.equal(
      describeTlsFailure(withCode("CERT_HAS_EXPIRED"), "a:443", "a")?.message,
      "The certificate of a:443 has expired: CERT_HAS_EXPIRED",
    );
    assert.equal(
      describeTlsFailure(withCode("CERT_NOT_YET_VALID"), "a:443", "a")?.message,
      "The certificate of a:443 is not valid yet: CERT_NOT_YET_VALID (check the clocks)",
    );
  });

  it("reports other TLS failures as UPSTREAM_TLS_FAILED, and leaves socket errors alone", () => {
    const error = describeTlsFailure(withCode("ERR_SSL_WRONG_VERSION_NUMBER"), "a:80", "a");
    assert.equal(error?.code, "UPSTREAM_TLS_FAILED");
    assert.equal(
      error?.message,
      "The TLS handshake with a:80 failed: ERR_SSL_WRONG_VERSION_NUMBER (is it an HTTPS server?)",
    );
    assert.equal(describeTlsFailure(withCode("ECONNREFUSED"), "a:443", "a"), undefined);
    assert.equal(describeTlsFailure(new Error("no code"), "a:443", "a"), undefined);
  });
});
