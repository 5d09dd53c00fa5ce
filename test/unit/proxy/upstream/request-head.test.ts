import assert from "node:assert/strict";
import type { OutgoingHttpHeaders } from "node:http";
import { describe, it } from "node:test";
import { ProxyError } from "../../../../proxy/common/errors.js";
import { writeRequestHead, type RequestFraming } from "../../../../proxy/upstream/request-head.js";

/*
 * The request head the proxy writes to an app: exact bytes for what it forwards, and a 400
 * REQUEST_INVALID, with nothing written, for what HTTP/1.1 cannot carry.
 */

const none: RequestFraming = { kind: "none" };

describe("writeRequestHead", () => {
  const table: readonly (readonly [
    string,
    string,
    string,
    OutgoingHttpHeaders,
    RequestFraming,
    string | undefined,
    string,
  ])[] = [
    [
      "a GET without a body: no framing fields",
      "GET",
      "/",
      { host: "app" },
      none,
      undefined,
      "GET / HTTP/1.1\r\nhost: app\r\n\r\n",
    ],
    [
      "names as given, in order, with the query and obs-text kept",
      "GET",
      "/a/b?c=d&e=%20",
      { Host: "app:8080", "X-Name": "caf\xe9", accept: "*/*" },
      none,
      undefined,
      "GET /a/b?c=d&e=%20 HTTP/1.1\r\nHost: app:8080\r\nX-Name: caf\xe9\r\naccept: */*\r\n\r\n",
    ],
    [
      "a list value: one line per item",
      "GET",
      "/",
      { host: "app", cookie: ["a=1", "b=2"] },
      none,
      undefined,
      "GET / HTTP/1.1\r\nhost: app\r\ncookie: a=1\r\ncookie: b=2\r\n\r\n",
    ],
    [
      "an empty list: no line",
      "GET",
      "/",
      { host: "app", "x-none": [] },
      none,
      undefined,
      "GET / HTTP/1.1\r\nhost: app\r\n\r\n",
    ],
    [
      "a numeric value",
      "GET",
      "/",
      { host: "app", "x-retries": 10 },
      none,
      undefined,
      "GET / HTTP/1.1\r\nhost: app\r\nx-retries: 10\r\n\r\n",
    ],
    [
      "an undefined value: no line",
      "GET",
      "/",
      { host: "app", "x-skip": undefined },
      none,
      undefined,
      "GET / HTTP/1.1\r\nhost: app\r\n\r\n",
    ],
    [
      "a tab and an empty value are allowed",
      "GET",
      "/",
      { "x-tab": "a\tb", "x-empty": "" },
      none,
      undefined,
      "GET / HTTP/1.1\r\nx-tab: a\tb\r\nx-empty: \r\n\r\n",
    ],
    [
      "length framing: the caller's content-length, transfer-encoding, connection and upgrade dropped",
      "POST",
      "/submit",
      {
        host: "app",
        "Content-Length": "999",
        "transfer-encoding": "chunked",
        Connection: "keep-alive",
        UPGRADE: "websocket",
        "content-type": "text/plain",
      },
      { kind: "length", bytes: 5 },
      undefined,
      "POST /submit HTTP/1.1\r\nhost: app\r\ncontent-type: text/plain\r\ncontent-length: 5\r\n\r\n",
    ],
    [
      "length framing of 0 bytes",
      "PUT",
      "/x",
      { host: "app", "content-length": 3 },
      { kind: "length", bytes: 0 },
      undefined,
      "PUT /x HTTP/1.1\r\nhost: app\r\ncontent-length: 0\r\n\r\n",
    ],
    [
      "chunked framing: the caller's framing fields dropped",
      "POST",
      "/",
      { host: "app", "content-length": "12", "Transfer-Encoding": "gzip, chunked", connection: "close" },
      { kind: "chunked" },
      undefined,
      "POST / HTTP/1.1\r\nhost: app\r\ntransfer-encoding: chunked\r\n\r\n",
    ],
    [
      "the caller's framing fields dropped even when they hold characters that would be refused",
      "GET",
      "/",
      { host: "app", connection: "a\r\nb", upgrade: "\0" },
      none,
      undefined,
      "GET / HTTP/1.1\r\nhost: app\r\n\r\n",
    ],
    [
      "an upgrade: upgrade and connection: upgrade written last, the caller's own dropped",
      "GET",
      "/chat",
      { host: "app", Upgrade: "h2c", Connection: "keep-alive, Upgrade", "sec-websocket-key": "k==" },
      none,
      "websocket",
      "GET /chat HTTP/1.1\r\nhost: app\r\nsec-websocket-key: k==\r\nupgrade: websocket\r\nconnection: upgrade\r\n\r\n",
    ],
    [
      "an upgrade with a body of known length: the framing before the upgrade fields",
      "POST",
      "/up",
      { host: "app" },
      { kind: "length", bytes: 2 },
      "foo/1",
      "POST /up HTTP/1.1\r\nhost: app\r\ncontent-length: 2\r\nupgrade: foo/1\r\nconnection: upgrade\r\n\r\n",
    ],
    [
      "an OPTIONS * request",
      "OPTIONS",
      "*",
      { host: "app" },
      none,
      undefined,
      "OPTIONS * HTTP/1.1\r\nhost: app\r\n\r\n",
    ],
  ];

  for (const [name, method, path, headers, framing, upgrade, expected] of table) {
    it(`writes ${name}`, () => {
      assert.equal(writeRequestHead(method, path, headers, framing, upgrade, "app.example.com"), expected);
    });
  }
});

describe("writeRequestHead: refusals (400 REQUEST_INVALID)", () => {
  const prefix = "The request cannot be forwarded to app.example.com: ";
  const table: readonly (readonly [
    string,
    string,
    string,
    OutgoingHttpHeaders,
    string | undefined,
    string,
  ])[] = [
    [
      "a CR LF in a value (header injection)",
      "GET",
      "/",
      { host: "app", "x-a": "a\r\nx-injected: 1" },
      undefined,
      "the value of x-a has a character HTTP/1.1 does not allow",
    ],
    [
      "a bare LF in a value",
      "GET",
      "/",
      { "x-a": "a\nb" },
      undefined,
      "the value of x-a has a character HTTP/1.1 does not allow",
    ],
    [
      "a NUL in a value",
      "GET",
      "/",
      { "x-a": "a\0b" },
      undefined,
      "the value of x-a has a character HTTP/1.1 does not allow",
    ],
    [
      "a DEL in a value",
      "GET",
      "/",
      { "x-a": "a\x7fb" },
      undefined,
      "the value of x-a has a character HTTP/1.1 does not allow",
    ],
    [
      "a character beyond latin1 in a value",
      "GET",
      "/",
      { "x-a": "\u20ac" },
      undefined,
      "the value of x-a has a character HTTP/1.1 does not allow",
    ],
    [
      "a CR LF in one item of a list",
      "GET",
      "/",
      { cookie: ["a=1", "b=2\r\n"] },
      undefined,
      "the value of cookie has a character HTTP/1.1 does not allow",
    ],
    [
      "a CR LF in the upgrade",
      "GET",
      "/",
      { host: "app" },
      "websocket\r\nx: 1",
      "the value of upgrade has a character HTTP/1.1 does not allow",
    ],
    ["a space in a header name", "GET", "/", { "x a": "1" }, undefined, '"x a" is not a valid header name'],
    ["a colon in a header name", "GET", "/", { "x:a": "1" }, undefined, '"x:a" is not a valid header name'],
    ["an empty header name", "GET", "/", { "": "1" }, undefined, '"" is not a valid header name'],
    [
      "a CR LF in a header name",
      "GET",
      "/",
      { "x\r\ny": "1" },
      undefined,
      '"x\\r\\ny" is not a valid header name',
    ],
    [
      "an invalid method (a space)",
      "GE T",
      "/",
      {},
      undefined,
      'the request line "GE T /" is not valid HTTP/1.1',
    ],
    ["an empty method", "", "/", {}, undefined, 'the request line " /" is not valid HTTP/1.1'],
    [
      "a method with a CR LF",
      "GET\r\n",
      "/",
      {},
      undefined,
      'the request line "GET\\r\\n /" is not valid HTTP/1.1',
    ],
    [
      "a path with a space",
      "GET",
      "/a b",
      {},
      undefined,
      'the request line "GET /a b" is not valid HTTP/1.1',
    ],
    [
      "a path with a CR LF",
      "GET",
      "/a\r\nx: 1",
      {},
      undefined,
      'the request line "GET /a\\r\\nx: 1" is not valid HTTP/1.1',
    ],
    ["an empty path", "GET", "", {}, undefined, 'the request line "GET " is not valid HTTP/1.1'],
    [
      "a path with a tab (a request-line separator to lenient servers)",
      "GET",
      "/a\tb",
      {},
      undefined,
      'the request line "GET /a\\tb" is not valid HTTP/1.1',
    ],
  ];

  for (const [name, method, path, headers, upgrade, why] of table) {
    it(`refuses ${name}`, () => {
      assert.throws(
        () => writeRequestHead(method, path, headers, none, upgrade, "app.example.com"),
        (error: unknown) => {
          assert.ok(error instanceof ProxyError);
          assert.equal(error.code, "REQUEST_INVALID");
          assert.equal(error.status, 400);
          assert.equal(error.message, `${prefix}${why}`);
          return true;
        },
      );
    });
  }
});
