import assert from "node:assert/strict";
import { once } from "node:events";
import http from "node:http";
import net from "node:net";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import {
  ResponseReader,
  ResponseSyntaxError,
  type ResponseHead,
  type ResponseLimits,
} from "../../../../proxy/upstream/response-reader.js";
import { propertyRuns } from "../../../helpers/hostile-properties.js";

/*
 * Property-based tests of the response reader: any valid response, cut anywhere, reads back as
 * the fields and body it was made of; any bytes at all give a result or a ResponseSyntaxError
 * (the same whatever the cuts); and node:http's own parser (llhttp) reads valid responses alike.
 */

// --- Valid responses -------------------------------------------------------------------------

const TOKEN_CHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
/** Field-value characters: HTAB, visible ASCII, SP and obs-text (RFC 9110 §5.5). */
const VALUE_CHARS = ["\t", ...Array.from({ length: 0x5f }, (_, i) => String.fromCharCode(0x20 + i))];
const OBS_TEXT = Array.from({ length: 0x80 }, (_, i) => String.fromCharCode(0x80 + i));
// Fields the reader frames or reuses by: generated on purpose below, never at random.
const FRAMING_NAMES = new Set(["content-length", "transfer-encoding", "connection", "keep-alive"]);

const token = (maxLength: number): fc.Arbitrary<string> =>
  fc.string({ unit: fc.constantFrom(...TOKEN_CHARS), minLength: 1, maxLength });
const fieldName = token(20).filter((name) => !FRAMING_NAMES.has(name.toLowerCase()));
/** A value as a reader gives it back: no whitespace at either end. */
const fieldValue = (obsText: boolean): fc.Arbitrary<string> =>
  fc
    .string({ unit: fc.constantFrom(...VALUE_CHARS, ...(obsText ? OBS_TEXT : [])), maxLength: 40 })
    .map((value) => value.replace(/^[\t ]+|[\t ]+$/g, ""));
const fields = (obsText: boolean): fc.Arbitrary<[string, string][]> =>
  fc.array(fc.tuple(fieldName, fieldValue(obsText)), { maxLength: 8 });

interface Response {
  readonly version: "1.0" | "1.1";
  readonly statusCode: number;
  readonly statusMessage: string;
  /** The generated fields, before the framing ones. */
  readonly fields: [string, string][];
  readonly close: boolean;
  readonly keepAlive: number | undefined;
  readonly body: Buffer;
  readonly framing:
    | { kind: "length" }
    | {
        kind: "chunked";
        /** Where the body is cut into chunks. */
        cuts: number[];
        /** Each chunk's extension (and the last chunk's), "" for none. */
        extensions: string[];
        upperHex: boolean;
        zeros: number;
        trailers: [string, string][];
      };
}

const extension = fc.oneof(
  fc.constant(""),
  fc
    .tuple(token(8), fc.option(token(8), { nil: undefined }))
    .map(([n, v]) => `;${n}${v === undefined ? "" : `=${v}`}`),
  fc.constant(';q="a b;c"'),
);

const response = (obsText: boolean): fc.Arbitrary<Response> =>
  fc
    .record({
      version: fc.constantFrom("1.0" as const, "1.1" as const),
      statusCode: fc.integer({ min: 200, max: 599 }).filter((code) => code !== 204 && code !== 304),
      statusMessage: fc.string({
        unit: fc.constantFrom(...VALUE_CHARS.filter((c) => c !== "\t"), ...(obsText ? OBS_TEXT : [])),
        maxLength: 30,
      }),
      fields: fields(obsText),
      close: fc.boolean(),
      keepAlive: fc.option(fc.integer({ min: 0, max: 999_999 }), { nil: undefined }),
      body: fc.uint8Array({ maxLength: 400 }).map((bytes) => Buffer.from(bytes)),
      chunked: fc.boolean(),
      cuts: fc.array(fc.nat(400), { maxLength: 8 }),
      extensions: fc.array(extension, { minLength: 10, maxLength: 10 }),
      upperHex: fc.boolean(),
      zeros: fc.nat(3),
      trailers: fields(obsText),
    })
    .map((r) => ({
      version: r.version,
      statusCode: r.statusCode,
      statusMessage: r.statusMessage,
      fields: r.fields,
      close: r.close,
      keepAlive: r.keepAlive,
      body: r.body,
      framing: r.chunked
        ? {
            kind: "chunked" as const,
            cuts: [...new Set(r.cuts.filter((cut) => cut > 0 && cut < r.body.length))].sort((a, b) => a - b),
            extensions: r.extensions,
            upperHex: r.upperHex,
            zeros: r.zeros,
            trailers: r.trailers,
          }
        : { kind: "length" as const },
    }));

/** The field lines a response is sent with, framing ones included, as [name, value]. */
function headerFields(r: Response): [string, string][] {
  const all = [...r.fields];
  if (r.close) all.push(["Connection", "close"]);
  if (r.keepAlive !== undefined) all.push(["Keep-Alive", `timeout=${r.keepAlive}, max=10`]);
  all.push(
    r.framing.kind === "length"
      ? ["Content-Length", String(r.body.length)]
      : ["Transfer-Encoding", "chunked"],
  );
  return all;
}

function serialize(r: Response): Buffer {
  const head = `HTTP/${r.version} ${r.statusCode} ${r.statusMessage}\r\n${headerFields(r)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join("")}\r\n`;
  const parts: Buffer[] = [Buffer.from(head, "latin1")];
  if (r.framing.kind === "length") {
    parts.push(r.body);
  } else {
    const { cuts, extensions, upperHex, zeros, trailers } = r.framing;
    const ends = [...cuts, r.body.length];
    let start = 0;
    const size = (n: number): string => {
      const hex = `${"0".repeat(zeros)}${n.toString(16)}`;
      return upperHex ? hex.toUpperCase() : hex;
    };
    ends.forEach((end, i) => {
      if (end === start) return;
      parts.push(
        Buffer.from(`${size(end - start)}${extensions[i] ?? ""}\r\n`, "latin1"),
        r.body.subarray(start, end),
      );
      parts.push(Buffer.from("\r\n"));
      start = end;
    });
    const trailerLines = trailers.map(([name, value]) => `${name}: ${value}\r\n`).join("");
    parts.push(Buffer.from(`${size(0)}${extensions[9] ?? ""}\r\n${trailerLines}\r\n`, "latin1"));
  }
  return Buffer.concat(parts);
}

/** Cut points inside a buffer of `length` bytes, sorted. */
const cutsIn = (length: number): fc.Arbitrary<number[]> =>
  fc
    .array(fc.integer({ min: 0, max: Math.max(0, length) }), { maxLength: 12 })
    .map((cuts) => [...cuts].sort((a, b) => a - b));

function split(input: Buffer, cuts: readonly number[]): Buffer[] {
  const bounds = [0, ...cuts, input.length];
  return bounds.slice(1).map((end, i) => input.subarray(bounds[i], end));
}

// --- Reading ---------------------------------------------------------------------------------

interface Outcome {
  readonly heads: ResponseHead[];
  readonly body: Buffer;
  readonly events: string[];
  readonly leftover: Buffer | undefined;
  readonly done: boolean;
  readonly readEnd: boolean;
}

/** Reads the pieces in turn, then the close; a ResponseSyntaxError comes back as its code. */
function read(
  method: string,
  chunks: readonly Buffer[],
  limits?: ResponseLimits,
): Outcome | { error: string } {
  const heads: ResponseHead[] = [];
  const body: Buffer[] = [];
  const events: string[] = [];
  const reader = new ResponseReader(
    method,
    {
      head: (head) => {
        heads.push(head);
        events.push("head");
      },
      body: (chunk) => {
        body.push(Buffer.from(chunk));
        if (events.at(-1) !== "body") events.push("body");
      },
      end: () => events.push("end"),
    },
    limits,
  );
  const leftovers: Buffer[] = [];
  try {
    for (const chunk of chunks) {
      const rest = reader.read(chunk);
      if (rest !== undefined) leftovers.push(Buffer.from(rest));
    }
  } catch (error) {
    if (!(error instanceof ResponseSyntaxError)) throw error;
    assert.ok(!error.message.includes("\n"), error.message);
    assert.ok(
      [
        "STATUS_LINE_INVALID",
        "HEADER_LINE_INVALID",
        "HEAD_TOO_LARGE",
        "CONTENT_LENGTH_INVALID",
        "CHUNK_INVALID",
      ].includes(error.code),
      error.code,
    );
    return { error: error.code };
  }
  const done = reader.done;
  const readEnd = reader.readEnd();
  assert.equal(typeof readEnd, "boolean");
  // At most one head, and end only after it; nothing after end.
  assert.ok(heads.length <= 1);
  if (events.includes("end")) assert.equal(events.at(-1), "end");
  return {
    heads,
    body: Buffer.concat(body),
    events,
    leftover: leftovers.length === 0 ? undefined : Buffer.concat(leftovers),
    done,
    readEnd,
  };
}

const expectedRawHeaders = (r: Response): string[] => headerFields(r).flat();

describe("ResponseReader (property-based)", () => {
  it("reads back any valid response cut anywhere: the fields, the body, reuse, no leftover", () => {
    fc.assert(
      fc.property(
        response(true).chain((r) => fc.tuple(fc.constant(r), cutsIn(serialize(r).length))),
        ([r, cuts]) => {
          const input = serialize(r);
          const outcome = read("GET", split(input, cuts));
          assert.ok(!("error" in outcome), `refused: ${JSON.stringify(outcome)}`);
          assert.deepEqual(outcome.heads, [
            {
              statusCode: r.statusCode,
              statusMessage: r.statusMessage,
              rawHeaders: expectedRawHeaders(r),
              reusable: r.version === "1.1" && !r.close,
              keepAliveSeconds: r.keepAlive,
            },
          ]);
          assert.deepEqual(outcome.body, r.body);
          assert.deepEqual(outcome.events, r.body.length === 0 ? ["head", "end"] : ["head", "body", "end"]);
          assert.equal(outcome.leftover, undefined);
          assert.equal(outcome.done, true);
          assert.equal(outcome.readEnd, true);
        },
      ),
      propertyRuns(200),
    );
  });

  it("returns the bytes after a valid response, whatever the cuts", () => {
    fc.assert(
      fc.property(
        response(false),
        fc.uint8Array({ minLength: 1, maxLength: 50 }),
        fc.array(fc.nat(1000), { maxLength: 12 }),
        (r, after, rawCuts) => {
          const first = serialize(r);
          const input = Buffer.concat([first, after]);
          const cuts = rawCuts.map((cut) => cut % (input.length + 1)).sort((a, b) => a - b);
          const outcome = read("GET", split(input, cuts));
          assert.ok(!("error" in outcome));
          assert.deepEqual(outcome.body, r.body);
          assert.deepEqual(outcome.leftover, Buffer.from(after));
        },
      ),
      propertyRuns(200),
    );
  });

  // Bytes that look like HTTP/1.1, to get past the first line more often than random bytes do.
  const pieces = [
    "HTTP/1.1 200 OK\r\n",
    "HTTP/1.0 404 \r\n",
    "HTTP/1.1 100 Continue\r\n\r\n",
    "HTTP/1.1 101 Switching\r\n",
    "HTTP/1.1 204 No\r\n",
    "Content-Length: ",
    "Transfer-Encoding: chunked\r\n",
    "Transfer-Encoding: gzip\r\n",
    "Connection: close\r\n",
    "Keep-Alive: timeout=",
    "X: y\r\n",
    "0",
    "5",
    "a",
    "ffffffffffffff",
    ";e=1",
    "\r\n",
    "\r\n\r\n",
    "\r",
    "\n",
    " ",
    "\t",
    ":",
    ",",
    "\0",
    "\x7f",
    "\xff",
    "hello",
  ];
  const hostileBytes = fc.oneof(
    fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
    fc
      .array(fc.constantFrom(...pieces), { maxLength: 40 })
      .map((parts) => Buffer.from(parts.join(""), "latin1")),
    fc
      .tuple(fc.array(fc.constantFrom(...pieces), { maxLength: 40 }), fc.uint8Array({ maxLength: 40 }))
      .map(([parts, tail]) =>
        Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\n${parts.join("")}`, "latin1"), Buffer.from(tail)]),
      ),
    // A chunked body made of chunk-like pieces, right or wrong.
    fc
      .array(
        fc.constantFrom(
          "1\r\n",
          "2\r\n",
          "5\r\nhello\r\n",
          "0\r\n",
          "0\r\n\r\n",
          "a",
          "ab",
          "\r\n",
          "\r",
          "\n",
          ";x=1",
          " ",
          "X: y\r\n",
          "X y\r\n",
          "\0",
        ),
        { maxLength: 30 },
      )
      .map((parts) =>
        Buffer.from(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${parts.join("")}`, "latin1"),
      ),
    // A valid response with some of its bytes changed, removed or added.
    fc
      .tuple(
        response(false),
        fc.array(
          fc.tuple(fc.nat(), fc.constantFrom("set", "delete", "insert"), fc.integer({ min: 0, max: 255 })),
          {
            minLength: 1,
            maxLength: 4,
          },
        ),
      )
      .map(([r, edits]) => {
        const bytes = [...serialize(r)];
        for (const [at, kind, byte] of edits) {
          const i = at % (bytes.length + 1);
          if (kind === "insert") bytes.splice(i, 0, byte);
          else if (i < bytes.length) {
            if (kind === "set") bytes[i] = byte;
            else bytes.splice(i, 1);
          }
        }
        return Buffer.from(bytes);
      }),
  );
  const limits = fc.constantFrom<ResponseLimits | undefined>(
    undefined,
    { maxHeadBytes: 40 },
    { maxHeadBytes: 100 },
  );

  it("reads any bytes to a result or a ResponseSyntaxError, never anything else", { timeout: 60_000 }, () => {
    fc.assert(
      fc.property(
        fc.constantFrom("GET", "HEAD", "POST"),
        hostileBytes.chain((input) => fc.tuple(fc.constant(input), cutsIn(input.length))),
        limits,
        (method, [input, cuts], limit) => {
          read(method, split(input, cuts), limit);
        },
      ),
      propertyRuns(300),
    );
  });

  /** Cuts between a CR and the byte after it, where a line's end is split across reads. */
  const cutsAfterCr = (input: Buffer): fc.Arbitrary<number[]> => {
    const afterCr = [...input.keys()].filter((i) => i > 0 && input[i - 1] === 0x0d);
    return fc.subarray(afterCr, { maxLength: Math.min(12, afterCr.length) });
  };
  const validResponses = response(false).map(serialize);

  it("reads a chunk-size line near its 4096-byte limit the same in one chunk and cut at a line's CR", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 4090, max: 4100 }),
        fc.array(fc.boolean(), { minLength: 7, maxLength: 7 }),
        (length, cutAfter) => {
          // A chunk-size line of `length` bytes (CRLF not counted), between six other lines.
          const input = Buffer.from(
            `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;${"e".repeat(length - 2)}\r\nx\r\n0\r\n\r\n`,
            "latin1",
          );
          const afterCr = [...input.keys()].filter((i) => i > 0 && input[i - 1] === 0x0d);
          const cuts = afterCr.filter((_, i) => cutAfter[i] === true);
          assert.deepEqual(read("GET", split(input, cuts)), read("GET", [input]));
        },
      ),
      propertyRuns(100),
    );
  });

  it("reads any bytes the same in one chunk and cut anywhere (same head, body, leftover or error)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("GET", "HEAD"),
        fc
          .oneof(hostileBytes, validResponses)
          .chain((input) =>
            fc.tuple(
              fc.constant(input),
              fc.oneof(cutsIn(input.length), cutsAfterCr(input)),
              fc.integer({ min: -3, max: 3 }),
            ),
          ),
        fc.constantFrom<ResponseLimits | undefined | "near">(undefined, { maxHeadBytes: 40 }, "near"),
        (method, [input, cuts, delta], limit) => {
          // "near": a head limit a few bytes either side of where the first head ends.
          const headEnd = input.indexOf("\r\n\r\n");
          const limits =
            limit === "near"
              ? { maxHeadBytes: Math.max(1, (headEnd < 0 ? 40 : headEnd + 4) + delta) }
              : limit;
          assert.deepEqual(read(method, split(input, cuts), limits), read(method, [input], limits));
        },
      ),
      propertyRuns(300),
    );
  });
});

// --- Against node:http -----------------------------------------------------------------------

describe("ResponseReader against node:http's parser (property-based)", () => {
  let server: net.Server;
  let port: number;
  /** What the server sends on its next connection. */
  let next: Buffer[] = [];

  before(async () => {
    server = net.createServer((socket) => {
      socket.on("error", () => {});
      // Answers once the request has come, in the pieces given, then closes.
      socket.once("data", () => {
        for (const piece of next) socket.write(piece);
        socket.end();
      });
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    port = (server.address() as AddressInfo).port;
  });

  after(async () => {
    server.close();
    await once(server, "close");
  });

  /** Status, reason, raw fields and body as node:http reads them. */
  async function nodeReads(
    chunks: Buffer[],
  ): Promise<{ statusCode: number; statusMessage: string; rawHeaders: string[]; body: Buffer }> {
    next = chunks;
    const request = http.get({ host: "127.0.0.1", port, path: "/", agent: false });
    const [res] = (await once(request, "response")) as [http.IncomingMessage];
    const body: Buffer[] = [];
    for await (const chunk of res) body.push(chunk as Buffer);
    return {
      statusCode: res.statusCode ?? 0,
      statusMessage: res.statusMessage ?? "",
      rawHeaders: res.rawHeaders,
      body: Buffer.concat(body),
    };
  }

  it("agrees with node:http on the status, the raw fields and the body", { timeout: 60_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(
        response(false).chain((r) => fc.tuple(fc.constant(r), cutsIn(serialize(r).length))),
        async ([r, cuts]) => {
          const chunks = split(serialize(r), cuts);
          const node = await nodeReads(chunks);
          const ours = read("GET", chunks);
          assert.ok(!("error" in ours), `refused: ${JSON.stringify(ours)}`);
          const head = ours.heads[0] as ResponseHead;
          assert.deepEqual(
            {
              statusCode: head.statusCode,
              statusMessage: head.statusMessage,
              rawHeaders: head.rawHeaders,
              body: ours.body,
            },
            node,
          );
        },
      ),
      propertyRuns(50),
    );
  });
});
