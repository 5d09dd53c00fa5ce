import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ProxyError } from "../../../../proxy/common/errors.js";
import { describeUpstreamFailure } from "../../../../proxy/upstream/failure.js";
import { ResponseSyntaxError } from "../../../../proxy/upstream/response-reader.js";
import { ConnectionClosedError } from "../../../../proxy/upstream/upstream-exchange.js";

const failure = (code: string | undefined, message: string, name = "Error"): Error =>
  Object.assign(new Error(message), { code, name });
const target = { hostname: "app.example.com", port: 443, host: "app.example.com" };

describe("describeUpstreamFailure", () => {
  // One mapping for every mode: what each failure an app can cause is told to the client.
  const table: readonly (readonly [string, Error, string, number, string])[] = [
    [
      "a refused connection",
      failure("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:443"),
      "UPSTREAM_UNREACHABLE",
      502,
      "Cannot reach app.example.com: ECONNREFUSED",
    ],
    [
      "a name that does not resolve",
      failure("ENOTFOUND", "getaddrinfo ENOTFOUND app.example.com"),
      "UPSTREAM_UNREACHABLE",
      502,
      "Cannot reach app.example.com: ENOTFOUND",
    ],
    [
      "a connection the app closed before a complete response",
      new ConnectionClosedError(undefined),
      "UPSTREAM_UNREACHABLE",
      502,
      "Cannot reach app.example.com: the connection closed before a complete response",
    ],
    [
      "a connection that failed before a complete response, naming the socket error",
      new ConnectionClosedError(failure("ECONNRESET", "read ECONNRESET")),
      "UPSTREAM_UNREACHABLE",
      502,
      "Cannot reach app.example.com: the connection failed before a complete response (ECONNRESET)",
    ],
    [
      "an untrusted certificate, and what to do",
      failure("UNABLE_TO_VERIFY_LEAF_SIGNATURE", "unable to verify the first certificate"),
      "UPSTREAM_CERTIFICATE_INVALID",
      502,
      "The certificate of app.example.com:443 is not trusted: UNABLE_TO_VERIFY_LEAF_SIGNATURE (pass its CA with --upstream-ca)",
    ],
    [
      "an expired certificate",
      failure("CERT_HAS_EXPIRED", "certificate has expired"),
      "UPSTREAM_CERTIFICATE_INVALID",
      502,
      "The certificate of app.example.com:443 has expired: CERT_HAS_EXPIRED",
    ],
    [
      "a failed handshake",
      failure("EPROTO", "wrong version number"),
      "UPSTREAM_TLS_FAILED",
      502,
      "The TLS handshake with app.example.com:443 failed: EPROTO (is it an HTTPS server?)",
    ],
    [
      "a response that is not HTTP",
      new ResponseSyntaxError("STATUS_LINE_INVALID", "the response does not start with HTTP/"),
      "UPSTREAM_BAD_RESPONSE",
      502,
      "app.example.com sent a response the proxy cannot read: STATUS_LINE_INVALID (the response does not start with HTTP/)",
    ],
    [
      "a response with an obs-fold header",
      new ResponseSyntaxError("HEADER_LINE_INVALID", "a header line is folded (obs-fold)"),
      "UPSTREAM_BAD_RESPONSE",
      502,
      "app.example.com sent a response the proxy cannot read: HEADER_LINE_INVALID (a header line is folded (obs-fold))",
    ],
    [
      "response headers too large",
      new ResponseSyntaxError("HEAD_TOO_LARGE", "the response head is larger than 16384 bytes"),
      "UPSTREAM_BAD_RESPONSE",
      502,
      "app.example.com sent a response the proxy cannot read: HEAD_TOO_LARGE (the response head is larger than 16384 bytes)",
    ],
    [
      "an error without a code (never a 500: the app caused it)",
      new TypeError("terminated"),
      "UPSTREAM_UNREACHABLE",
      502,
      "Cannot reach app.example.com: terminated",
    ],
  ];
  for (const [what, error, code, status, message] of table) {
    it(`maps ${what} to ${status} ${code}`, () => {
      const described = describeUpstreamFailure(error, target);
      assert.deepEqual(
        [described.code, described.status, described.message, described.cause],
        [code, status, message, error],
      );
    });
  }

  it("passes a ProxyError (a SOCKS failure, the head timeout) on as it is", () => {
    const socks = new ProxyError(
      "SOCKS_REFUSED",
      "The SOCKS server refused the connection to app.example.com:443",
    );
    assert.equal(describeUpstreamFailure(socks, target), socks);
  });
});
