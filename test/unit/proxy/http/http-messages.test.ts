import assert from "node:assert/strict";
import type { IncomingHttpHeaders } from "node:http";
import { describe, it } from "node:test";
import {
  copyForwardedRequestHeaders,
  prepareForwardedRequestHeaders,
  removeHopByHopHeaders,
} from "../../../../proxy/http/http-messages.js";

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

  it("keeps every other field when Connection is just keep-alive or close", () => {
    const raw = ["Connection", "Keep-Alive", "Keep-Alive", "timeout=5", "Close", "x", "ETag", "1"];
    assert.deepEqual(removeHopByHopHeaders(raw), ["Close", "x", "ETag", "1"]);
    assert.deepEqual(removeHopByHopHeaders(["connection", "close", "ETag", "1"]), ["ETag", "1"]);
  });
});

describe("copyForwardedRequestHeaders", () => {
  it("leaves what prepareForwardedRequestHeaders leaves, minus Cookie, and does not touch the request's own", () => {
    const incoming = (): IncomingHttpHeaders => ({
      host: "attacker.example",
      connection: "keep-alive, x-named",
      "x-named": "1",
      "keep-alive": "timeout=5",
      "proxy-authorization": "Basic c2VjcmV0",
      expect: "100-continue",
      cookie: "sid=1",
      "content-length": "5",
      "content-type": "text/plain",
    });
    const original = incoming();
    const copy = copyForwardedRequestHeaders(original, "app:3000");
    assert.deepEqual(original, incoming());
    const prepared = incoming();
    prepareForwardedRequestHeaders(prepared, "app:3000");
    delete prepared.cookie;
    assert.deepEqual(copy, prepared);
    // Host stays where the client put it (first), as prepareForwardedRequestHeaders leaves it.
    assert.deepEqual(Object.keys(copy), ["host", "content-length", "content-type"]);
  });

  it("adds Host when the request had none, and drops nothing else for Connection: keep-alive", () => {
    assert.deepEqual(
      copyForwardedRequestHeaders(
        { connection: "Keep-Alive", accept: "text/html", "keep-alive": "5" },
        "app",
      ),
      { accept: "text/html", host: "app" },
    );
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
