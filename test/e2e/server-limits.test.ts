import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import net, { type AddressInfo, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { demoAccount } from "../../local-aws/demo-account.js";
import { writeSessionSecret } from "../helpers/header-echo-app.js";
import { freshSourceAddress, recordServerSecrets, sendRaw } from "../helpers/hostile-client.js";
import { startLocalAws, type LocalAws } from "../helpers/local-aws.js";
import { waitForOutput } from "../helpers/proxy-process.js";
import { startService, type RunningService } from "../helpers/service.js";
import { startStsOnlyApp } from "../helpers/sts-only-app.js";

/*
 * The bounds the gateway and the example server put on their clients (gateway/server-limits.ts),
 * with the real processes started with tight ones — a 1 s head, 5 connections — by flag
 * (--headers-timeout, --max-connections) and by variable (HEADERS_TIMEOUT, MAX_CONNECTIONS): a
 * head trickled a byte at a time is answered 408 and closed while it is still arriving; a
 * connection above the cap is closed unanswered while the connections held are still served; and
 * a request Node's parser rejects gets one line saying why, not Node's bare 400.
 */

const suite = "server-limits";
const MAX_CONNECTIONS = 5;
/** A head that would take this many bytes at one per 100 ms: a minute, far past the 1 s bound. */
const TRICKLED_BYTES = 600;

describe("client limits of the gateway and the example server (real processes)", () => {
  let aws: LocalAws;
  let app: Server;
  let secretDir = "";
  const servers = new Map<string, RunningService>();

  before(async () => {
    aws = await startLocalAws(suite);
    app = createServer((_req, res) => res.end("app\n"));
    await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
    const secret = writeSessionSecret();
    secretDir = secret.dir;
    const secretKey = randomBytes(32).toString("hex");
    recordServerSecrets(suite, [readFileSync(secret.file, "utf8").trim(), secretKey]);
    const [gateway, example] = await Promise.all([
      startService({
        script: "gateway/cli/main.js",
        args: [
          ...[
            "--bind",
            "127.0.0.1:0",
            "--upstream",
            `http://127.0.0.1:${(app.address() as AddressInfo).port}`,
          ],
          ...["--account", demoAccount.accountId, "--session-secret-file", secret.file],
          ...["--test-sts-endpoint", aws.url, "--headers-timeout", "1", "--keep-alive-timeout", "30"],
          ...["--max-connections", String(MAX_CONNECTIONS)],
        ],
        logName: `${suite}/gateway.log`,
      }),
      startStsOnlyApp(suite, aws.url, secretKey, {
        HEADERS_TIMEOUT: "1",
        KEEP_ALIVE_TIMEOUT: "30",
        MAX_CONNECTIONS: String(MAX_CONNECTIONS),
      }),
    ]);
    servers.set("gateway", gateway);
    servers.set("example server", example);
  });

  after(async () => {
    for (const server of servers.values()) await server.stop();
    await new Promise<void>((resolve) => (app === undefined ? resolve() : app.close(() => resolve())));
    await aws?.stop();
    if (secretDir !== "") rmSync(secretDir, { recursive: true, force: true });
  });

  for (const name of ["gateway", "example server"]) {
    const errorField = name === "gateway" ? "Iam-Auth-Gateway-Error: REQUEST_INVALID\r\n" : "";
    const server = (): RunningService => {
      const found = servers.get(name);
      assert.ok(found !== undefined);
      return found;
    };
    const health = (): string => `GET /healthz HTTP/1.1\r\nHost: ${new URL(server().url).host}\r\n\r\n`;

    describe(name, () => {
      it("answers a head trickled past the bound with a one-line 408 and closes it while it is still arriving", async () => {
        const url = new URL(server().url);
        const socket = connect(url);
        let received = "";
        socket.on("data", (chunk: Buffer) => (received += chunk.toString("latin1")));
        const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
        const head = `GET /healthz HTTP/1.1\r\nHost: ${url.host}\r\nX-Slow: ${"s".repeat(TRICKLED_BYTES)}`;
        let sent = 0;
        const timer = setInterval(() => {
          if (sent < head.length && socket.writable) socket.write(head[sent] ?? "");
          sent += 1;
        }, 100);
        try {
          await closed;
        } finally {
          clearInterval(timer);
        }
        assert.ok(
          sent < head.length,
          `the server closed the connection before the head was complete (${sent} bytes sent)`,
        );
        assert.equal(
          received,
          `HTTP/1.1 408 Request Timeout\r\n${errorField}Content-Type: text/plain; charset=utf-8\r\nContent-Length: 38\r\n` +
            "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n" +
            "Bad request: ERR_HTTP_REQUEST_TIMEOUT\n",
        );
      });

      it(`closes connections above ${MAX_CONNECTIONS} unanswered, serves the ones it holds, and takes new ones once some close`, async () => {
        const url = new URL(server().url);
        const held: Socket[] = [];
        try {
          // Each held connection is served once and kept alive (30 s), so the server counts it.
          for (let i = 0; i < MAX_CONNECTIONS; i += 1) {
            const socket = connect(url);
            held.push(socket);
            assert.match(
              await exchange(socket, health()),
              /^HTTP\/1\.1 200 /,
              `held connection ${i} is served`,
            );
          }
          const refused = await sendRaw(server().url, health(), { waitMs: 10_000 });
          assert.equal(refused.text, "", "the connection above the cap gets no answer");
          assert.equal(refused.closed, true, "the connection above the cap is closed");
          const first = held[0];
          assert.ok(first !== undefined);
          assert.match(
            await exchange(first, health()),
            /^HTTP\/1\.1 200 /,
            "a held connection is still served",
          );
          // Below the cap again (the server sees the close a moment later): new connections are served.
          first.destroy();
          let answer = await sendRaw(server().url, health());
          for (let attempt = 0; answer.status !== 200 && attempt < 50; attempt += 1) {
            await new Promise((resolve) => setTimeout(resolve, 100));
            answer = await sendRaw(server().url, health());
          }
          assert.equal(answer.status, 200, "a new connection is served once one of the held ones closed");
        } finally {
          for (const socket of held) socket.destroy();
        }
      });

      for (const [label, bytes, code] of [
        ["a malformed request line", "G@T / HTTP/1.1\r\nHost: x\r\n\r\n", "HPE_INVALID_METHOD"],
        [
          "a malformed header",
          "GET / HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n",
          "HPE_INVALID_HEADER_TOKEN",
        ],
      ] as const) {
        it(`answers ${label} with a one-line 400 naming the parser's code, closes the connection, and logs the code`, async () => {
          // Wait until the previous test's held connections are gone, so this one is not above the cap.
          let answer = await sendRaw(server().url, bytes);
          for (let attempt = 0; answer.status === undefined && attempt < 50; attempt += 1) {
            await new Promise((resolve) => setTimeout(resolve, 100));
            answer = await sendRaw(server().url, bytes);
          }
          const line = `Bad request: ${code}\n`;
          assert.equal(
            answer.text,
            `HTTP/1.1 400 Bad Request\r\n${errorField}Content-Type: text/plain; charset=utf-8\r\n` +
              `Content-Length: ${line.length}\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n` +
              `Connection: close\r\n\r\n${line}`,
          );
          assert.equal(answer.closed, true);
          await waitForOutput(server(), new RegExp(`"event":"client-error".*"code":"${code}"`));
        });
      }
    });
  }
});

function connect(url: URL): Socket {
  const socket = net.connect({
    host: url.hostname,
    port: Number(url.port),
    localAddress: freshSourceAddress(),
  });
  socket.on("error", () => undefined);
  return socket;
}

/** Writes one request on a kept-alive connection and resolves with the whole response (its body framed by Content-Length). */
function exchange(socket: Socket, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    const onData = (chunk: Buffer): void => {
      text += chunk.toString("latin1");
      const headEnd = text.indexOf("\r\n\r\n");
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(text)?.[1] ?? "0");
      if (headEnd >= 0 && text.length >= headEnd + 4 + length) {
        socket.off("data", onData);
        resolve(text);
      }
    };
    socket.on("data", onData);
    socket.once("close", () => reject(new Error(`closed before an answer; got ${JSON.stringify(text)}`)));
    socket.write(request);
  });
}
