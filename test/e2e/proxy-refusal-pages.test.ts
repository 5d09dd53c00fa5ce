import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import http, { type IncomingHttpHeaders } from "node:http";
import net, { type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { demoAccount } from "../../local-aws/demo-account.js";
import { encodeEncryptionContext, formatIamChallenge } from "../../protocol/index.js";
import { findClosedPort } from "../helpers/misbehaving-app.js";
import { exchange, type Via } from "../helpers/mode-clients.js";
import { readProxyCa, waitForOutput } from "../helpers/proxy-process.js";
import { startService, type RunningService } from "../helpers/service.js";

/*
 * The proxy's own answers as a person meets them, through real proxy processes: a browser (its
 * Accept names text/html) gets a small page saying what happened, what to do and the code; curl
 * gets one line of text starting with the code; both get the code in Iam-Auth-Proxy-Error, and
 * neither is ever cached. Answers written on a raw socket (a malformed request, a websocket
 * handshake, a CONNECT) are that one line too, with the same header.
 *
 * The proxies have no AWS credentials, and the apps are tiny servers on 127.0.0.1 that send a
 * KMS challenge (as the original Flask app does): one named with --kms-host (so the proxy looks
 * for credentials: NO_CREDENTIALS), one not (KMS_APP_NOT_NAMED, before any credentials).
 */

const suite = "proxy-refusal-pages";
const chromiumAccept =
  "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8";
const browser = { accept: chromiumAccept, "user-agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/130" };
const curl = { accept: "*/*", "user-agent": "curl/8.5.0" };
const readOnlyPagePolicy =
  "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";
/** A value an attacker chooses (the Host a DNS-rebinding page sends): it must show as text. */
const hostileHost = `<script>alert("pwned")</script>`;

interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** One request to `port` with exactly this request target and these fields. */
function ask(
  port: number,
  method: string,
  target: string,
  headers: Readonly<Record<string, string>>,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    http
      .request({ host: "127.0.0.1", port, method, path: target, headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
      })
      .on("error", reject)
      .end();
  });
}

/** Writes `request` on a raw connection and resolves with everything the proxy wrote before closing. */
function askRaw(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.write(request));
    let reply = "";
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => (reply += chunk));
    socket.on("error", reject);
    socket.on("close", () => resolve(reply));
    socket.setTimeout(10_000, () => socket.destroy(new Error(`no answer to ${JSON.stringify(request)}`)));
  });
}

/** Splits a raw HTTP/1.1 response into status, lower-cased fields and body. */
function parseRaw(reply: string): Reply {
  const end = reply.indexOf("\r\n\r\n");
  assert.ok(end > 0, `a complete head: ${JSON.stringify(reply)}`);
  const [statusLine = "", ...lines] = reply.slice(0, end).split("\r\n");
  const headers: IncomingHttpHeaders = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine.split(" ")[1]), headers, body: reply.slice(end + 4) };
}

/** An app that challenges every request for a KMS proof, with the original Flask app's fields. */
async function startKmsChallengingApp(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(401, {
      "WWW-Authenticate": formatIamChallenge({ realm: demoAccount.accountId, params: new Map() }),
      "Iam-Auth-Kms-Key-Id": `arn:aws:kms:us-east-1:${demoAccount.accountId}:key/00000000-0000-0000-0000-000000000001`,
      "Iam-Auth-Kms-Encryption-Context": encodeEncryptionContext({ salt: "refusal-pages" }),
      "Content-Type": "text/plain",
    });
    res.end("Please log in\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface RefusalRow {
  readonly code: string;
  readonly status: number;
  /** The page's title: what happened. */
  readonly title: string;
  /** Which proxy answers, and the request: a request target through it, or a path on it with a Host. */
  readonly proxy: "forward" | "intercepting";
  readonly request: () => { readonly target: string; readonly host?: string } | { readonly tunnel: string };
  /** What the one-line message names (a host, the hostile value). */
  readonly names: () => string;
}

describe("the proxy's own refusals: a page for browsers, one line for curl, the code always (real proxy processes)", () => {
  let dir = "";
  let forward: RunningService;
  let intercepting: RunningService;
  let proxyCa = "";
  let namedApp: Awaited<ReturnType<typeof startKmsChallengingApp>>;
  let unnamedApp: Awaited<ReturnType<typeof startKmsChallengingApp>>;
  let closedPort = 0;

  const portOf = (service: RunningService): number => Number(new URL(service.url).port);
  const withoutCredentials = {
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_REGION: "us-east-1",
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), `iam-auth-proxy-${suite}-`));
    namedApp = await startKmsChallengingApp();
    unnamedApp = await startKmsChallengingApp();
    closedPort = await findClosedPort();
    const start = async (name: string, args: string[]): Promise<RunningService> => {
      const service = await startService({
        script: "proxy/cli/main.js",
        args: ["--bind", "127.0.0.1:0", ...args],
        env: withoutCredentials,
        logName: `${suite}/${name}.log`,
      });
      await waitForOutput(service, /\bcredentials (identity=|outcome=)/);
      return service;
    };
    forward = await start("proxy-forward", ["--kms-host", `127.0.0.1:${namedApp.port}`]);
    intercepting = await start("proxy-intercepting", ["--host", "localhost", "--ca-dir", join(dir, "ca")]);
    proxyCa = readProxyCa(join(dir, "ca"));
  });
  after(async () => {
    await forward?.stop();
    await intercepting?.stop();
    await namedApp?.close();
    await unnamedApp?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const rows: readonly RefusalRow[] = [
    {
      code: "NO_CREDENTIALS",
      status: 503,
      title: "The proxy has no AWS credentials to sign you in with",
      proxy: "forward",
      request: () => ({ target: `http://127.0.0.1:${namedApp.port}/reports` }),
      names: () => "No AWS credentials found",
    },
    {
      code: "KMS_APP_NOT_NAMED",
      status: 403,
      title: "The proxy did not send your AWS credentials to this app",
      proxy: "forward",
      request: () => ({ target: `http://127.0.0.1:${unnamedApp.port}/` }),
      names: () => `--kms-host 127.0.0.1:${unnamedApp.port}`,
    },
    {
      code: "UPSTREAM_UNREACHABLE",
      status: 502,
      title: "The proxy could not reach the app",
      proxy: "forward",
      request: () => ({ target: `http://127.0.0.1:${closedPort}/` }),
      names: () => `Cannot reach 127.0.0.1:${closedPort}: ECONNREFUSED`,
    },
    {
      code: "UPSTREAM_UNREACHABLE",
      status: 502,
      title: "The proxy could not reach the app",
      proxy: "intercepting",
      request: () => ({ tunnel: `https://localhost:${closedPort}/` }),
      names: () => `Cannot reach localhost:${closedPort}`,
    },
    {
      code: "REQUEST_TARGET_INVALID",
      status: 400,
      title: "The proxy cannot forward this request",
      proxy: "forward",
      request: () => ({ target: "https://app.internal/" }),
      names: () => `(got "https://app.internal/")`,
    },
    {
      code: "NOT_A_PROXY_REQUEST",
      status: 400,
      title: "This is iam-auth-proxy, not a web site",
      proxy: "forward",
      request: () => ({ target: "/reports" }),
      names: () => "This is an HTTP proxy: configure it as your proxy",
    },
    {
      code: "HOST_NOT_ALLOWED",
      status: 403,
      title: "The proxy does not answer to this address",
      proxy: "forward",
      request: () => ({ target: "/", host: hostileHost }),
      names: () => `Refusing a request for host ${JSON.stringify(hostileHost)}`,
    },
  ];

  /** The row's request as a browser or curl sends it. */
  async function send(
    row: RefusalRow,
    fields: Readonly<Record<string, string>>,
    method = "GET",
  ): Promise<Reply> {
    const service = row.proxy === "forward" ? forward : intercepting;
    const request = row.request();
    if ("tunnel" in request) {
      const via: Via = { kind: "tunnel", proxyUrl: service.url, ca: proxyCa };
      return exchange(request.tunnel, via, fields, false);
    }
    const host =
      request.host ??
      (request.target.startsWith("/") ? new URL(service.url).host : new URL(request.target).host);
    return ask(portOf(service), method, request.target, { ...fields, host });
  }

  for (const row of rows) {
    const where = row.proxy === "intercepting" ? " (intercepted HTTPS)" : "";
    describe(`${row.status} ${row.code}${where}`, () => {
      it("a browser gets a page: what happened, what to do, the code; escaped, never cached, no script", async () => {
        const reply = await send(row, browser);
        assert.equal(reply.status, row.status);
        assert.equal(reply.headers["iam-auth-proxy-error"], row.code);
        assert.equal(reply.headers["content-type"], "text/html; charset=utf-8");
        assert.equal(reply.headers["cache-control"], "no-store");
        assert.equal(reply.headers["x-content-type-options"], "nosniff");
        assert.equal(reply.headers["content-security-policy"], readOnlyPagePolicy);
        assert.equal(reply.headers["content-length"], String(Buffer.byteLength(reply.body)));
        assert.ok(reply.body.includes(`<title>${row.title}</title>`), reply.body);
        assert.ok(reply.body.includes(`<h1>${row.title}</h1>`), reply.body);
        assert.ok(
          reply.body.includes(
            `Error <code>${row.code}</code> (HTTP ${row.status}), answered by iam-auth-proxy`,
          ),
          reply.body,
        );
        const reason = /<p><strong>Reason:<\/strong> ([^<]*)<\/p>/.exec(reply.body)?.[1] ?? "";
        const escaped = row
          .names()
          .replace(/&/g, "&amp;")
          .replace(/</g, "&lt;")
          .replace(/>/g, "&gt;")
          .replace(/"/g, "&quot;");
        assert.ok(reason.includes(escaped), `the reason names ${row.names()}: ${reason}`);
        assert.doesNotMatch(reply.body, /<script/i, "no script, and no value became markup");
      });

      it("curl gets one line of text that starts with the code", async () => {
        const reply = await send(row, curl);
        assert.equal(reply.status, row.status);
        assert.equal(reply.headers["iam-auth-proxy-error"], row.code);
        assert.equal(reply.headers["content-type"], "text/plain; charset=utf-8");
        assert.equal(reply.headers["cache-control"], "no-store");
        assert.match(reply.body, new RegExp(`^${row.code}: [^\\r\\n]+\\n$`));
        assert.ok(reply.body.includes(row.names()), reply.body);
      });

      if (row.proxy === "forward") {
        it("a browser's HEAD gets the fields only, with the length of the page", async () => {
          const page = await send(row, browser);
          const head = await send(row, browser, "HEAD");
          assert.equal(head.status, row.status);
          assert.equal(head.headers["iam-auth-proxy-error"], row.code);
          assert.equal(head.body, "");
          assert.equal(head.headers["content-length"], String(Buffer.byteLength(page.body)));
        });
      }
    });
  }

  describe("answers written on a raw socket: one line and the code, even to a browser", () => {
    it("400 REQUEST_INVALID: a request HTTP cannot parse (a host name with <script> in it)", async () => {
      const reply = parseRaw(
        await askRaw(
          portOf(forward),
          `GET http://app<script>alert(1)</script>/ HTTP/1.1\r\nHost: app\r\nAccept: ${chromiumAccept}\r\n\r\n`,
        ),
      );
      assert.equal(reply.status, 400);
      assert.equal(reply.headers["iam-auth-proxy-error"], "REQUEST_INVALID");
      assert.equal(reply.headers["content-type"], "text/plain; charset=utf-8");
      assert.equal(reply.headers["cache-control"], "no-store");
      assert.equal(reply.body, "REQUEST_INVALID: Bad request: HPE_INVALID_URL\n");
      assert.equal(reply.headers["content-length"], String(Buffer.byteLength(reply.body)));
    });

    it("502 UPSTREAM_UNREACHABLE to a websocket handshake (ws://)", async () => {
      const reply = await exchange(
        `ws://127.0.0.1:${closedPort}/ws`,
        { kind: "forward", proxyUrl: forward.url },
        { accept: chromiumAccept },
        true,
      );
      assert.equal(reply.status, 502);
      assert.equal(reply.headers["iam-auth-proxy-error"], "UPSTREAM_UNREACHABLE");
      assert.equal(reply.headers["content-type"], "text/plain; charset=utf-8");
      assert.equal(reply.body, `UPSTREAM_UNREACHABLE: Cannot reach 127.0.0.1:${closedPort}: ECONNREFUSED\n`);
    });

    it("502 UPSTREAM_UNREACHABLE to a CONNECT", async () => {
      const reply = parseRaw(
        await askRaw(
          portOf(forward),
          `CONNECT 127.0.0.1:${closedPort} HTTP/1.1\r\nHost: 127.0.0.1:${closedPort}\r\n\r\n`,
        ),
      );
      assert.equal(reply.status, 502);
      assert.equal(reply.headers["iam-auth-proxy-error"], "UPSTREAM_UNREACHABLE");
      assert.equal(reply.headers["cache-control"], "no-store");
      assert.equal(reply.body, `UPSTREAM_UNREACHABLE: Cannot reach 127.0.0.1:${closedPort}: ECONNREFUSED\n`);
    });
  });

  it("every proxy process is still running", () => {
    assert.equal(forward.process.exitCode, null);
    assert.equal(intercepting.process.exitCode, null);
  });
});
