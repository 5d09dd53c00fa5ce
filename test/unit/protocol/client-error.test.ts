import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { describeClientError, formatPlainTextResponse } from "../../../protocol/index.js";

describe("describeClientError", () => {
  it("answers a malformed request 400, a head too big 431, a head too slow 408, each REQUEST_INVALID naming the parser's code", () => {
    assert.deepEqual(describeClientError("HPE_INVALID_METHOD"), {
      status: 400,
      code: "REQUEST_INVALID",
      message: "Bad request: HPE_INVALID_METHOD",
    });
    assert.equal(describeClientError("HPE_HEADER_OVERFLOW").status, 431);
    assert.equal(describeClientError("ERR_HTTP_REQUEST_TIMEOUT").status, 408);
    assert.equal(describeClientError(undefined).message, "Bad request: malformed HTTP");
  });
});

describe("formatPlainTextResponse", () => {
  it("writes one line of text/plain with its byte length, the fields first, and closes the connection", () => {
    assert.equal(
      formatPlainTextResponse(400, "Bad request: é", { "Iam-Auth-Gateway-Error": "REQUEST_INVALID" }),
      "HTTP/1.1 400 Bad Request\r\n" +
        "Iam-Auth-Gateway-Error: REQUEST_INVALID\r\n" +
        "Content-Type: text/plain; charset=utf-8\r\n" +
        "Content-Length: 16\r\n" +
        "Cache-Control: no-store\r\n" +
        "X-Content-Type-Options: nosniff\r\n" +
        "Connection: close\r\n\r\n" +
        "Bad request: é\n",
    );
  });

  it("when given a reason phrase, uses it; without one for an unknown status, says Error", () => {
    assert.match(formatPlainTextResponse(502, "x", {}, "Bad Gateway"), /^HTTP\/1\.1 502 Bad Gateway\r\n/);
    assert.match(formatPlainTextResponse(599, "x"), /^HTTP\/1\.1 599 Error\r\n/);
  });
});
