import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync, type WriteStream } from "node:fs";
import { request as httpsRequest } from "node:https";
import type { IncomingMessage } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { Duplex } from "node:stream";
import { after, before, describe, it } from "node:test";
import express from "express";
import WebSocket, { WebSocketServer } from "ws";
import { demoAccount } from "../../local-aws/demo-account.js";
import {
  createAwsLoginDependencies,
  createStreamLogger,
  parseBindAddress,
  type ProxyLogger,
} from "../../proxy/index.js";
import { createReverseProxy, type ReverseProxy } from "../../proxy/reverse/index.js";
import { iamAuth } from "../../server-middleware/index.js";
import { launchBrowser } from "../helpers/browser.js";
import { CookieJar, httpRequest, type HttpResult } from "../helpers/http-client.js";
import { awsEnvFor, startLocalAws, type LocalAws } from "../helpers/local-aws.js";
import { startService, testLogsDir, type RunningService } from "../helpers/service.js";
import { createTestCa, startTlsApp, type TestCa, type TlsApp } from "../helpers/tls-app.js";

/*
 * Reverse mode, end to end: `--upstream https://app` serves the app at http://127.0.0.1:PORT,
 * reached with no proxy settings and no CA in the client. The app is Express with the middleware
 * (STS method, server-id = its own https authority) behind real TLS whose CA is made at run time
 * and given to the proxy explicitly; the local AWS runs as a real process; the reverse proxy runs
 * in-process with the demo user's credentials found by the AWS SDK's own chain. Clients are Node's
 * HTTP client (no cookie store unless a test keeps one), the ws package and Chromium.
 */

const suite = "reach-reverse";
const { users, accountId } = demoAccount;
const DEMO_ARN = users.demo.arn;

/** A logger writing to test-logs/<suite>/<name>.log (for the log audit) and to memory. */
function createTestLogger(name: string): ProxyLogger & { readonly lines: string[]; end(): Promise<void> } {
  const file = join(testLogsDir, suite, `${name}.log`);
  mkdirSync(dirname(file), { recursive: true });
  const stream: WriteStream = createWriteStream(file, { flags: "a" });
  const lines: string[] = [];
  const sink = { write: (chunk: string) => (lines.push(chunk.trimEnd()), stream.write(chunk)) };
  return {
    ...createStreamLogger(sink, sink),
    lines,
    end: () => new Promise<void>((resolve) => stream.end(resolve)),
  };
}

const setCookies = (result: HttpResult): string[] => result.headers["set-cookie"] ?? [];
const cookieName = (line: string): string => line.slice(0, line.indexOf("="));

describe("reverse mode: an https app at http://127.0.0.1, no proxy settings (local AWS, in-process proxy)", () => {
  let aws: LocalAws;
  let ca: TestCa;
  /** The protected app: Express + iamAuth (STS), a redirect, a Secure Domain cookie, a websocket. */
  let app: TlsApp;
  /** A second upstream the app redirects to (no sign-in). */
  let other: TlsApp;
  /** An https app whose certificate comes from a CA nobody gave the proxy. */
  let untrusted: TlsApp;
  let wss: WebSocketServer;
  const appLog: string[] = [];
  /** Host and Cookie of every request the app received. */
  const seen: { host: string | undefined; cookie: string | undefined; path: string }[] = [];
  const savedEnv = new Map<string, string | undefined>();
  const proxies: { proxy: ReverseProxy; logger: ReturnType<typeof createTestLogger> }[] = [];

  /** A reverse proxy for the app and `other`, trusting `ca`; resolves with the local origin of each. */
  async function startReverseProxy(
    name: string,
    upstreams: TlsApp[] = [app, other],
    loginFlow: "proxy" | "redirect" = "proxy",
  ) {
    const logger = createTestLogger(name);
    const proxy = createReverseProxy({
      upstreams: upstreams.map((upstream) => ({
        origin: new URL(upstream.origin),
        bind: parseBindAddress("127.0.0.1:0"),
      })),
      loginFlow,
      login: createAwsLoginDependencies({ stsEndpoint: aws.url }),
      upstreamCa: [ca.certPem],
      logger,
    });
    proxies.push({ proxy, logger });
    const listeners = await proxy.listen();
    // As the CLI does at start: the identity is then known for the login log lines.
    await proxy.checkCredentials();
    const local = listeners.map((listener) => listener.urls[0] ?? "");
    return { proxy, logger, local };
  }
  const logins = (logger: { lines: string[] }): string[] =>
    logger.lines.filter((line) => / login /.test(line));

  /** Asks the app itself (over TLS) who a Cookie header belongs to: its whoami answer. */
  function whoami(cookie: string | undefined): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        {
          host: "127.0.0.1",
          port: app.port,
          servername: "localhost",
          path: "/auth/whoami",
          headers: { host: app.authority, ...(cookie === undefined ? {} : { cookie }) },
          ca: ca.certPem,
          agent: false,
        },
        resolve,
      );
      req.on("error", reject);
      req.end();
    });
  }

  before(async () => {
    aws = await startLocalAws(suite);
    ca = await createTestCa();
    app = await startTlsApp(ca, "localhost");
    other = await startTlsApp(ca, "localhost");
    untrusted = await startTlsApp(await createTestCa(), "localhost");
    other.setHandler((_req, res) =>
      res.writeHead(200, { "content-type": "text/plain" }).end("the other app\n"),
    );
    untrusted.setHandler((_req, res) => res.writeHead(200).end("unreachable\n"));

    const web = express();
    web.use((req, _res, next) => {
      seen.push({ host: req.headers.host, cookie: req.headers.cookie, path: req.url });
      next();
    });
    web.use(
      iamAuth({
        accountId,
        sts: { serverId: app.authority, testStsEndpoint: aws.url },
        sessionSecrets: [randomBytes(32).toString("hex")],
        logger: (line) => appLog.push(line),
      }),
    );
    web.get("/", (req, res) => res.type("text/plain").send(`Hello ${req.iamIdentity?.arn ?? "nobody"}\n`));
    web.get("/go", (_req, res) => res.redirect(302, `${app.origin}/landing?from=go`));
    web.get("/to-other", (_req, res) => res.redirect(302, `${other.origin}/hello`));
    web.get("/elsewhere", (_req, res) => res.redirect(302, "https://sso.example.test/login?app=reports"));
    web.get("/landing", (req, res) =>
      res.type("text/plain").send(`landed as ${req.iamIdentity?.arn ?? "nobody"}\n`),
    );
    web.get("/prefs", (_req, res) => {
      res.setHeader("Set-Cookie", "pref=compact; Domain=localhost; Path=/; Secure; HttpOnly");
      res.type("text/plain").send("saved\n");
    });
    web.get("/show", (req, res) => {
      const pref = /(?:^|; )pref=([^;]*)/.exec(req.headers.cookie ?? "")?.[1] ?? "none";
      res.type("text/plain").send(`${req.iamIdentity?.arn ?? "nobody"} pref=${pref}\n`);
    });
    web.post("/echo", express.text({ type: "*/*" }), (req, res) => {
      res.type("text/plain").send(`${req.iamIdentity?.arn ?? "nobody"} posted ${String(req.body)}\n`);
    });
    app.setHandler(web);

    // Websockets on /ws need a session: the upgrade is checked with the app's own whoami, and a
    // handshake without a session gets whoami's answer (the IAM challenge) instead of 101.
    wss = new WebSocketServer({ noServer: true });
    app.server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      socket.on("error", () => socket.destroy());
      seen.push({ host: req.headers.host, cookie: req.headers.cookie, path: req.url ?? "" });
      whoami(req.headers.cookie).then(
        (answer) => {
          const chunks: Buffer[] = [];
          answer.on("data", (chunk: Buffer) => chunks.push(chunk));
          answer.on("end", () => {
            const body = Buffer.concat(chunks).toString("utf8");
            if (answer.statusCode !== 200) {
              const lines = [`HTTP/1.1 ${answer.statusCode} ${answer.statusMessage}`];
              for (let i = 0; i < answer.rawHeaders.length; i += 2) {
                const name = answer.rawHeaders[i] ?? "";
                if (!/^(connection|keep-alive|transfer-encoding|content-length)$/i.test(name))
                  lines.push(`${name}: ${answer.rawHeaders[i + 1]}`);
              }
              socket.end(
                `${lines.join("\r\n")}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
              );
              return;
            }
            const { arn } = JSON.parse(body) as { arn: string };
            wss.handleUpgrade(req, socket, head, (ws) => {
              ws.send(`hello ${arn}`);
              ws.on("message", (data: Buffer) => ws.send(`echo ${data.toString("utf8")}`));
            });
          });
        },
        () => socket.destroy(),
      );
    });

    // The demo user's credentials, found by the SDK's default chain in this (test-only) process.
    for (const [name, value] of Object.entries(awsEnvFor(aws.url, users.demo))) {
      savedEnv.set(name, process.env[name]);
      process.env[name] = value;
    }
  });

  after(async () => {
    for (const { proxy, logger } of proxies) {
      await proxy.close();
      await logger.end();
    }
    for (const client of wss?.clients ?? []) client.terminate();
    wss?.close();
    await Promise.all([app?.close(), other?.close(), untrusted?.close()]);
    await aws?.stop();
    for (const [name, value] of savedEnv) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  describe("a plain HTTP client with no proxy settings", () => {
    let local: string;
    let otherLocal: string;
    let logger: ReturnType<typeof createTestLogger>;
    /** What a browser keeps: the cookies the proxy hands out. */
    const browserJar = new CookieJar();

    before(async () => {
      ({
        logger,
        local: [local = "", otherLocal = ""],
      } = await startReverseProxy("reverse-proxy"));
      await aws.resetCalls();
    });

    it("gets the protected page on its first request, with the session cookies made for http", async () => {
      const result = await httpRequest(`${local}/`);
      assert.equal(result.status, 200, result.body);
      assert.equal(result.body, `Hello ${DEMO_ARN}\n`);
      const lines = setCookies(result);
      assert.deepEqual(lines.map(cookieName), ["iam-auth-session", "iam-auth-session.sig"]);
      for (const line of lines) {
        assert.doesNotMatch(
          line,
          /;\s*(secure|domain=)/i,
          `the browser gets no Secure and no Domain: ${line}`,
        );
        assert.match(line, /;\s*httponly/i);
        assert.match(line, /;\s*samesite=lax/i);
      }
      browserJar.store(result.headers);
      // The app saw itself addressed by its own authority, so its STS server-id check passed.
      assert.deepEqual(
        seen.filter((request) => request.path.startsWith("/auth")).map((request) => request.host),
        [app.authority],
      );
      assert.equal(logins(logger).length, 1);
      assert.match(
        logins(logger)[0] ?? "",
        new RegExp(` login host=${app.authority} identity=${DEMO_ARN} method=sts outcome=signed-in$`),
      );
      // The STS method: the app verified the proof with STS; the proxy made no AWS call.
      assert.deepEqual(await aws.calls(), { "sts:GetCallerIdentity": 1 });
    });

    it("gets the app's redirect to itself rewritten to the local address, and follows it", async () => {
      const result = await httpRequest(`${local}/go`, { headers: browserJar.header() });
      assert.equal(result.status, 302);
      assert.equal(result.headers.location, `${local}/landing?from=go`);
      const landed = await httpRequest(result.headers.location, { headers: browserJar.header() });
      assert.deepEqual([landed.status, landed.body], [200, `landed as ${DEMO_ARN}\n`]);
    });

    it("gets a redirect to another upstream rewritten to that upstream's local address", async () => {
      const result = await httpRequest(`${local}/to-other`, { headers: browserJar.header() });
      assert.equal(result.status, 302);
      assert.equal(result.headers.location, `${otherLocal}/hello`);
      const landed = await httpRequest(result.headers.location);
      assert.deepEqual([landed.status, landed.body], [200, "the other app\n"]);
    });

    it("gets a redirect to any other site untouched", async () => {
      const result = await httpRequest(`${local}/elsewhere`, { headers: browserJar.header() });
      assert.deepEqual(
        [result.status, result.headers.location],
        [302, "https://sso.example.test/login?app=reports"],
      );
    });

    it("keeps a Secure; HttpOnly; Domain cookie and sends it back over http, where the app gets it over TLS", async () => {
      const saved = await httpRequest(`${local}/prefs`, { headers: browserJar.header() });
      assert.equal(saved.status, 200);
      assert.deepEqual(setCookies(saved), ["pref=compact; Path=/; HttpOnly"]);
      browserJar.store(saved.headers);
      const shown = await httpRequest(`${local}/show`, { headers: browserJar.header() });
      assert.deepEqual([shown.status, shown.body], [200, `${DEMO_ARN} pref=compact\n`]);
    });

    it("signs in with the browser's own session cookie through another proxy that holds none (no new sign-in)", async () => {
      const fresh = await startReverseProxy("reverse-proxy-fresh", [app]);
      await aws.resetCalls();
      const result = await httpRequest(`${fresh.local[0] ?? ""}/show`, { headers: browserJar.header() });
      assert.deepEqual([result.status, result.body], [200, `${DEMO_ARN} pref=compact\n`]);
      assert.deepEqual(logins(fresh.logger), []);
      assert.deepEqual(await aws.calls(), {});
    });

    it("refuses a request for a host name that is not local (DNS rebinding), before reaching the app", async () => {
      const before = seen.length;
      const port = new URL(local).port;
      const result = await httpRequest(`${local}/`, { headers: { host: `attacker.example:${port}` } });
      assert.equal(result.status, 403);
      assert.equal(
        result.body,
        `HOST_NOT_ALLOWED: Refusing a request for host "attacker.example:${port}": this proxy for ${app.origin} answers only to ` +
          "localhost, *.localhost, IP addresses and the host it is bound to (a web page may be trying to reach it through DNS rebinding)\n",
      );
      assert.equal(seen.length, before);
    });

    it("adds neither its session nor a sign-in to a post another site's page makes", async () => {
      const crossSite = {
        "content-type": "text/plain",
        "sec-fetch-site": "cross-site",
        "sec-fetch-mode": "cors",
        origin: "https://attacker.example",
      };
      const loginsBefore = logins(logger).length;
      const forged = await httpRequest(`${local}/echo`, {
        method: "POST",
        headers: crossSite,
        body: "delete everything",
      });
      assert.equal(forged.status, 401);
      assert.match(String(forged.headers["www-authenticate"]), /^IAM realm="111122223333"/);
      assert.equal(seen.filter((request) => request.path === "/echo").at(-1)?.cookie, undefined);
      assert.equal(logins(logger).length, loginsBefore);
      // The same post from curl (no fetch metadata) is the person's own: the proxy's session is added.
      const own = await httpRequest(`${local}/echo`, {
        method: "POST",
        headers: { "content-type": "text/plain" },
        body: "hello",
      });
      assert.deepEqual([own.status, own.body], [200, `${DEMO_ARN} posted hello\n`]);
    });

    it("opens a websocket with the browser's session cookie through a proxy that holds none, and echoes", async () => {
      const fresh = await startReverseProxy("reverse-proxy-websocket-cookie", [app]);
      const url = `${(fresh.local[0] ?? "").replace(/^http/, "ws")}/ws`;
      const messages = await talkOverWebSocket(url, browserJar.header(), "ping");
      assert.deepEqual(messages.received, [`hello ${DEMO_ARN}`, "echo ping"]);
      const handshake = seen.filter((request) => request.path === "/ws").at(-1);
      assert.equal(handshake?.host, app.authority);
      assert.equal(handshake?.cookie, browserJar.header().cookie);
      assert.deepEqual(logins(fresh.logger), []);
    });

    it("opens a websocket with the proxy's session when the client sends no cookie (no new sign-in)", async () => {
      const loginsBefore = logins(logger).length;
      const messages = await talkOverWebSocket(`${local.replace(/^http/, "ws")}/ws`, {}, "pong");
      assert.deepEqual(messages.received, [`hello ${DEMO_ARN}`, "echo pong"]);
      const handshake = seen.filter((request) => request.path === "/ws").at(-1);
      assert.match(handshake?.cookie ?? "", /^iam-auth-session=[^;]+; iam-auth-session\.sig=[^;]+$/);
      assert.equal(logins(logger).length, loginsBefore);
    });

    it("relays the challenge to a websocket another site's page opens, without the proxy's session (websocket hijacking)", async () => {
      const loginsBefore = logins(logger).length;
      const refused = await openWebSocketExpectingRefusal(`${local.replace(/^http/, "ws")}/ws`, {
        origin: "https://attacker.example",
        "sec-fetch-site": "cross-site",
        "sec-fetch-mode": "websocket",
      });
      assert.equal(refused.status, 401);
      assert.match(refused.wwwAuthenticate, /^IAM realm="111122223333"/);
      assert.equal(seen.filter((request) => request.path === "/ws").at(-1)?.cookie, undefined);
      assert.equal(logins(logger).length, loginsBefore);
    });

    it("answers 502 naming the problem when the upstream's certificate is not trusted", async () => {
      const wary = await startReverseProxy("reverse-proxy-untrusted", [untrusted]);
      const result = await httpRequest(`${wary.local[0] ?? ""}/`);
      assert.equal(result.status, 502);
      assert.equal(
        result.body,
        `UPSTREAM_CERTIFICATE_INVALID: The certificate of ${untrusted.authority} is not trusted: UNABLE_TO_VERIFY_LEAF_SIGNATURE (pass its CA with --upstream-ca)\n`,
      );
      assert.equal(result.headers["iam-auth-proxy-error"], "UPSTREAM_CERTIFICATE_INVALID");
      assert.match(
        wary.logger.lines.join("\n"),
        / reverse .*outcome=upstream-failed code=UPSTREAM_CERTIFICATE_INVALID cause=UNABLE_TO_VERIFY_LEAF_SIGNATURE/,
      );
    });
  });

  it("signs in for a websocket whose handshake the app challenges (no session anywhere yet)", async () => {
    const { local, logger } = await startReverseProxy("reverse-proxy-websocket", [app]);
    const messages = await talkOverWebSocket(`${(local[0] ?? "").replace(/^http/, "ws")}/ws`, {}, "first");
    assert.deepEqual(messages.received, [`hello ${DEMO_ARN}`, "echo first"]);
    // The 101 carries the new session for the browser, made for http.
    assert.deepEqual(messages.setCookies.map(cookieName), ["iam-auth-session", "iam-auth-session.sig"]);
    for (const line of messages.setCookies) assert.doesNotMatch(line, /;\s*(secure|domain=)/i);
    assert.equal(logins(logger).length, 1);
  });

  it("with the redirect login flow, sends the client to the local /auth with the token, and it comes back signed in", async () => {
    const { local, logger } = await startReverseProxy("reverse-proxy-redirect-flow", [app], "redirect");
    const origin = local[0] ?? "";
    const jar = new CookieJar();
    const challenged = await httpRequest(`${origin}/landing?from=mail`);
    assert.equal(challenged.status, 302);
    const location = challenged.headers.location ?? "";
    assert.match(
      location,
      new RegExp(`^//${new URL(origin).host}/auth\\?return_url=%2Flanding%3Ffrom%3Dmail&token=sts1\\.`),
    );
    // The 302 carries the app's nonce cookie, rewritten for the local origin: the browser brings it to /auth.
    const nonceCookies = setCookies(challenged);
    assert.equal(nonceCookies.length, 1);
    for (const line of nonceCookies) assert.doesNotMatch(line, /;\s*(secure|domain=)/i);
    jar.store(challenged.headers);
    const auth = await httpRequest(new URL(location, origin).href, { headers: jar.header() });
    assert.deepEqual([auth.status, auth.headers.location], [302, "/landing?from=mail"]);
    for (const line of setCookies(auth)) assert.doesNotMatch(line, /;\s*(secure|domain=)/i);
    jar.store(auth.headers);
    const landed = await httpRequest(`${origin}/landing?from=mail`, { headers: jar.header() });
    assert.deepEqual([landed.status, landed.body], [200, `landed as ${DEMO_ARN}\n`]);
    assert.match(logins(logger).join("\n"), / login host=\S+ identity=\S+ method=sts outcome=redirected$/);
  });

  it("the real CLI, `--upstream URL --bind 127.0.0.1:0 --upstream-ca FILE`, serves the app to a plain HTTP client signed in on its first request", async () => {
    const dir = mkdtempSync(join(tmpdir(), "iam-auth-proxy-reverse-cli-"));
    const caFile = join(dir, "upstream-ca.pem");
    writeFileSync(caFile, ca.certPem);
    let cli: RunningService | undefined;
    try {
      // The demo user's credentials reach the child only through its environment (the SDK's chain).
      cli = await startService({
        script: "proxy/cli/main.js",
        args: ["--upstream", app.origin, "--bind", "127.0.0.1:0", "--upstream-ca", caFile],
        env: awsEnvFor(aws.url, users.demo),
        logName: `${suite}/cli.log`,
      });
      const { url } = cli;
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
      await waitForOutput(cli, new RegExp(` reverse url=${url} upstream=${app.origin}\n`));
      // The start-up identity line, logged once the proxy listens.
      await waitForOutput(cli, new RegExp(` credentials identity=${DEMO_ARN} account=${accountId}\n`));

      const authsBefore = seen.filter((request) => request.path.startsWith("/auth")).length;
      const result = await httpRequest(`${url}/`);
      assert.equal(result.status, 200, result.body);
      assert.equal(result.body, `Hello ${DEMO_ARN}\n`);
      assert.deepEqual(setCookies(result).map(cookieName), ["iam-auth-session", "iam-auth-session.sig"]);
      for (const line of setCookies(result)) assert.doesNotMatch(line, /;\s*(secure|domain=)/i);
      assert.equal(seen.filter((request) => request.path.startsWith("/auth")).length, authsBefore + 1);
      await waitForOutput(
        cli,
        new RegExp(` login host=${app.authority} identity=${DEMO_ARN} method=sts outcome=signed-in\n`),
      );
    } finally {
      await cli?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    assert.equal(cli.process.exitCode, 0);
    assert.match(cli.output(), / shutdown signal=SIGTERM\n/);
  });

  it("Chromium with no proxy opens the app, follows its redirect and keeps its session on http://127.0.0.1", async () => {
    const { local } = await startReverseProxy("reverse-proxy-chromium", [app]);
    const origin = local[0] ?? "";
    const browser = await launchBrowser(suite);
    try {
      const home = await browser.page.goto(`${origin}/`);
      assert.equal(home?.status(), 200);
      assert.equal((await browser.page.textContent("body"))?.trim(), `Hello ${DEMO_ARN}`);
      const landed = await browser.page.goto(`${origin}/go`);
      assert.equal(browser.page.url(), `${origin}/landing?from=go`);
      assert.equal(landed?.status(), 200);
      const session = (await browser.cookies(origin)).find((cookie) => cookie.name === "iam-auth-session");
      assert.ok(session !== undefined, "Chromium kept the session cookie");
      assert.deepEqual([session.domain, session.secure, session.httpOnly], ["127.0.0.1", false, true]);
    } finally {
      await browser.close();
    }
  });
});

/** Resolves once the process has printed a line matching `pattern` (10 s at most). */
async function waitForOutput(service: RunningService, pattern: RegExp, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(service.output())) {
    if (Date.now() > deadline) {
      throw new Error(`no output matching ${String(pattern)}; output:\n${service.output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Opens a websocket with `headers`, sends `message` after the first message, and collects two messages. */
function talkOverWebSocket(
  url: string,
  headers: Record<string, string>,
  message: string,
): Promise<{ readonly received: string[]; readonly setCookies: string[] }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    const received: string[] = [];
    let setCookies: string[] = [];
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`websocket ${url}: got ${JSON.stringify(received)} before the timeout`));
    }, 10_000);
    ws.on("upgrade", (response: IncomingMessage) => {
      setCookies = response.headers["set-cookie"] ?? [];
    });
    ws.on("unexpected-response", (_req, response: IncomingMessage) => {
      clearTimeout(timer);
      reject(new Error(`websocket ${url}: HTTP ${response.statusCode}`));
    });
    ws.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    ws.on("message", (data: Buffer) => {
      received.push(data.toString("utf8"));
      if (received.length === 1) ws.send(message);
      if (received.length === 2) {
        clearTimeout(timer);
        ws.close();
        resolve({ received, setCookies });
      }
    });
  });
}

/** Opens a websocket the upstream is expected to refuse; resolves with the refusal's status and challenge. */
function openWebSocketExpectingRefusal(
  url: string,
  headers: Record<string, string>,
): Promise<{ readonly status: number | undefined; readonly wwwAuthenticate: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.on("open", () => {
      ws.terminate();
      reject(new Error(`websocket ${url} opened; expected a refusal`));
    });
    ws.on("unexpected-response", (_req, response: IncomingMessage) => {
      response.resume();
      resolve({ status: response.statusCode, wwwAuthenticate: String(response.headers["www-authenticate"]) });
      ws.terminate();
    });
    ws.on("error", reject);
  });
}
