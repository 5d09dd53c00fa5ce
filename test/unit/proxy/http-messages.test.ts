import assert from "node:assert/strict";
import type { IncomingHttpHeaders } from "node:http";
import { describe, it } from "node:test";
import { prepareForwardedRequestHeaders, removeHopByHopHeaders } from "../../../proxy/http-messages.js";

describe("removeHopByHopHeaders", () => {
  it("drops the RFC 9110 §7.6.1 fields and those Connection names, keeping case, order and repeats", () => {
    const raw = [
      "Connection",
      "close, X-Named",
      "connection",
      "x-other",
      "X-Named",
      "1",
      "X-Other",
      "2",
      "Keep-Alive",
      "timeout=5",
      "Proxy-Connection",
      "keep-alive",
      "TE",
      "trailers",
      "Trailer",
      "X-Sum",
      "Transfer-Encoding",
      "chunked",
      "Upgrade",
      "websocket",
      "Set-Cookie",
      "a=1",
      "Content-Type",
      "text/html",
      "Set-Cookie",
      "b=2",
    ];
    assert.deepEqual(removeHopByHopHeaders(raw), [
      "Set-Cookie",
      "a=1",
      "Content-Type",
      "text/html",
      "Set-Cookie",
      "b=2",
    ]);
  });
});

describe("prepareForwardedRequestHeaders", () => {
  it("drops hop-by-hop fields, Proxy-Authorization and Expect, and sets Host from the target", () => {
    const headers: IncomingHttpHeaders = {
      host: "attacker.example",
      connection: "keep-alive, x-named",
      "x-named": "1",
      "keep-alive": "timeout=5",
      "proxy-connection": "keep-alive",
      "proxy-authorization": "Basic c2VjcmV0",
      te: "trailers",
      trailer: "x-sum",
      upgrade: "websocket",
      expect: "100-continue",
      "content-type": "text/plain",
    };
    prepareForwardedRequestHeaders(headers, "app:3000");
    assert.deepEqual(headers, { host: "app:3000", "content-type": "text/plain" });
  });

  it("keeps Transfer-Encoding and Content-Length even when Connection names them: they frame the body", () => {
    const headers: IncomingHttpHeaders = {
      connection: "transfer-encoding, content-length, host",
      "transfer-encoding": "chunked",
      "content-length": "5",
    };
    prepareForwardedRequestHeaders(headers, "app");
    assert.deepEqual(headers, { "transfer-encoding": "chunked", "content-length": "5", host: "app" });
  });
});
