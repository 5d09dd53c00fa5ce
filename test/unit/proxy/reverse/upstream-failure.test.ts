import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { describeUpstreamFailure } from "../../../../proxy/reverse/upstream-failure.js";

const failure = (code: string, message: string): Error => Object.assign(new Error(message), { code });
const host = "app.example.com";

describe("describeUpstreamFailure", () => {
  const table: readonly [string, Error, string][] = [
    [
      "an untrusted certificate, and what to do",
      failure("UNABLE_TO_VERIFY_LEAF_SIGNATURE", "unable to verify the first certificate"),
      "Cannot reach app.example.com: its TLS certificate is not trusted (UNABLE_TO_VERIFY_LEAF_SIGNATURE: unable to verify the first certificate); " +
        "if the app uses a private certificate authority, give the proxy that CA's certificate with --upstream-ca",
    ],
    [
      "an expired certificate",
      failure("CERT_HAS_EXPIRED", "certificate has expired"),
      "Cannot reach app.example.com: its TLS certificate is not valid now (CERT_HAS_EXPIRED: certificate has expired)",
    ],
    [
      "a certificate for another name",
      failure("ERR_TLS_CERT_ALTNAME_INVALID", "Hostname/IP does not match certificate's altnames"),
      "Cannot reach app.example.com: its TLS certificate is not for app.example.com (ERR_TLS_CERT_ALTNAME_INVALID: Hostname/IP does not match certificate's altnames)",
    ],
    [
      "a failed handshake",
      failure("EPROTO", "wrong version\nnumber"),
      "Cannot reach app.example.com: the TLS handshake failed (EPROTO: wrong version number)",
    ],
    [
      "a refused connection",
      failure("ECONNREFUSED", "connect ECONNREFUSED"),
      "Cannot reach app.example.com: ECONNREFUSED",
    ],
  ];
  for (const [what, error, message] of table) {
    it(`names ${what} (502 UPSTREAM_UNREACHABLE)`, () => {
      const described = describeUpstreamFailure(error, host);
      assert.deepEqual(
        [described?.code, described?.status, described?.message, described?.cause],
        ["UPSTREAM_UNREACHABLE", 502, message, error],
      );
    });
  }

  it("gives nothing for an error without a code (a bug, reported as 500)", () => {
    assert.equal(describeUpstreamFailure(new TypeError("x is undefined"), host), undefined);
  });
});
