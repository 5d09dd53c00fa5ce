import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ProxyError } from "../../../../proxy/common/errors.js";
import { describeUpstreamFailure } from "../../../../proxy/upstream/failure.js";

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
      "a connection closed before a complete response (undici's SocketError)",
      failure("UND_ERR_SOCKET", "other side closed", "SocketError"),
      "UPSTREAM_UNREACHABLE",
      502,
      "Cannot reach app.example.com: the connection closed before a complete response (other side closed)",
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
      "a response that is not HTTP (llhttp's error, without a code)",
      failure(undefined, "Expected HTTP/", "HTTPParserError"),
      "UPSTREAM_BAD_RESPONSE",
      502,
      "app.example.com sent a response the proxy cannot read: malformed HTTP (Expected HTTP/)",
    ],
    [
      "a response with an obs-fold header (llhttp's error, with a code)",
      failure("HPE_INVALID_HEADER_TOKEN", "Invalid header value char", "HTTPParserError"),
      "UPSTREAM_BAD_RESPONSE",
      502,
      "app.example.com sent a response the proxy cannot read: HPE_INVALID_HEADER_TOKEN (Invalid header value char)",
    ],
    [
      "response headers too large",
      failure("UND_ERR_HEADERS_OVERFLOW", "Headers Overflow Error", "HeadersOverflowError"),
      "UPSTREAM_BAD_RESPONSE",
      502,
      "app.example.com sent a response the proxy cannot read: UND_ERR_HEADERS_OVERFLOW (Headers Overflow Error)",
    ],
    [
      "a protocol switch nobody asked for",
      failure("UND_ERR_SOCKET", "bad upgrade", "SocketError"),
      "UPSTREAM_BAD_RESPONSE",
      502,
      "app.example.com sent a response the proxy cannot read: UND_ERR_SOCKET (bad upgrade)",
    ],
    [
      "a request undici will not send",
      failure("UND_ERR_INVALID_ARG", "invalid expect header", "InvalidArgumentError"),
      "REQUEST_INVALID",
      400,
      "The request cannot be forwarded to app.example.com: invalid expect header",
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
