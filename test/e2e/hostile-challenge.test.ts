import assert from "node:assert/strict";
import net, { type AddressInfo, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { demoAccount } from "../../local-aws/demo-account.js";
import { httpRequest } from "../helpers/http-client.js";
import { reportCases } from "../helpers/hostile-client.js";
import { startLocalAws, type LocalAws } from "../helpers/local-aws.js";
import { startProxyProcess, type ProxyProcess } from "../helpers/proxy-process.js";

/*
 * A hostile app answers 401 with challenges the proxy must not trust: no or several
 * WWW-Authenticate fields, other schemes, bad realms, unterminated parameters, huge and non-ASCII
 * values, unsafe auth-paths, KMS key ids and encryption contexts that are not a JSON object of
 * strings. The proxy (a real process, with the demo user's credentials at the local AWS) either
 * relays an app's own non-IAM 401 unchanged or refuses with its own code; it makes no AWS call
 * for any of them, and serves the next request. Each row's expected answer is what the proxy does
 * today, checked against docs/protocol.md: the app is at fault, so the codes are 403
 * CHALLENGE_INVALID (and the other challenge codes) or 502 UPSTREAM_BAD_RESPONSE, never a 500.
 */

const suite = "hostile-challenge";
const { accountId } = demoAccount;
const realm = `realm="${accountId}"`;
const nonce = `nonce="${"N".repeat(40)}"`;

interface ChallengeRow {
  readonly name: string;
  /** The header lines of the app's 401 (each "Name: value", without CRLF), or the raw response bytes. */
  readonly head: readonly string[] | { readonly raw: string | Buffer };
  /** The proxy's answer: its own refusal, or the app's 401 relayed. */
  readonly expect: { readonly status: number; readonly code: string } | "relayed";
}

const invalid = { status: 403, code: "CHALLENGE_INVALID" };
const badResponse = { status: 502, code: "UPSTREAM_BAD_RESPONSE" };
const contextInvalid = { status: 403, code: "ENCRYPTION_CONTEXT_INVALID" };
const wa = (value: string): string => `WWW-Authenticate: ${value}`;
/** A KMS challenge (methods="kms") with the given key id and encryption-context header lines. */
const kms = (...lines: string[]): string[] => [wa(`IAM ${realm}, methods="kms"`), ...lines];
const keyId = `Iam-Auth-Kms-Key-Id: ${demoAccount.keys.demo.alias}`;
const context = (value: string): string => `Iam-Auth-Kms-Encryption-Context: ${value}`;
const b64 = (text: string): string => Buffer.from(text, "utf8").toString("base64");

const rows: readonly ChallengeRow[] = [
  // The app's own authentication, which is not the proxy's to answer.
  { name: "no WWW-Authenticate at all", head: [], expect: "relayed" },
  { name: "an empty WWW-Authenticate", head: [wa("")], expect: "relayed" },
  { name: "Basic", head: [wa('Basic realm="app"')], expect: "relayed" },
  { name: "Bearer with an error", head: [wa('Bearer error="invalid_token"')], expect: "relayed" },
  { name: "Negotiate", head: [wa("Negotiate")], expect: "relayed" },
  { name: "a scheme named IAMX", head: [wa(`IAMX ${realm}`)], expect: "relayed" },
  { name: "a scheme named XIAM", head: [wa(`XIAM ${realm}`)], expect: "relayed" },
  { name: "garbage that does not mention IAM", head: [wa('"",,,=,"')], expect: "relayed" },
  // The realm.
  { name: "IAM with no parameters", head: [wa("IAM")], expect: invalid },
  { name: "IAM with no realm", head: [wa(`IAM ${nonce}`)], expect: invalid },
  { name: "an empty realm", head: [wa('IAM realm=""')], expect: invalid },
  { name: "a realm of 11 digits", head: [wa('IAM realm="11112222333"')], expect: invalid },
  { name: "a realm of 13 digits", head: [wa('IAM realm="1111222233334"')], expect: invalid },
  { name: "a realm of letters", head: [wa('IAM realm="abcdefghijkl"')], expect: invalid },
  {
    name: "a realm of full-width digits (non-ASCII)",
    head: [wa('IAM realm="１１１１２２２２３３３３"')],
    expect: invalid,
  },
  { name: "a realm with a trailing space", head: [wa(`IAM realm="${accountId} "`)], expect: invalid },
  { name: "a realm with a newline escape", head: [wa(`IAM realm="${accountId}\\n"`)], expect: invalid },
  { name: "an unterminated realm", head: [wa(`IAM realm="${accountId}`)], expect: invalid },
  { name: "an unterminated later parameter", head: [wa(`IAM ${realm}, nonce="abc`)], expect: invalid },
  { name: "a parameter without a value", head: [wa(`IAM ${realm}, nonce=`)], expect: invalid },
  { name: "a lone backslash at the end", head: [wa(`IAM ${realm}, nonce="a\\`)], expect: invalid },
  {
    name: "a 12 KB realm (under Node's 16 KB head limit)",
    head: [wa(`IAM realm="${"1".repeat(12_000)}"`)],
    expect: invalid,
  },
  {
    name: "a 1 MB WWW-Authenticate value",
    head: [wa(`IAM realm="${"1".repeat(1_000_000)}"`)],
    expect: badResponse,
  },
  {
    name: "1,000 WWW-Authenticate fields",
    head: Array.from({ length: 1000 }, () => wa('Basic realm="x"')),
    expect: badResponse,
  },
  {
    name: "a control character in WWW-Authenticate",
    head: [wa(`IAM ${realm}, nonce="a\x01b"`)],
    expect: badResponse,
  },
  { name: "an obs-folded WWW-Authenticate", head: [wa(`IAM ${realm},`), `  ${nonce}`], expect: badResponse },
  // Several fields or challenges.
  {
    // The first IAM challenge is the one read (a KMS one here, by default, without a key id).
    name: "two IAM fields with different realms (the first is read)",
    head: [wa(`IAM ${realm}`), wa('IAM realm="444455556666"')],
    expect: { status: 403, code: "KMS_KEY_ID_MISSING" },
  },
  {
    name: "two IAM challenges in one field (the first is read)",
    head: [wa(`IAM ${realm}, IAM realm="444455556666"`)],
    expect: { status: 403, code: "KMS_KEY_ID_MISSING" },
  },
  {
    name: "Basic first, then a malformed IAM",
    head: [wa('Basic realm="x"'), wa("IAM realm=")],
    expect: invalid,
  },
  // Where the proof would go.
  ...[
    "//evil.example/auth",
    "http://evil.example/auth",
    "/a/../auth",
    "/%2e%2e/auth",
    "/%252e%252e/auth",
    "/auth?x=1",
    "/auth#x",
    "/a\\b",
    "/a%2Fb",
    "/a;b",
    "auth",
    "/é",
    "",
    `/${"a".repeat(1100)}`,
  ].map((path): ChallengeRow => ({
    name: `auth-path ${JSON.stringify(path.slice(0, 40))}`,
    head: [wa(`IAM ${realm}, ${nonce}, methods="sts", auth-path="${path.replace(/["\\]/g, "\\$&")}"`)],
    expect: invalid,
  })),
  // The STS method's parameters.
  {
    name: "methods names only an unknown method",
    head: [wa(`IAM ${realm}, methods="carrier-pigeon"`)],
    expect: { status: 403, code: "METHOD_NOT_OFFERED" },
  },
  {
    name: "an STS challenge for another server-id",
    head: [wa(`IAM ${realm}, methods="sts", server-id="evil.example", ${nonce}`)],
    expect: { status: 403, code: "SERVER_ID_MISMATCH" },
  },
  {
    name: "an STS challenge with no nonce",
    head: [wa(`IAM ${realm}, methods="sts", server-id="{host}"`)],
    expect: invalid,
  },
  {
    name: "an STS challenge with a nonce that is not one",
    head: [wa(`IAM ${realm}, methods="sts", server-id="{host}", nonce="short"`)],
    expect: invalid,
  },
  {
    name: "an STS challenge with a 300-character nonce",
    head: [wa(`IAM ${realm}, methods="sts", server-id="{host}", nonce="${"n".repeat(300)}"`)],
    expect: invalid,
  },
  // The KMS method's key id and encryption context.
  {
    name: "KMS with no key id",
    head: kms(context(b64("{}"))),
    expect: { status: 403, code: "KMS_KEY_ID_MISSING" },
  },
  {
    name: "KMS with no encryption context",
    head: kms(keyId),
    expect: { status: 403, code: "ENCRYPTION_CONTEXT_MISSING" },
  },
  {
    name: "an encryption context that is not base64",
    head: kms(keyId, context("not base64!")),
    expect: contextInvalid,
  },
  {
    name: "an encryption context of base64 junk",
    head: kms(keyId, context(Buffer.from([0xff, 0, 1]).toString("base64"))),
    expect: contextInvalid,
  },
  {
    name: "an encryption context that is a JSON array",
    head: kms(keyId, context(b64('["a"]'))),
    expect: contextInvalid,
  },
  {
    name: "an encryption context that is a JSON string",
    head: kms(keyId, context(b64('"a"'))),
    expect: contextInvalid,
  },
  {
    name: "an encryption context that is null",
    head: kms(keyId, context(b64("null"))),
    expect: contextInvalid,
  },
  {
    name: "an encryption context with a number value",
    head: kms(keyId, context(b64('{"a":1}'))),
    expect: contextInvalid,
  },
  {
    name: "an encryption context with a nested object",
    head: kms(keyId, context(b64('{"a":{"b":"c"}}'))),
    expect: contextInvalid,
  },
  {
    name: "an encryption context with a null value",
    head: kms(keyId, context(b64('{"a":null}'))),
    expect: contextInvalid,
  },
  {
    name: "an encryption context with the reserved key",
    head: kms(keyId, context(b64('{"iam-auth:server-id":"evil.example"}'))),
    expect: invalid,
  },
  {
    name: "an encryption context of truncated JSON",
    head: kms(keyId, context(b64('{"a":"b"'))),
    expect: contextInvalid,
  },
  {
    name: "an encryption context of URL-safe base64",
    head: kms(keyId, context(b64('{"a":"b??>"}').replace(/\+/g, "-").replace(/\//g, "_"))),
    expect: contextInvalid,
  },
  {
    name: "two encryption context fields",
    head: kms(keyId, context(b64('{"a":"b"}')), context(b64('{"a":"c"}'))),
    expect: invalid,
  },
  // Not HTTP, or not a 401 the proxy can read.
  {
    // Regression: a reason phrase Node will not relay crashed the proxy (its own 502 reused it).
    name: "a 401 whose reason phrase has control characters",
    head: { raw: "HTTP/1.1 401 \x01\x02\r\nContent-Length: 0\r\n\r\n" },
    expect: badResponse,
  },
  {
    name: "a 200 whose reason phrase has control characters",
    head: { raw: "HTTP/1.1 200 \x01\x02\r\nContent-Length: 0\r\n\r\n" },
    expect: badResponse,
  },
  {
    name: "a 401 whose status line is garbage",
    head: { raw: "HTTP/1.1 401 \x00\x01\r\n\r\n" },
    expect: badResponse,
  },
  {
    name: "a 401 with both Content-Length and Transfer-Encoding",
    head: {
      raw: `HTTP/1.1 401 Unauthorized\r\n${wa(`IAM ${realm}`)}\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    },
    expect: badResponse,
  },
  {
    name: "a 401 with two different Content-Lengths",
    head: {
      raw: `HTTP/1.1 401 Unauthorized\r\n${wa("Basic")}\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab`,
    },
    expect: badResponse,
  },
  { name: "a 401 in HTTP/0.9 style (no status line)", head: { raw: "401\r\n\r\n" }, expect: badResponse },
  {
    name: "a header name with a space",
    head: { raw: `HTTP/1.1 401 Unauthorized\r\nWWW Authenticate: IAM ${realm}\r\nContent-Length: 0\r\n\r\n` },
    expect: badResponse,
  },
];

/** The app: `/case/<n>` answers row n's 401; `/ok` answers 200. Every connection closes after one answer. */
function startHostileApp(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => undefined);
    socket.once("close", () => sockets.delete(socket));
    let received = "";
    const onData = (chunk: Buffer): void => {
      received += chunk.toString("latin1");
      if (!received.includes("\r\n\r\n")) return;
      socket.off("data", onData);
      const [, path = "", host = ""] = /^\S+ (\S+) [^]*?\r\nhost: *([^\r]*)/i.exec(received) ?? [];
      const row = rows[Number(/^\/case\/(\d+)$/.exec(path)?.[1] ?? NaN)];
      if (row === undefined) {
        socket.end("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n");
        return;
      }
      if ("raw" in row.head) {
        socket.end(row.head.raw);
        return;
      }
      const lines = row.head.map((line) => line.replaceAll("{host}", host));
      const head = ["HTTP/1.1 401 Unauthorized", ...lines, "Content-Length: 0", "Connection: close", "", ""];
      socket.end(Buffer.from(head.join("\r\n"), "utf8"));
    };
    socket.on("data", onData);
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      }),
    ),
  );
}

describe("hostile challenges from an app, answered by the proxy (real processes)", () => {
  let aws: LocalAws;
  let app: Awaited<ReturnType<typeof startHostileApp>>;
  let proxy: ProxyProcess;
  let origin = "";

  before(async () => {
    aws = await startLocalAws(suite);
    app = await startHostileApp();
    origin = `http://127.0.0.1:${app.port}`;
    proxy = await startProxyProcess(`${suite}/proxy.log`, aws.url, [
      "--bind",
      "127.0.0.1:0",
      "--kms-host",
      `127.0.0.1:${app.port}`,
    ]);
    await aws.resetCalls();
  });

  after(async () => {
    await proxy?.service.stop();
    await app?.close();
    await aws?.stop();
  });

  rows.forEach((row, index) => {
    const expected =
      row.expect === "relayed" ? "relays the app's 401" : `${row.expect.status} ${row.expect.code}`;
    it(`${row.name}: ${expected}, no AWS call, still serving`, async () => {
      const response = await httpRequest(`${origin}/case/${index}`, {
        proxy: proxy.url,
        headers: { accept: "text/plain" },
      });
      if (row.expect === "relayed") {
        assert.equal(response.status, 401, response.body);
        assert.equal(response.headers["iam-auth-proxy-error"], undefined);
      } else {
        assert.equal(response.status, row.expect.status, response.body);
        assert.equal(response.headers["iam-auth-proxy-error"], row.expect.code, response.body);
        assert.match(response.body, /^[^\n]+\n$/, "one line of text");
      }
      assert.deepEqual(await aws.calls(), {}, "no AWS call");
      const next = await httpRequest(`${origin}/ok`, { proxy: proxy.url });
      assert.equal(next.status, 200, "the proxy serves the next request");
      assert.equal(next.body, "ok\n");
    });
  });

  it("counts its cases", () => reportCases("challenge", "proxy", rows.length));
});
