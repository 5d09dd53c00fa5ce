import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ResponseReader,
  ResponseSyntaxError,
  type ResponseHead,
  type ResponseLimits,
  type ResponseSyntaxCode,
} from "../../../../proxy/upstream/response-reader.js";

/*
 * The strict HTTP/1.1 response reader (RFC 9112): every case is read in one chunk and again one
 * byte at a time, and must give the same head, body, leftover bytes and end either way.
 */

/** What a reader made of the bytes it was fed, then of the app closing its side. */
interface Outcome {
  /** Every head event, in order (a reader gives one). */
  readonly heads: ResponseHead[];
  /** The body, framing removed (latin1). */
  readonly body: string;
  /** The events in order, consecutive body pieces merged: e.g. ["head", "body", "end"]. */
  readonly events: string[];
  /** What read() returned, concatenated (latin1), or undefined when it never returned bytes. */
  readonly leftover: string | undefined;
  /** `done` once every piece was read, before the close. */
  readonly done: boolean;
  /** What readEnd() returned when the app then closed. */
  readonly readEnd: boolean;
  /** `done` after readEnd(). */
  readonly doneAfterClose: boolean;
}

const bytes = (text: string): Buffer => Buffer.from(text, "latin1");

/** Splits `input` into the pieces of `split`: one chunk, one byte each, or cut at the given offsets. */
function pieces(input: Buffer, split: "whole" | "bytes" | readonly number[]): Buffer[] {
  if (split === "whole") return [input];
  if (split === "bytes") return [...input].map((byte) => Buffer.from([byte]));
  const cuts = [0, ...split, input.length];
  return cuts.slice(1).map((end, i) => input.subarray(cuts[i], end));
}

function run(
  method: string,
  input: string | Buffer,
  split: "whole" | "bytes" | readonly number[] = "whole",
  limits?: ResponseLimits,
): Outcome {
  const heads: ResponseHead[] = [];
  const body: Buffer[] = [];
  const events: string[] = [];
  const log = (event: string): void => {
    if (event !== "body" || events.at(-1) !== "body") events.push(event);
  };
  const reader = new ResponseReader(
    method,
    {
      head: (head) => {
        heads.push(head);
        log("head");
      },
      body: (chunk) => {
        // Copied: the reader may hand out views of buffers it goes on to reuse.
        body.push(Buffer.from(chunk));
        log("body");
      },
      end: () => log("end"),
    },
    limits,
  );
  const leftovers: Buffer[] = [];
  for (const piece of pieces(typeof input === "string" ? bytes(input) : input, split)) {
    const rest = reader.read(piece);
    if (rest !== undefined) leftovers.push(Buffer.from(rest));
  }
  const done = reader.done;
  const readEnd = reader.readEnd();
  return {
    heads,
    body: Buffer.concat(body).toString("latin1"),
    events,
    leftover: leftovers.length === 0 ? undefined : Buffer.concat(leftovers).toString("latin1"),
    done,
    readEnd,
    doneAfterClose: reader.done,
  };
}

/** The error reading `input` throws, whole or one byte at a time (it must be the same). */
function readError(
  method: string,
  input: string,
  limits?: ResponseLimits,
): { code: ResponseSyntaxCode; message: string } {
  const errors = (["whole", "bytes"] as const).map((split) => {
    try {
      run(method, input, split, limits);
    } catch (error) {
      assert.ok(error instanceof ResponseSyntaxError, `not a ResponseSyntaxError: ${String(error)}`);
      assert.equal(error.name, "ResponseSyntaxError");
      return { code: error.code, message: error.message };
    }
    assert.fail(`read ${JSON.stringify(input)} (${split}) without an error`);
  });
  assert.deepEqual(errors[1], errors[0], "one byte at a time throws another error than one chunk");
  return errors[0] as { code: ResponseSyntaxCode; message: string };
}

interface Expected {
  readonly statusCode: number;
  readonly statusMessage: string;
  readonly rawHeaders: string[];
  readonly reusable: boolean;
  readonly keepAliveSeconds?: number;
  readonly body: string;
  /** The bytes after the response, when there are. */
  readonly leftover?: string;
  /** The body runs until the app closes: not done after the bytes, ended by readEnd(). */
  readonly untilClose?: boolean;
}

/** Checks an outcome against what was expected of a complete response. */
function check(outcome: Outcome, expected: Expected): void {
  assert.equal(outcome.heads.length, 1, "one head");
  assert.deepEqual(outcome.heads[0], {
    statusCode: expected.statusCode,
    statusMessage: expected.statusMessage,
    rawHeaders: expected.rawHeaders,
    reusable: expected.reusable,
    keepAliveSeconds: expected.keepAliveSeconds,
  });
  assert.equal(outcome.body, expected.body);
  assert.deepEqual(outcome.events, expected.body === "" ? ["head", "end"] : ["head", "body", "end"]);
  assert.equal(outcome.leftover, expected.leftover);
  assert.equal(outcome.done, expected.untilClose !== true, "done once the bytes were read");
  assert.equal(outcome.readEnd, true);
  assert.equal(outcome.doneAfterClose, true);
}

const ok = (head: string, rest: string): string => `HTTP/1.1 200 OK\r\n${head}\r\n${rest}`;
const chunked = "Transfer-Encoding: chunked\r\n";

describe("ResponseReader: complete responses", () => {
  const table: readonly (readonly [string, string, string, Expected])[] = [
    // The status line.
    [
      "a response with a Content-Length body",
      "GET",
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
      {
        statusCode: 200,
        statusMessage: "OK",
        rawHeaders: ["Content-Length", "5"],
        reusable: true,
        body: "hello",
      },
    ],
    [
      "a reason with spaces, a tab and obs-text (latin1)",
      "GET",
      "HTTP/1.1 599 Not\tQuite \xe9t\xe9 \r\nContent-Length: 0\r\n\r\n",
      {
        statusCode: 599,
        statusMessage: "Not\tQuite \xe9t\xe9 ",
        rawHeaders: ["Content-Length", "0"],
        reusable: true,
        body: "",
      },
    ],
    [
      "an empty reason after the space",
      "GET",
      "HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n",
      { statusCode: 200, statusMessage: "", rawHeaders: ["Content-Length", "0"], reusable: true, body: "" },
    ],
    [
      "no space before an empty reason",
      "GET",
      "HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n",
      { statusCode: 404, statusMessage: "", rawHeaders: ["Content-Length", "0"], reusable: true, body: "" },
    ],
    [
      "a status code up to 999",
      "GET",
      "HTTP/1.1 999 Odd\r\nContent-Length: 1\r\n\r\nx",
      {
        statusCode: 999,
        statusMessage: "Odd",
        rawHeaders: ["Content-Length", "1"],
        reusable: true,
        body: "x",
      },
    ],
    // Fields: as they came, whitespace around the value removed.
    [
      "fields in order, names as sent, repeated names kept, whitespace around values removed",
      "GET",
      ok(
        "X-One:  a  b \t\r\nx-one:b\r\nX-Empty:\r\nX-Blank: \t \r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nX-Latin: caf\xe9\r\nContent-Length: 0\r\n",
        "",
      ),
      {
        statusCode: 200,
        statusMessage: "OK",
        rawHeaders: [
          "X-One",
          "a  b",
          "x-one",
          "b",
          "X-Empty",
          "",
          "X-Blank",
          "",
          "Set-Cookie",
          "a=1",
          "Set-Cookie",
          "b=2",
          "X-Latin",
          "caf\xe9",
          "Content-Length",
          "0",
        ],
        reusable: true,
        body: "",
      },
    ],
    [
      "every token character in a name",
      "GET",
      ok("!#$%&'*+-.^_`|~09azAZ: v\r\nContent-Length: 0\r\n", ""),
      {
        statusCode: 200,
        statusMessage: "OK",
        rawHeaders: ["!#$%&'*+-.^_`|~09azAZ", "v", "Content-Length", "0"],
        reusable: true,
        body: "",
      },
    ],
    // Keep-Alive: timeout=N.
    [
      "Keep-Alive: timeout=5, max=100",
      "GET",
      ok("Keep-Alive: timeout=5, max=100\r\nContent-Length: 0\r\n", ""),
      {
        statusCode: 200,
        statusMessage: "OK",
        rawHeaders: ["Keep-Alive", "timeout=5, max=100", "Content-Length", "0"],
        reusable: true,
        keepAliveSeconds: 5,
        body: "",
      },
    ],
    [
      "Keep-Alive: max=100,timeout=30 (timeout second, any case of the name)",
      "GET",
      ok("keep-alive: max=100,timeout=30\r\nContent-Length: 0\r\n", ""),
      {
        statusCode: 200,
        statusMessage: "OK",
        rawHeaders: ["keep-alive", "max=100,timeout=30", "Content-Length", "0"],
        reusable: true,
        keepAliveSeconds: 30,
        body: "",
      },
    ],
    [
      "Keep-Alive without a timeout",
      "GET",
      ok("Keep-Alive: max=100\r\nContent-Length: 0\r\n", ""),
      {
        statusCode: 200,
        statusMessage: "OK",
        rawHeaders: ["Keep-Alive", "max=100", "Content-Length", "0"],
        reusable: true,
        body: "",
      },
    ],
    [
      "Keep-Alive: xtimeout=5 is not a timeout",
      "GET",
      ok("Keep-Alive: xtimeout=5\r\nContent-Length: 0\r\n", ""),
      {
        statusCode: 200,
        statusMessage: "OK",
        rawHeaders: ["Keep-Alive", "xtimeout=5", "Content-Length", "0"],
        reusable: true,
        body: "",
      },
    ],
    // Reuse: HTTP/1.0 and Connection: close.
    [
      "HTTP/1.0 with Content-Length: read by its length, not reusable",
      "GET",
      "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi",
      {
        statusCode: 200,
        statusMessage: "OK",
        rawHeaders: ["Content-Length", "2"],
        reusable: false,
        body: "hi",
      },
    ],
    [
      "HTTP/1.0 with Connection: keep-alive is still not reusable",
      "GET",
      "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nhi",
      {
        statusCode: 200,
        statusMessage: "OK",
        rawHeaders: ["Connection", "keep-alive", "Content-Length", "2"],
        reusable: false,
        body: "hi",
      },
    ],
    [
      "Connection: close",
      "GET",
      ok("Connection: close\r\nContent-Length: 2\r\n", "hi"),
      {
        statusCode: 200,
        statusMessage: "OK",
        rawHeaders: ["Connection", "close", "Content-Length", "2"],
        reusable: false,
        body: "hi",
      },
    ],
    [
      "close as one token of a Connection list, in any case",
      "GET",
      ok("connection: keep-alive , CLOSE\r\nContent-Length: 2\r\n", "hi"),
      {
        statusCode: 200,
        statusMessage: "OK",
        rawHeaders: ["connection", "keep-alive , CLOSE", "Content-Length", "2"],
        reusable: false,
        body: "hi",
      },
    ],
    [
      "Connection: closed is not close",
      "GET",
      ok("Connection: closed\r\nContent-Length: 2\r\n", "hi"),
      {
        statusCode: 200,
        statusMessage: "OK",
        rawHeaders: ["Connection", "closed", "Content-Length", "2"],
        reusable: true,
        body: "hi",
      },
    ],
    // Content-Length.
    [
      "Content-Length: 0",
      "GET",
      ok("Content-Length: 0\r\n", ""),
      { statusCode: 200, statusMessage: "OK", rawHeaders: ["Content-Length", "0"], reusable: true, body: "" },
    ],
    [
      "a list of equal Content-Length values",
      "GET",
      ok("Content-Length: 3 ,3,  3\r\n", "abc"),
      {
        statusCode: 200,
        statusMessage: "OK",
        rawHeaders: ["Content-Length", "3 ,3,  3"],
        reusable: true,
        body: "abc",
      },
    ],
    [
      "two equal Content-Length fields",
      "GET",
      ok("Content-Length: 3\r\ncontent-length: 003\r\n", "abc"),
      {
        statusCode: 200,
        statusMessage: "OK",
        rawHeaders: ["Content-Length", "3", "content-length", "003"],
        reusable: true,
        body: "abc",
      },
    ],
    // No framing: until the app closes.
    [
      "no Content-Length nor Transfer-Encoding: read until close, not reusable",
      "GET",
      ok("X: y\r\n", "abc\r\n\r\nHTTP/1.1 200 OK\r\n"),
      {
        statusCode: 200,
        statusMessage: "OK",
        rawHeaders: ["X", "y"],
        reusable: false,
        body: "abc\r\n\r\nHTTP/1.1 200 OK\r\n",
        untilClose: true,
      },
    ],
    [
      "no framing and no bytes before the close: an empty body",
      "GET",
      ok("", ""),
      { statusCode: 200, statusMessage: "OK", rawHeaders: [], reusable: false, body: "", untilClose: true },
    ],
    // Chunked.
    [
      "a chunked body",
      "GET",
      ok(chunked, "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"),
      {
        statusCode: 200,
        statusMessage: "OK",
        rawHeaders: ["Transfer-Encoding", "chunked"],
        reusable: true,
        body: "hello world",
      },
    ],
    [
      "chunk sizes in upper and lower case hex, with leading zeros",
      "GET",
      ok(chunked, "A\r\n0123456789\r\nb\r\nabcdefghijk\r\n0001\r\n!\r\n000\r\n\r\n"),
      {
        statusCode: 200,
        statusMessage: "OK",
        rawHeaders: ["Transfer-Encoding", "chunked"],
        reusable: true,
        body: "0123456789abcdefghijk!",
      },
    ],
    [
      "an empty chunked body",
      "GET",
      ok(chunked, "0\r\n\r\n"),
      {
        statusCode: 200,
        statusMessage: "OK",
        rawHeaders: ["Transfer-Encoding", "chunked"],
        reusable: true,
        body: "",
      },
    ],
    [
      "chunk extensions ignored, whitespace before them too",
      "GET",
      ok(chunked, '5;name=value;flag\r\nhello\r\n1 \t;q="a b"\r\n!\r\n0;last\r\n\r\n'),
      {
        statusCode: 200,
        statusMessage: "OK",
        rawHeaders: ["Transfer-Encoding", "chunked"],
        reusable: true,
        body: "hello!",
      },
    ],
    [
      "trailers read and dropped (not in rawHeaders)",
      "GET",
      ok(chunked, "5\r\nhello\r\n0\r\nX-Checksum: abc\r\nX-Other:\r\n\r\n"),
      {
        statusCode: 200,
        statusMessage: "OK",
        rawHeaders: ["Transfer-Encoding", "chunked"],
        reusable: true,
        body: "hello",
      },
    ],
    [
      "chunk data holding CRLF and what looks like a chunk size",
      "GET",
      ok(chunked, "7\r\n\r\n0\r\n\r\n\r\n0\r\n\r\n"),
      {
        statusCode: 200,
        statusMessage: "OK",
        rawHeaders: ["Transfer-Encoding", "chunked"],
        reusable: true,
        body: "\r\n0\r\n\r\n",
      },
    ],
    // Transfer-Encoding against Content-Length, and codings.
    [
      "Transfer-Encoding: gzip, chunked is chunked (the body left coded)",
      "GET",
      ok("Transfer-Encoding: gzip, chunked\r\n", "2\r\n\x1f\x8b\r\n0\r\n\r\n"),
      {
        statusCode: 200,
        statusMessage: "OK",
        rawHeaders: ["Transfer-Encoding", "gzip, chunked"],
        reusable: true,
        body: "\x1f\x8b",
      },
    ],
    [
      "codings over two Transfer-Encoding fields, chunked last, in any case",
      "GET",
      ok("Transfer-Encoding: gzip\r\ntransfer-encoding: CHUNKED\r\n", "2\r\nok\r\n0\r\n\r\n"),
      {
        statusCode: 200,
        statusMessage: "OK",
        rawHeaders: ["Transfer-Encoding", "gzip", "transfer-encoding", "CHUNKED"],
        reusable: true,
        body: "ok",
      },
    ],
    [
      "Transfer-Encoding: gzip (chunked not last): read until close, not reusable",
      "GET",
      ok("Transfer-Encoding: gzip\r\n", "2\r\nok\r\n0\r\n\r\n"),
      {
        statusCode: 200,
        statusMessage: "OK",
        rawHeaders: ["Transfer-Encoding", "gzip"],
        reusable: false,
        body: "2\r\nok\r\n0\r\n\r\n",
        untilClose: true,
      },
    ],
    [
      "chunked with Connection: close is not reusable",
      "GET",
      ok("Transfer-Encoding: chunked\r\nConnection: close\r\n", "0\r\n\r\n"),
      {
        statusCode: 200,
        statusMessage: "OK",
        rawHeaders: ["Transfer-Encoding", "chunked", "Connection", "close"],
        reusable: false,
        body: "",
      },
    ],
    // No body, whatever the fields say.
    [
      "a response to HEAD with Content-Length: 5 has no body",
      "HEAD",
      ok("Content-Length: 5\r\n", ""),
      { statusCode: 200, statusMessage: "OK", rawHeaders: ["Content-Length", "5"], reusable: true, body: "" },
    ],
    [
      "a response to HEAD with Transfer-Encoding: chunked has no body",
      "HEAD",
      ok(chunked, ""),
      {
        statusCode: 200,
        statusMessage: "OK",
        rawHeaders: ["Transfer-Encoding", "chunked"],
        reusable: true,
        body: "",
      },
    ],
    [
      "a 204 with Content-Length: 5 has no body",
      "GET",
      "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n",
      {
        statusCode: 204,
        statusMessage: "No Content",
        rawHeaders: ["Content-Length", "5"],
        reusable: true,
        body: "",
      },
    ],
    [
      "a 304 with Content-Length: 5 has no body",
      "GET",
      'HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\nETag: "x"\r\n\r\n',
      {
        statusCode: 304,
        statusMessage: "Not Modified",
        rawHeaders: ["Content-Length", "5", "ETag", '"x"'],
        reusable: true,
        body: "",
      },
    ],
    [
      "a 304 with Transfer-Encoding: chunked has no body",
      "GET",
      "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n",
      {
        statusCode: 304,
        statusMessage: "Not Modified",
        rawHeaders: ["Transfer-Encoding", "chunked"],
        reusable: true,
        body: "",
      },
    ],
    // Interim responses.
    [
      "100 Continue, then the 200",
      "POST",
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
      {
        statusCode: 200,
        statusMessage: "OK",
        rawHeaders: ["Content-Length", "2"],
        reusable: true,
        body: "ok",
      },
    ],
    [
      "103 Early Hints with fields, then 100, then the 200 (interim fields dropped)",
      "GET",
      "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 100 Continue\r\nContent-Length: 9\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
      {
        statusCode: 200,
        statusMessage: "OK",
        rawHeaders: ["Content-Length", "2"],
        reusable: true,
        body: "ok",
      },
    ],
    [
      "a 101: no body, not reusable, the new protocol's bytes left over",
      "GET",
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x05hello",
      {
        statusCode: 101,
        statusMessage: "Switching Protocols",
        rawHeaders: ["Upgrade", "websocket", "Connection", "Upgrade"],
        reusable: false,
        body: "",
        leftover: "\x81\x05hello",
      },
    ],
    [
      "a 101 even with Content-Length: nothing taken as body",
      "GET",
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nContent-Length: 3\r\n\r\nabcdef",
      {
        statusCode: 101,
        statusMessage: "Switching Protocols",
        rawHeaders: ["Upgrade", "x", "Content-Length", "3"],
        reusable: false,
        body: "",
        leftover: "abcdef",
      },
    ],
    // Leftover bytes.
    [
      "bytes after a Content-Length body",
      "GET",
      ok("Content-Length: 2\r\n", "okEXTRA"),
      {
        statusCode: 200,
        statusMessage: "OK",
        rawHeaders: ["Content-Length", "2"],
        reusable: true,
        body: "ok",
        leftover: "EXTRA",
      },
    ],
    [
      "bytes after a chunked body's last CRLF",
      "GET",
      ok(chunked, "2\r\nok\r\n0\r\nT: v\r\n\r\nEXTRA"),
      {
        statusCode: 200,
        statusMessage: "OK",
        rawHeaders: ["Transfer-Encoding", "chunked"],
        reusable: true,
        body: "ok",
        leftover: "EXTRA",
      },
    ],
    [
      "bytes after a response to HEAD",
      "HEAD",
      ok("Content-Length: 5\r\n", "hello"),
      {
        statusCode: 200,
        statusMessage: "OK",
        rawHeaders: ["Content-Length", "5"],
        reusable: true,
        body: "",
        leftover: "hello",
      },
    ],
  ];

  for (const [name, method, input, expected] of table) {
    it(`${name} (one chunk)`, () => check(run(method, input, "whole"), expected));
    it(`${name} (one byte at a time)`, () => check(run(method, input, "bytes"), expected));
  }
});

describe("ResponseReader: splitting", () => {
  const response = ok(
    "Transfer-Encoding: chunked\r\nX-A: b\r\n",
    "5;e=1\r\nhello\r\n1\r\n \r\n10\r\n0123456789abcdef\r\n0\r\nTrailer: x\r\n\r\nNEXT",
  );
  const expected: Expected = {
    statusCode: 200,
    statusMessage: "OK",
    rawHeaders: ["Transfer-Encoding", "chunked", "X-A", "b"],
    reusable: true,
    body: "hello 0123456789abcdef",
    leftover: "NEXT",
  };

  it("gives the same result for a chunked response cut in two at every offset", () => {
    for (let at = 0; at <= response.length; at++) check(run("GET", response, [at]), expected);
  });

  it("gives the same result for a chunked response cut in three at every pair of offsets", () => {
    for (let a = 1; a < response.length; a++)
      for (let b = a; b < response.length; b += 3) check(run("GET", response, [a, b]), expected);
  });

  it("returns what follows the response once, then every later chunk whole", () => {
    const leftovers: (Buffer | undefined)[] = [];
    const reader = new ResponseReader("GET", { head: () => {}, body: () => {}, end: () => {} });
    leftovers.push(reader.read(bytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n")));
    leftovers.push(reader.read(bytes("o")));
    leftovers.push(reader.read(bytes("kAB")));
    leftovers.push(reader.read(bytes("CD")));
    assert.deepEqual(
      leftovers.map((rest) => rest?.toString("latin1")),
      [undefined, undefined, "AB", "CD"],
    );
    assert.equal(reader.done, true);
  });

  it("reads two pipelined responses: the first returns the second's bytes, which a new reader reads", () => {
    const second = "HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\nConnection: close\r\n\r\nnope";
    const input = ok(chunked, "3\r\none\r\n0\r\n\r\n") + second;
    for (const split of ["whole", "bytes"] as const) {
      const first = run("GET", input, split);
      check(first, {
        statusCode: 200,
        statusMessage: "OK",
        rawHeaders: ["Transfer-Encoding", "chunked"],
        reusable: true,
        body: "one",
        leftover: second,
      });
      check(run("GET", first.leftover ?? "", split), {
        statusCode: 404,
        statusMessage: "Not Found",
        rawHeaders: ["Content-Length", "4", "Connection", "close"],
        reusable: false,
        body: "nope",
      });
    }
  });

  it("hands the body as it comes, before the response has ended", () => {
    const seen: string[] = [];
    const reader = new ResponseReader("GET", {
      head: (head) => seen.push(`head ${head.statusCode}`),
      body: (chunk) => seen.push(`body ${chunk.toString("latin1")}`),
      end: () => seen.push("end"),
    });
    assert.equal(reader.headRead, false);
    assert.equal(reader.read(bytes("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nabc")), undefined);
    assert.equal(reader.headRead, true);
    assert.equal(reader.done, false);
    assert.deepEqual(seen, ["head 200", "body abc"]);
    assert.equal(reader.read(bytes("def")), undefined);
    assert.deepEqual(seen, ["head 200", "body abc", "body def", "end"]);
    assert.equal(reader.done, true);
  });
});

describe("ResponseReader: a response cut short", () => {
  const table: readonly (readonly [string, string, boolean])[] = [
    ["no bytes at all", "", false],
    ["part of the status line", "HTTP/1.1 20", false],
    ["a head without its empty line", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n", false],
    ["only a 100 Continue", "HTTP/1.1 100 Continue\r\n\r\n", false],
    ["a Content-Length body short of its length", ok("Content-Length: 5\r\n", "hell"), true],
    ["a chunked body in the middle of a chunk", ok(chunked, "5\r\nhel"), true],
    ["a chunked body before its last chunk", ok(chunked, "5\r\nhello\r\n"), true],
    ["a chunked body in its trailer section", ok(chunked, "0\r\nX: y\r\n"), true],
    ["a chunked body missing its final CRLF", ok(chunked, "0\r\n"), true],
  ];
  for (const [name, input, headRead] of table) {
    it(`${name}: readEnd() is false and the body never ends`, () => {
      for (const split of ["whole", "bytes"] as const) {
        let ended = false;
        const reader = new ResponseReader("GET", {
          head: () => {},
          body: () => {},
          end: () => (ended = true),
        });
        for (const piece of pieces(bytes(input), split)) assert.equal(reader.read(piece), undefined);
        assert.equal(reader.headRead, headRead);
        assert.equal(reader.readEnd(), false);
        assert.equal(reader.done, false);
        assert.equal(ended, false);
      }
    });
  }
});

describe("ResponseReader: refusals", () => {
  const notHttp = "the response does not start with HTTP/";
  const statusLine = "the status line is not HTTP/1.x";
  const fieldInvalid = "a header field has an invalid name or value";
  const noColon = "a header line has no colon";
  const folded = "a header line is folded (obs-fold)";
  const notLength = "Content-Length is not a number of bytes";
  const twoLengths = "the response has two different Content-Length values";
  const notHex = "the chunked body is malformed: a chunk size is not hexadecimal digits";
  const noCrlf = "the chunked body is malformed: no CRLF after a chunk's data";
  const badTrailer = "the chunked body is malformed: a trailer field is malformed";
  const table: readonly (readonly [string, string, ResponseSyntaxCode, string])[] = [
    ["HTML instead of a response", "<html>", "STATUS_LINE_INVALID", notHttp],
    ["a lower-case http/", "http/1.1 200 OK\r\n\r\n", "STATUS_LINE_INVALID", notHttp],
    ["HTTPS/ (wrong from the fifth byte)", "HTTPS/1.1 200 OK\r\n\r\n", "STATUS_LINE_INVALID", notHttp],
    ["a leading CRLF", "\r\nHTTP/1.1 200 OK\r\n\r\n", "STATUS_LINE_INVALID", notHttp],
    ["HTTP/2", "HTTP/2 200 OK\r\nContent-Length: 0\r\n\r\n", "STATUS_LINE_INVALID", statusLine],
    ["HTTP/1.2", "HTTP/1.2 200 OK\r\nContent-Length: 0\r\n\r\n", "STATUS_LINE_INVALID", statusLine],
    ["a two-digit status", "HTTP/1.1 20 OK\r\n\r\n", "STATUS_LINE_INVALID", statusLine],
    ["a four-digit status", "HTTP/1.1 2000 OK\r\n\r\n", "STATUS_LINE_INVALID", statusLine],
    ["a status starting with 0", "HTTP/1.1 099 OK\r\n\r\n", "STATUS_LINE_INVALID", statusLine],
    ["two spaces before the status", "HTTP/1.1  200 OK\r\n\r\n", "STATUS_LINE_INVALID", statusLine],
    ["a tab instead of the space", "HTTP/1.1\t200 OK\r\n\r\n", "STATUS_LINE_INVALID", statusLine],
    ["a NUL in the reason", "HTTP/1.1 200 O\x00K\r\n\r\n", "STATUS_LINE_INVALID", statusLine],
    ["a DEL in the reason", "HTTP/1.1 200 O\x7fK\r\n\r\n", "STATUS_LINE_INVALID", statusLine],
    [
      "a bare LF ending the status line",
      "HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n",
      "STATUS_LINE_INVALID",
      statusLine,
    ],
    ["a bare CR in the reason", "HTTP/1.1 200 O\rK\r\n\r\n", "STATUS_LINE_INVALID", statusLine],
    ["obs-fold", ok("X-A: a\r\n b\r\n", ""), "HEADER_LINE_INVALID", folded],
    ["obs-fold with a tab", ok("X-A: a\r\n\tb\r\n", ""), "HEADER_LINE_INVALID", folded],
    ["a space before the colon", ok("X-A : a\r\n", ""), "HEADER_LINE_INVALID", fieldInvalid],
    ["a tab before the colon", ok("X-A\t: a\r\n", ""), "HEADER_LINE_INVALID", fieldInvalid],
    ["a line without a colon", ok("X-A a\r\n", ""), "HEADER_LINE_INVALID", noColon],
    ["an empty name", ok(": a\r\n", ""), "HEADER_LINE_INVALID", fieldInvalid],
    ["a separator in the name", ok("X(A): a\r\n", ""), "HEADER_LINE_INVALID", fieldInvalid],
    ["a non-ASCII name", ok("X-\xc4: a\r\n", ""), "HEADER_LINE_INVALID", fieldInvalid],
    ["a control character in a value", ok("X-A: a\x01b\r\n", ""), "HEADER_LINE_INVALID", fieldInvalid],
    ["a NUL in a value", ok("X-A: a\x00b\r\n", ""), "HEADER_LINE_INVALID", fieldInvalid],
    ["a DEL in a value", ok("X-A: a\x7fb\r\n", ""), "HEADER_LINE_INVALID", fieldInvalid],
    ["a bare CR in a value", ok("X-A: a\rb\r\n", ""), "HEADER_LINE_INVALID", fieldInvalid],
    [
      "a bare LF between fields (two fields on one CRLF line)",
      ok("X-A: a\nContent-Length: 0\r\n", ""),
      "HEADER_LINE_INVALID",
      fieldInvalid,
    ],
    [
      "a malformed field in a 100 Continue",
      "HTTP/1.1 100 Continue\r\nX-A a\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
      "HEADER_LINE_INVALID",
      noColon,
    ],
    [
      "a malformed field in a 204 (read although there is no body)",
      "HTTP/1.1 204 No Content\r\nX-A : a\r\n\r\n",
      "HEADER_LINE_INVALID",
      fieldInvalid,
    ],
    ["Content-Length: abc", ok("Content-Length: abc\r\n", ""), "CONTENT_LENGTH_INVALID", notLength],
    // RFC 9112 §6.3: both framings in one message is a smuggling attempt, refused as llhttp does.
    [
      "Content-Length with Transfer-Encoding: chunked",
      ok("Content-Length: 100\r\nTransfer-Encoding: chunked\r\n", "2\r\nok\r\n0\r\n\r\n"),
      "CONTENT_LENGTH_INVALID",
      "the response has both Transfer-Encoding and Content-Length",
    ],
    [
      "Transfer-Encoding: chunked, gzip with Content-Length",
      ok("Transfer-Encoding: chunked, gzip\r\nContent-Length: 1\r\n", "abc"),
      "CONTENT_LENGTH_INVALID",
      "the response has both Transfer-Encoding and Content-Length",
    ],
    ["Content-Length: -1", ok("Content-Length: -1\r\n", ""), "CONTENT_LENGTH_INVALID", notLength],
    ["Content-Length: +1", ok("Content-Length: +1\r\n", ""), "CONTENT_LENGTH_INVALID", notLength],
    ["Content-Length: 0x5", ok("Content-Length: 0x5\r\n", ""), "CONTENT_LENGTH_INVALID", notLength],
    ["Content-Length: 1.0", ok("Content-Length: 1.0\r\n", ""), "CONTENT_LENGTH_INVALID", notLength],
    ["an empty Content-Length", ok("Content-Length:\r\n", ""), "CONTENT_LENGTH_INVALID", notLength],
    ["Content-Length: 5 5", ok("Content-Length: 5 5\r\n", ""), "CONTENT_LENGTH_INVALID", notLength],
    ["Content-Length: 5,,5", ok("Content-Length: 5,,5\r\n", ""), "CONTENT_LENGTH_INVALID", notLength],
    [
      "a 16-digit Content-Length",
      ok("Content-Length: 1000000000000000\r\n", ""),
      "CONTENT_LENGTH_INVALID",
      notLength,
    ],
    [
      "a list of different Content-Length values",
      ok("Content-Length: 5, 6\r\n", ""),
      "CONTENT_LENGTH_INVALID",
      twoLengths,
    ],
    [
      "two Content-Length fields that differ",
      ok("Content-Length: 5\r\nContent-Length: 6\r\n", ""),
      "CONTENT_LENGTH_INVALID",
      twoLengths,
    ],
    [
      "an invalid Content-Length beside Transfer-Encoding",
      ok("Transfer-Encoding: chunked\r\nContent-Length: x\r\n", "0\r\n\r\n"),
      "CONTENT_LENGTH_INVALID",
      notLength,
    ],
    ["a chunk size that is not hex", ok(chunked, "g\r\n"), "CHUNK_INVALID", notHex],
    ["a 0x chunk size", ok(chunked, "0x5\r\nhello\r\n0\r\n\r\n"), "CHUNK_INVALID", notHex],
    ["a negative chunk size", ok(chunked, "-1\r\n"), "CHUNK_INVALID", notHex],
    ["an empty chunk-size line", ok(chunked, "\r\n"), "CHUNK_INVALID", notHex],
    ["whitespace before a chunk size", ok(chunked, " 5\r\nhello\r\n0\r\n\r\n"), "CHUNK_INVALID", notHex],
    ["a 14-digit chunk size", ok(chunked, "00000000000005\r\nhello\r\n0\r\n\r\n"), "CHUNK_INVALID", notHex],
    ["a chunk size ended by a bare LF", ok(chunked, "5\nhello\r\n0\r\n\r\n"), "CHUNK_INVALID", notHex],
    ["a control character in an extension", ok(chunked, "5;a=\x01\r\nhello\r\n"), "CHUNK_INVALID", notHex],
    ["a chunk longer than its size", ok(chunked, "5\r\nhelloX\r\n0\r\n\r\n"), "CHUNK_INVALID", noCrlf],
    ["a bare LF after a chunk's data", ok(chunked, "5\r\nhello\n0\r\n\r\n"), "CHUNK_INVALID", noCrlf],
    ["LF CR after a chunk's data", ok(chunked, "5\r\nhello\n\r0\r\n\r\n"), "CHUNK_INVALID", noCrlf],
    ["a trailer without a colon", ok(chunked, "0\r\nX-A a\r\n\r\n"), "CHUNK_INVALID", badTrailer],
    ["a folded trailer", ok(chunked, "0\r\nX-A: a\r\n b\r\n\r\n"), "CHUNK_INVALID", badTrailer],
    ["a space before a trailer's colon", ok(chunked, "0\r\nX-A : a\r\n\r\n"), "CHUNK_INVALID", badTrailer],
    ["a control character in a trailer", ok(chunked, "0\r\nX-A: \x01\r\n\r\n"), "CHUNK_INVALID", badTrailer],
    [
      "a chunk-size line over 4096 bytes",
      ok(chunked, `1;${"e".repeat(5000)}\r\nx\r\n0\r\n\r\n`),
      "CHUNK_INVALID",
      "the chunked body is malformed: a chunk-size line is longer than 4096 bytes",
    ],
  ];

  for (const [name, input, code, message] of table) {
    it(`refuses ${name}: ${code}`, () => {
      assert.deepEqual(readError("GET", input), { code, message });
    });
  }

  it("throws the ResponseSyntaxError class (for instanceof checks)", () => {
    assert.throws(() => run("GET", "nope"), ResponseSyntaxError);
  });

  it("refuses a not-HTTP response at its first byte, before a complete line", () => {
    const reader = new ResponseReader("GET", { head: () => {}, body: () => {}, end: () => {} });
    assert.equal(reader.read(bytes("HTT")), undefined);
    assert.throws(() => reader.read(bytes("X")), { code: "STATUS_LINE_INVALID", message: notHttp });
  });
});

describe("ResponseReader: the head's size limit", () => {
  /** A head of exactly `size` bytes, CRLF CRLF included, and a body of two bytes. */
  const headOf = (size: number): string => {
    const start = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Pad: ";
    return `${start}${"p".repeat(size - start.length - 4)}\r\n\r\nok`;
  };

  for (const [limits, size] of [
    [{ maxHeadBytes: 100 }, 100],
    [undefined, 16 * 1024],
  ] as const) {
    it(`accepts a head of exactly ${size} bytes (limit ${size})`, () => {
      for (const split of ["whole", "bytes"] as const) {
        const outcome = run("GET", headOf(size), split, limits);
        check(outcome, {
          statusCode: 200,
          statusMessage: "OK",
          rawHeaders: ["Content-Length", "2", "X-Pad", "p".repeat(size - 47)],
          reusable: true,
          body: "ok",
        });
      }
    });

    it(`refuses a head of ${size + 1} bytes (limit ${size}): HEAD_TOO_LARGE`, () => {
      assert.deepEqual(readError("GET", headOf(size + 1), limits), {
        code: "HEAD_TOO_LARGE",
        message: `the response head is larger than ${size} bytes`,
      });
    });
  }

  it("refuses a head that never ends once it is over the limit, before its end", () => {
    const reader = new ResponseReader(
      "GET",
      { head: () => {}, body: () => {}, end: () => {} },
      { maxHeadBytes: 64 },
    );
    assert.equal(reader.read(bytes(`HTTP/1.1 200 OK\r\nX: ${"a".repeat(44)}`)), undefined);
    assert.throws(() => reader.read(bytes("a")), {
      code: "HEAD_TOO_LARGE",
      message: "the response head is larger than 64 bytes",
    });
  });

  it("counts each interim response's head on its own", () => {
    const interim = `HTTP/1.1 103 Early Hints\r\nLink: ${"l".repeat(40)}\r\n\r\n`;
    assert.ok(interim.length <= 80 && interim.length * 2 > 80, String(interim.length));
    const outcome = run("GET", `${interim}${interim}${headOf(80)}`, "whole", { maxHeadBytes: 80 });
    assert.equal(outcome.heads[0]?.statusCode, 200);
    assert.equal(outcome.body, "ok");
  });

  it("refuses a trailer section over the limit", () => {
    assert.deepEqual(
      readError("GET", ok(chunked, `0\r\nX: ${"t".repeat(200)}\r\n\r\n`), { maxHeadBytes: 100 }),
      {
        code: "CHUNK_INVALID",
        message: "the chunked body is malformed: the trailer section is longer than 100 bytes",
      },
    );
  });

  it("accepts a chunk-size line of exactly 4096 bytes, in one chunk and split before its LF", () => {
    // Fails today: read without its LF, the line and its CR (4097 bytes kept) are taken for a
    // line longer than the limit, though the same line in one chunk is accepted.
    const line = `1;${"e".repeat(4094)}`;
    assert.equal(line.length, 4096);
    const input = ok(chunked, `${line}\r\nx\r\n0\r\n\r\n`);
    const expected: Expected = {
      statusCode: 200,
      statusMessage: "OK",
      rawHeaders: ["Transfer-Encoding", "chunked"],
      reusable: true,
      body: "x",
    };
    check(run("GET", input, "whole"), expected);
    const crAt = input.indexOf(`${line}\r\n`) + line.length + 1;
    check(run("GET", input, [crAt]), expected);
  });

  it("names the limit when a trailer line fills the trailer section (not a negative number)", () => {
    // 99 bytes of trailer line and its CRLF fill 101 of the 100 bytes: refused, and said so.
    const trailer = `X: ${"t".repeat(96)}`;
    assert.equal(trailer.length, 99);
    assert.deepEqual(readError("GET", ok(chunked, `0\r\n${trailer}\r\n\r\n`), { maxHeadBytes: 100 }), {
      code: "CHUNK_INVALID",
      message: "the chunked body is malformed: the trailer section is longer than 100 bytes",
    });
  });
});

describe("ResponseReader: reuse of responses without a body", () => {
  // RFC 9112 §6.3: a response to HEAD, a 204 and a 304 end with their head; nothing in the
  // message leaves where they end uncertain, so the connection may carry the next request.
  const table: readonly (readonly [string, string, string])[] = [
    ["a 204 without Content-Length", "GET", "HTTP/1.1 204 No Content\r\nDate: x\r\n\r\n"],
    ["a 304 without Content-Length", "GET", 'HTTP/1.1 304 Not Modified\r\nETag: "e"\r\n\r\n'],
    ["a response to HEAD without Content-Length", "HEAD", "HTTP/1.1 200 OK\r\nDate: x\r\n\r\n"],
  ];
  for (const [name, method, input] of table) {
    it(`${name} is reusable`, () => {
      const outcome = run(method, input);
      assert.equal(outcome.done, true);
      assert.equal(outcome.heads[0]?.reusable, true);
    });
  }
});
