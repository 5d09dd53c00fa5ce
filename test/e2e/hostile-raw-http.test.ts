import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import net, { type AddressInfo, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { demoAccount } from "../../local-aws/demo-account.js";
import {
  freshSourceAddress,
  recordServerSecrets,
  reportCases,
  sendRaw,
  type RawAnswer,
} from "../helpers/hostile-client.js";
import { startLocalAws, type LocalAws } from "../helpers/local-aws.js";
import { startProxyProcess, type ProxyProcess } from "../helpers/proxy-process.js";
import { startStsOnlyApp } from "../helpers/sts-only-app.js";
import { startService, type RunningService } from "../helpers/service.js";

/*
 * Request lines and heads written byte for byte over TCP to the proxy (forward mode), the gateway
 * and the example server, all real processes: every request-target form, garbage, header floods,
 * request smuggling (Content-Length with Transfer-Encoding, two Content-Lengths), obs-fold, bare
 * LF, NUL bytes. Each is answered with a 4xx (or, for the proxy, the app-side code when the
 * target is an app it cannot reach) or the challenge, never a 5xx of the process's own making;
 * nothing gets a session; and the process answers a good request right after. Then slow and idle
 * clients: a head trickled byte by byte and a crowd of idle connections do not stop the process
 * serving others.
 */

const suite = "hostile-raw-http";
const { accountId } = demoAccount;

interface RawRow {
  readonly name: string;
  /** The bytes, with {host} for the target's own host:port and {app} for the app's. */
  readonly bytes: string;
  /** Which processes the row is for: a forward proxy reads absolute-form, the servers origin-form. */
  readonly for?: "proxy" | "servers";
  /** Statuses that are right for this row (default: any 4xx). 401 is the servers' challenge. */
  readonly statuses?: readonly number[];
  /** Node closes the connection without an answer (a CONNECT to a server with no 'connect' listener). */
  readonly closesWithoutAnswer?: boolean;
}

/**
 * Node's parser reads these loosely as a request for "/": the proxy answers with its own status page
 * (200), the servers with the challenge (401). No harm: they go nowhere else.
 */
const readAsSlash = [200, 400, 401, 505];

const h = (lines: string[], body = ""): string => `${lines.join("\r\n")}\r\n\r\n${body}`;
const manyHeaders = (count: number): string[] => Array.from({ length: count }, (_, i) => `X-H${i}: ${i}`);

const rows: readonly RawRow[] = [
  // Request-target forms (RFC 9112 §3.2).
  {
    name: "origin-form to the proxy",
    bytes: h(["GET / HTTP/1.1", "Host: {host}"]),
    for: "proxy",
    statuses: [200, 400],
  },
  {
    name: "asterisk-form OPTIONS",
    bytes: h(["OPTIONS * HTTP/1.1", "Host: {host}"]),
    statuses: [400, 401, 404],
  },
  {
    name: "authority-form on GET",
    bytes: h(["GET {app} HTTP/1.1", "Host: {app}"]),
    statuses: [400, 401, 404],
  },
  {
    name: "absolute-form https:// (must be CONNECT)",
    bytes: h(["GET https://{app}/ HTTP/1.1", "Host: {app}"]),
    for: "proxy",
  },
  { name: "absolute-form ftp://", bytes: h(["GET ftp://{app}/ HTTP/1.1", "Host: {app}"]), for: "proxy" },
  {
    name: "absolute-form with userinfo",
    bytes: h(["GET http://user:pw@{app}/ HTTP/1.1", "Host: {app}"]),
    for: "proxy",
  },
  {
    name: "absolute-form with an empty host",
    bytes: h(["GET http:///x HTTP/1.1", "Host: {app}"]),
    for: "proxy",
  },
  {
    name: "absolute-form with port 0",
    bytes: h(["GET http://127.0.0.1:0/ HTTP/1.1", "Host: 127.0.0.1:0"]),
    for: "proxy",
  },
  {
    name: "absolute-form with port 99999",
    bytes: h(["GET http://127.0.0.1:99999/ HTTP/1.1", "Host: x"]),
    for: "proxy",
  },
  {
    name: "absolute-form to a closed port",
    bytes: h(["GET http://127.0.0.1:1/ HTTP/1.1", "Host: 127.0.0.1:1"]),
    for: "proxy",
    statuses: [502],
  },
  {
    name: "CONNECT without a port",
    bytes: h(["CONNECT 127.0.0.1 HTTP/1.1", "Host: 127.0.0.1"]),
    for: "proxy",
  },
  {
    name: "CONNECT to port 0",
    bytes: h(["CONNECT 127.0.0.1:0 HTTP/1.1", "Host: 127.0.0.1:0"]),
    for: "proxy",
  },
  { name: "CONNECT with a path", bytes: h(["CONNECT http://{app}/ HTTP/1.1", "Host: {app}"]), for: "proxy" },
  {
    name: "absolute-form to the servers",
    bytes: h(["GET http://evil.example/ HTTP/1.1", "Host: evil.example"]),
    for: "servers",
    statuses: [400, 401, 404],
  },
  {
    name: "absolute-form /auth to the servers",
    bytes: h(["GET http://evil.example/auth?token=x HTTP/1.1", "Host: {host}"]),
    for: "servers",
    statuses: [400, 403, 404],
  },
  {
    name: "CONNECT to the servers",
    bytes: h(["CONNECT evil.example:443 HTTP/1.1", "Host: evil.example:443"]),
    for: "servers",
    closesWithoutAnswer: true,
  },
  // Garbage and protocol versions.
  {
    name: "a TLS ClientHello on the plain port",
    bytes: "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + "\x00".repeat(40),
  },
  {
    name: "random bytes",
    bytes:
      randomBytes(64)
        .toString("latin1")
        .replace(/\r\n\r\n/g, "") + "\r\n\r\n",
  },
  { name: "a request line with no version", bytes: "GET /\r\n\r\n", statuses: readAsSlash },
  {
    name: "HTTP/2.0 in the request line",
    bytes: h(["GET / HTTP/2.0", "Host: {host}"]),
    statuses: readAsSlash,
  },
  { name: "HTTP/1.2", bytes: h(["GET / HTTP/1.2", "Host: {host}"]), statuses: [400, 401, 505] },
  { name: "HTTP/9.9", bytes: h(["GET / HTTP/9.9", "Host: {host}"]), statuses: [400, 505] },
  { name: "the HTTP/2 preface", bytes: "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" },
  { name: "a method with a @", bytes: h(["G@T / HTTP/1.1", "Host: {host}"]) },
  { name: "a lower-case unknown method", bytes: h(["get / HTTP/1.1", "Host: {host}"]) },
  {
    name: "two spaces in the request line",
    bytes: h(["GET  / HTTP/1.1", "Host: {host}"]),
    statuses: readAsSlash,
  },
  { name: "a tab in the request line", bytes: h(["GET\t/ HTTP/1.1", "Host: {host}"]) },
  { name: "a NUL in the request target", bytes: h(["GET /\x00 HTTP/1.1", "Host: {host}"]) },
  { name: "a raw space in the request target", bytes: h(["GET /a b HTTP/1.1", "Host: {host}"]) },
  { name: "no Host in HTTP/1.1", bytes: h(["GET / HTTP/1.1"]), for: "servers" },
  {
    name: "two Host fields",
    bytes: h(["GET / HTTP/1.1", "Host: {host}", "Host: evil.example"]),
    for: "servers",
    statuses: [400, 401],
  },
  // Header syntax.
  { name: "a space before the colon", bytes: h(["GET / HTTP/1.1", "Host : {host}"]) },
  { name: "a header name with a NUL", bytes: h(["GET / HTTP/1.1", "Host: {host}", "X-\x00: 1"]) },
  { name: "a header value with a NUL", bytes: h(["GET / HTTP/1.1", "Host: {host}", "X-A: a\x00b"]) },
  { name: "a header value with a bare CR", bytes: h(["GET / HTTP/1.1", "Host: {host}", "X-A: a\rb"]) },
  { name: "a header with no colon", bytes: h(["GET / HTTP/1.1", "Host: {host}", "X-A"]) },
  {
    name: "obs-fold (a continuation line)",
    bytes: h(["GET / HTTP/1.1", "Host: {host}", "X-A: a", " folded"]),
  },
  { name: "obs-fold of the Host field", bytes: h(["GET / HTTP/1.1", "Host:", " {host}"]) },
  { name: "bare LF line endings", bytes: "GET / HTTP/1.1\nHost: {host}\n\n" },
  { name: "a non-ASCII header name", bytes: h(["GET / HTTP/1.1", "Host: {host}", "Ünïcode: 1"]) },
  // Sizes.
  {
    name: "a 20 KB header value",
    bytes: h(["GET / HTTP/1.1", "Host: {host}", `X-Big: ${"a".repeat(20_000)}`]),
    statuses: [431],
  },
  {
    name: "a 100 KB request target",
    bytes: h([`GET /${"a".repeat(100_000)} HTTP/1.1`, "Host: {host}"]),
    statuses: [414, 431],
  },
  {
    name: "2,000 header fields",
    bytes: h(["GET / HTTP/1.1", "Host: {host}", ...manyHeaders(2000)]),
    statuses: [431],
  },
  {
    name: "a 20 KB cookie",
    bytes: h(["GET / HTTP/1.1", "Host: {host}", `Cookie: a=${"b".repeat(20_000)}`]),
    statuses: [431],
  },
  // Request smuggling.
  {
    name: "Content-Length and Transfer-Encoding: chunked",
    bytes: h(
      ["POST / HTTP/1.1", "Host: {host}", "Content-Length: 4", "Transfer-Encoding: chunked"],
      "0\r\n\r\n",
    ),
  },
  {
    name: "two different Content-Lengths",
    bytes: h(["POST / HTTP/1.1", "Host: {host}", "Content-Length: 1", "Content-Length: 2"], "ab"),
  },
  {
    name: "Content-Length: 1, 2 in one field",
    bytes: h(["POST / HTTP/1.1", "Host: {host}", "Content-Length: 1, 2"], "ab"),
  },
  { name: "a negative Content-Length", bytes: h(["POST / HTTP/1.1", "Host: {host}", "Content-Length: -1"]) },
  { name: "a hex Content-Length", bytes: h(["POST / HTTP/1.1", "Host: {host}", "Content-Length: 0x10"]) },
  {
    name: "Content-Length with a plus sign",
    bytes: h(["POST / HTTP/1.1", "Host: {host}", "Content-Length: +2"], "ab"),
  },
  {
    name: "Transfer-Encoding: chunked, identity",
    bytes: h(["POST / HTTP/1.1", "Host: {host}", "Transfer-Encoding: chunked, identity"], "0\r\n\r\n"),
  },
  {
    name: "Transfer-Encoding: xchunked",
    bytes: h(["POST / HTTP/1.1", "Host: {host}", "Transfer-Encoding: xchunked"], "0\r\n\r\n"),
  },
  {
    name: "Transfer-Encoding obs-folded",
    bytes: h(["POST / HTTP/1.1", "Host: {host}", "Transfer-Encoding:", " chunked"], "0\r\n\r\n"),
  },
  {
    name: "Transfer-Encoding with a space before the colon",
    bytes: h(["POST / HTTP/1.1", "Host: {host}", "Transfer-Encoding : chunked"], "0\r\n\r\n"),
  },
  {
    name: "a chunk size that is not hex",
    bytes: h(["POST / HTTP/1.1", "Host: {host}", "Transfer-Encoding: chunked"], "zz\r\nab\r\n0\r\n\r\n"),
  },
  {
    name: "a chunk size that overflows",
    bytes: h(
      ["POST / HTTP/1.1", "Host: {host}", "Transfer-Encoding: chunked"],
      "ffffffffffffffffff\r\nab\r\n0\r\n\r\n",
    ),
  },
];

/** The rows for one process. */
const rowsFor = (kind: "proxy" | "servers"): RawRow[] =>
  rows.filter((row) => row.for === undefined || row.for === kind);

describe("raw HTTP/1.1 abuse of the proxy, the gateway and the example server (real processes)", () => {
  let aws: LocalAws;
  let app: Server;
  let appHost = "";
  let secretDir = "";
  let proxy: ProxyProcess;
  const servers = new Map<string, RunningService>();

  before(async () => {
    aws = await startLocalAws(suite);
    app = createServer((_req, res) => res.end("app\n"));
    await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
    appHost = `127.0.0.1:${(app.address() as AddressInfo).port}`;
    secretDir = mkdtempSync(join(tmpdir(), "iam-auth-hostile-raw-"));
    const secretFile = join(secretDir, "session-secret");
    const sessionSecret = randomBytes(32).toString("hex");
    const secretKey = randomBytes(32).toString("hex");
    writeFileSync(secretFile, sessionSecret, { mode: 0o600 });
    recordServerSecrets(suite, [sessionSecret, secretKey]);
    const [gateway, example, started] = await Promise.all([
      startService({
        script: "gateway/cli/main.js",
        args: [
          "--bind",
          "127.0.0.1:0",
          "--upstream",
          `http://${appHost}`,
          "--account",
          accountId,
          "--session-secret-file",
          secretFile,
          "--test-sts-endpoint",
          aws.url,
        ],
        logName: `${suite}/gateway.log`,
      }),
      startStsOnlyApp(suite, aws.url, secretKey),
      startProxyProcess(`${suite}/proxy.log`, aws.url, ["--bind", "127.0.0.1:0"]),
    ]);
    servers.set("gateway", gateway);
    servers.set("example-server", example);
    proxy = started;
  });

  after(async () => {
    await proxy?.service.stop();
    for (const server of servers.values()) await server.stop();
    await new Promise<void>((resolve) => (app === undefined ? resolve() : app.close(() => resolve())));
    await aws?.stop();
    if (secretDir !== "") rmSync(secretDir, { recursive: true, force: true });
  });

  /** Where each process listens, and the good request it must answer after every case. */
  function targetOf(name: string): { url: string; good: string; goodStatus: number } {
    if (name === "proxy") {
      return {
        url: proxy.url,
        good: h([`GET http://${appHost}/ HTTP/1.1`, `Host: ${appHost}`, "Connection: close"]),
        goodStatus: 200,
      };
    }
    const server = servers.get(name);
    assert.ok(server !== undefined);
    const host = new URL(server.url).host;
    return {
      url: server.url,
      good: h(["GET / HTTP/1.1", `Host: ${host}`, "Accept: text/plain", "Connection: close"]),
      goodStatus: 401,
    };
  }

  function assertAnswer(answer: RawAnswer, row: RawRow, label: string): void {
    const statuses = row.statuses;
    if (row.closesWithoutAnswer === true) {
      assert.equal(answer.text, "", `${label}: no answer`);
      assert.equal(answer.closed, true, `${label}: the connection is closed`);
      return;
    }
    assert.ok(
      answer.status !== undefined,
      `${label}: an HTTP answer, got ${JSON.stringify(answer.text.slice(0, 120))}`,
    );
    if (statuses === undefined)
      assert.ok(answer.status >= 400 && answer.status < 500, `${label}: 4xx, got ${answer.status}`);
    else
      assert.ok(
        statuses.includes(answer.status),
        `${label}: one of ${statuses.join(", ")}, got ${answer.status}`,
      );
    assert.doesNotMatch(
      answer.text,
      /\r\nset-cookie: (?!iam-auth-session-nonce-)[^=\r\n]+=[^;\r\n]/i,
      `${label}: no session cookie`,
    );
  }

  for (const name of ["proxy", "gateway", "example-server"]) {
    const kind = name === "proxy" ? "proxy" : "servers";
    describe(name, () => {
      for (const row of rowsFor(kind)) {
        it(`${row.name}: ${row.statuses?.join("/") ?? "4xx"}, then serves the next request`, async () => {
          const target = targetOf(name);
          const host = new URL(target.url).host;
          const bytes = row.bytes.replaceAll("{host}", host).replaceAll("{app}", appHost);
          const answer = await sendRaw(target.url, Buffer.from(bytes, "latin1"));
          assertAnswer(answer, row, row.name);
          const next = await sendRaw(target.url, target.good);
          assert.equal(next.status, target.goodStatus, `${row.name}: the next request is served`);
        });
      }

      it("counts its cases", () => reportCases("raw-http", name, rowsFor(kind).length));

      it("keeps serving while 40 clients trickle a head byte by byte and 40 more sit idle", async () => {
        const target = targetOf(name);
        const url = new URL(target.url);
        const host = url.host;
        const sockets: Socket[] = [];
        const open = (): Socket => {
          const socket = net.connect({
            host: url.hostname,
            port: Number(url.port),
            localAddress: freshSourceAddress(),
          });
          socket.on("error", () => undefined);
          sockets.push(socket);
          return socket;
        };
        const head = `GET / HTTP/1.1\r\nHost: ${host}\r\nX-Slow: ${"s".repeat(200)}\r\n`;
        const trickling = Array.from({ length: 40 }, open);
        const idle = Array.from({ length: 40 }, open);
        let sent = 0;
        const timer = setInterval(() => {
          for (const socket of trickling) if (socket.writable) socket.write(head[sent % head.length] ?? "");
          sent += 1;
        }, 20);
        try {
          await Promise.all(
            [...trickling, ...idle].map(
              (socket) =>
                new Promise<void>((resolve) =>
                  socket.readyState === "open" ? resolve() : socket.once("connect", () => resolve()),
                ),
            ),
          );
          // Let the 40 get well into their heads (25 bytes each), then ask as a good client.
          const deadline = Date.now() + 5000;
          while (sent < 25 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
          // While all 80 are open and the 40 are mid-head, good requests are answered.
          for (let i = 0; i < 5; i++) {
            const next = await sendRaw(target.url, target.good);
            assert.equal(
              next.status,
              target.goodStatus,
              `good request ${i} while slow clients are connected`,
            );
          }
          assert.ok(sent >= 25, "the slow clients were mid-head");
          assert.equal(
            [...trickling, ...idle].filter((socket) => socket.destroyed).length,
            0,
            "every slow client is still connected (none was mistaken for the good ones)",
          );
        } finally {
          clearInterval(timer);
          for (const socket of sockets) socket.destroy();
        }
        reportCases("slow-clients", name, 1);
      });
    });
  }
});
