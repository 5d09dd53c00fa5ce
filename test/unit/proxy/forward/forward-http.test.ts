import assert from "node:assert/strict";
import { once } from "node:events";
import http from "node:http";
import net from "node:net";
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import {
  createProxyServer,
  parseBindAddress,
  type ProxyServer,
  parseHostPattern,
} from "../../../../proxy/index.js";
import {
  createChallengeHead,
  createCredentialsProviderError,
  createFakeAws,
  createMemoryLogger,
  FAKE_CIPHERTEXT_PREFIX,
  listenOnLoopback,
} from "../fakes.js";
import {
  delegatingLogin,
  requestThroughProxy,
  sendChallenge,
  type ProxiedResponse,
  type SeenRequest,
} from "../proxy-harness.js";

describe("HTTP forwarding", () => {
  const seen: SeenRequest[] = [];
  let respond: (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;
  const upstream = http.createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (body += chunk));
    req.on("end", () => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      respond(req, res, body);
    });
  });
  let upstreamConnections = 0;
  upstream.on("connection", () => upstreamConnections++);
  let upstreamPort = 0;
  let upstreamHost = "";
  let proxy: ProxyServer;
  let proxyPort = 0;
  let fake = createFakeAws();
  let logger = createMemoryLogger();

  before(async () => {
    upstreamPort = await listenOnLoopback(upstream);
    upstreamHost = `127.0.0.1:${upstreamPort}`;
  });
  after(async () => {
    upstream.closeAllConnections();
    await new Promise((resolve) => upstream.close(resolve));
  });
  beforeEach(async () => {
    seen.length = 0;
    upstreamConnections = 0;
    respond = (_req, res) => res.end("ok");
    fake = createFakeAws();
    logger = createMemoryLogger();
    // The original's flow (302 to /auth); self-login.test.ts covers the default, signing in itself.
    // The login goes through `fake.deps` indirectly so a test can swap the fake before requesting.
    proxy = createProxyServer({
      // The test apps send the original's KMS challenge: name them, as a person would with --kms-host.
      kmsHosts: [parseHostPattern("127.0.0.1")],
      bind: parseBindAddress("127.0.0.1:0"),
      logger,
      loginFlow: "redirect",
      login: delegatingLogin(() => fake.deps),
    });
    const [url] = await proxy.listen();
    proxyPort = Number(new URL(url ?? "").port);
    logger.lines.length = 0; // keep only what the test itself causes
  });
  afterEach(() => proxy.close());

  describe("when the app answers normally", () => {
    it("relays status, status message, headers (repeated ones too) and body", async () => {
      respond = (_req, res, body) => {
        res.writeHead(201, "Made It", [
          ["X-Echo-Length", String(body.length)],
          ["Set-Cookie", "a=1"],
          ["Set-Cookie", "b=2"],
        ]);
        res.end(`got:${body}`);
      };
      const response = await requestThroughProxy(proxyPort, `http://${upstreamHost}/items?x=1`, {
        method: "POST",
        body: "payload",
        headers: { "content-type": "text/plain" },
      });
      assert.equal(response.status, 201);
      assert.equal(response.statusMessage, "Made It");
      assert.equal(response.headers["x-echo-length"], "7");
      assert.deepEqual(response.headers["set-cookie"], ["a=1", "b=2"]);
      assert.equal(response.body, "got:payload");
      assert.equal(seen[0]?.method, "POST");
      assert.equal(seen[0]?.body, "payload");
    });

    it("streams a chunked body", async () => {
      respond = (_req, res) => {
        res.write("part1,");
        setTimeout(() => res.end("part2"), 20);
      };
      const response = await requestThroughProxy(proxyPort, `http://${upstreamHost}/stream`);
      assert.equal(response.body, "part1,part2");
    });

    it("forwards the path and query exactly as sent (never re-encoded, // kept)", async () => {
      await requestThroughProxy(proxyPort, `http://${upstreamHost}/a//b/%2F/c|d?q=1&r=%20`);
      assert.equal(seen[0]?.url, "/a//b/%2F/c|d?q=1&r=%20");
    });

    it("sends the request target's authority as Host, whatever Host the client sent", async () => {
      await requestThroughProxy(proxyPort, `http://${upstreamHost}/`, { headers: { host: "evil.example" } });
      assert.equal(seen[0]?.headers.host, upstreamHost);
    });

    it("passes a 401 of another scheme through untouched", async () => {
      respond = (_req, res) => {
        res.writeHead(401, { "WWW-Authenticate": 'Basic realm="intranet"' });
        res.end("who are you?");
      };
      const response = await requestThroughProxy(proxyPort, `http://${upstreamHost}/`);
      assert.equal(response.status, 401);
      assert.equal(response.headers["www-authenticate"], 'Basic realm="intranet"');
      assert.equal(response.body, "who are you?");
      assert.equal(fake.calls.resolveCredentials, 0);
    });
  });

  describe("request bodies and cookies", () => {
    it("sends a GET without a body as it came: no Content-Length, no Transfer-Encoding", async () => {
      await requestThroughProxy(proxyPort, `http://${upstreamHost}/plain`);
      assert.equal(seen[0]?.headers["content-length"], undefined);
      assert.equal(seen[0]?.headers["transfer-encoding"], undefined);
    });

    it("sends a POST that announced no body with Content-Length: 0", async () => {
      const socket = net.connect(proxyPort, "127.0.0.1");
      socket.on("error", () => undefined);
      await once(socket, "connect");
      const answered = once(socket, "data");
      socket.write(`POST http://${upstreamHost}/empty HTTP/1.1\r\nHost: ${upstreamHost}\r\n\r\n`);
      await answered;
      socket.destroy();
      assert.equal(seen[0]?.method, "POST");
      assert.equal(seen[0]?.headers["content-length"], "0");
      assert.equal(seen[0]?.body, "");
    });

    it("sends the client's Cookie field exactly as it came when the proxy has no cookie to add", async () => {
      await requestThroughProxy(proxyPort, `http://${upstreamHost}/`, { headers: { cookie: "a=1;b=2" } });
      assert.equal(seen[0]?.headers.cookie, "a=1;b=2");
    });
  });

  describe("when the client goes away", () => {
    /** The app's side of the next request it receives, once it has arrived. */
    const nextAppResponse = (): Promise<http.ServerResponse> =>
      new Promise((resolve) => {
        respond = (_req, res) => resolve(res);
      });

    it(
      "destroys the request to the app when the client leaves before the app answers",
      { timeout: 5000 },
      async () => {
        const appResponse = nextAppResponse();
        const socket = net.connect(proxyPort, "127.0.0.1");
        socket.on("error", () => undefined);
        await once(socket, "connect");
        socket.write(`GET http://${upstreamHost}/slow HTTP/1.1\r\nHost: ${upstreamHost}\r\n\r\n`);
        const res = await appResponse;
        const appSawClose = once(res, "close");
        socket.destroy();
        await appSawClose;
        assert.equal(res.writableFinished, false);
      },
    );

    it("stops reading the app's response when the client leaves mid-body", { timeout: 5000 }, async () => {
      const appResponse = nextAppResponse();
      const socket = net.connect(proxyPort, "127.0.0.1");
      socket.on("error", () => undefined);
      await once(socket, "connect");
      socket.write(`GET http://${upstreamHost}/stream HTTP/1.1\r\nHost: ${upstreamHost}\r\n\r\n`);
      const res = await appResponse;
      res.writeHead(200, { "Content-Type": "text/plain" });
      res.write("first part of a body that never ends");
      await once(socket, "data");
      const appSawClose = once(res, "close");
      socket.destroy();
      await appSawClose;
      assert.equal(res.writableFinished, false);
    });
  });

  describe("hop-by-hop fields (RFC 9110 §7.6.1)", () => {
    it("are removed from the response, with the fields Connection names", async () => {
      respond = (_req, res) => {
        res.writeHead(200, [
          ["Connection", "keep-alive, X-Hop"],
          ["X-Hop", "1"],
          ["Keep-Alive", "timeout=99, max=7"],
          ["Proxy-Connection", "keep-alive"],
          ["Trailer", "X-Checksum"],
          ["Upgrade", "h2c"],
          ["X-End-To-End", "kept"],
        ]);
        res.end("body");
      };
      const response = await requestThroughProxy(proxyPort, `http://${upstreamHost}/`);
      assert.equal(response.headers["x-hop"], undefined);
      assert.equal(response.headers["proxy-connection"], undefined);
      assert.equal(response.headers.trailer, undefined);
      assert.equal(response.headers.upgrade, undefined);
      assert.equal(response.headers["x-end-to-end"], "kept");
      // Node may write its own Keep-Alive for the client connection; the app's value is gone.
      assert.notEqual(response.headers["keep-alive"], "timeout=99, max=7");
      assert.ok(!/x-hop/i.test(response.headers.connection ?? ""));
      assert.equal(response.body, "body");
    });

    it("are removed from the request, with Proxy-Authorization and Proxy-Connection", async () => {
      await requestThroughProxy(proxyPort, `http://${upstreamHost}/`, {
        headers: {
          "proxy-authorization": "Basic c2VjcmV0",
          "proxy-connection": "keep-alive",
          connection: "X-Client-Hop",
          "x-client-hop": "1",
          te: "trailers",
          "x-end-to-end": "kept",
        },
      });
      const headers = seen[0]?.headers ?? {};
      assert.equal(headers["proxy-authorization"], undefined);
      assert.equal(headers["proxy-connection"], undefined);
      assert.equal(headers["x-client-hop"], undefined);
      assert.equal(headers.te, undefined);
      assert.equal(headers["x-end-to-end"], "kept");
    });
  });

  describe("when the app sends an IAM challenge (loginFlow: redirect, the original's flow)", () => {
    beforeEach(() => {
      respond = (_req, res) => sendChallenge(res, createChallengeHead());
    });

    it("answers 302 to /auth with the token only in Location, never cached, and logs the login", async () => {
      const response = await requestThroughProxy(proxyPort, `http://${upstreamHost}/private?x=1`);
      assert.equal(response.status, 302);
      const location = response.headers.location ?? "";
      assert.match(
        location,
        new RegExp(`^//127\\.0\\.0\\.1:${upstreamPort}/auth\\?return_url=%2Fprivate%3Fx%3D1&token=`),
      );
      const token = decodeURIComponent(location.slice(location.indexOf("&token=") + "&token=".length));
      assert.ok(Buffer.from(token, "base64").toString("utf8").startsWith(FAKE_CIPHERTEXT_PREFIX));
      assert.equal(response.headers["cache-control"], "no-store");
      assert.equal(response.headers["content-type"], "text/plain; charset=utf-8");
      assert.equal(response.body, `Signing in to ${upstreamHost} with your AWS identity\n`);
      assert.deepEqual(logger.lines, [
        `login host=${upstreamHost} identity=arn:aws:iam::111122223333:user/demo method=kms outcome=redirected`,
      ]);
    });

    it("answers 503 when there are no credentials, and logs the denial without secrets", async () => {
      fake = createFakeAws({
        credentialsError: createCredentialsProviderError("Could not load credentials from any providers"),
      });
      const response = await requestThroughProxy(proxyPort, `http://${upstreamHost}/private`);
      assert.equal(response.status, 503);
      const message =
        "No usable AWS credentials (Could not load credentials from any providers): set AWS_PROFILE or run " +
        "`aws configure` / `aws sso login`, then retry (see --profile, --assume-role-arn)";
      assert.equal(response.body, `NO_CREDENTIALS: ${message}\n`);
      assert.deepEqual(logger.lines, [
        `login host=${upstreamHost} identity=unknown method=kms outcome=denied code=NO_CREDENTIALS reason=${JSON.stringify(message)}`,
      ]);
    });

    it("drains the app's 401 body so the same upstream connection serves the next request", async () => {
      await requestThroughProxy(proxyPort, `http://${upstreamHost}/private`);
      await new Promise((resolve) => setTimeout(resolve, 20));
      respond = (_req, res) => res.end("second");
      const second = await requestThroughProxy(proxyPort, `http://${upstreamHost}/next`);
      assert.equal(second.body, "second");
      assert.equal(upstreamConnections, 1);
    });
  });

  describe("when the request cannot be forwarded", () => {
    it("answers 502 naming the host and error code when the app is down", async () => {
      const closed = net.createServer();
      const port = await listenOnLoopback(closed);
      await new Promise((resolve) => closed.close(resolve));
      const response = await requestThroughProxy(proxyPort, `http://127.0.0.1:${port}/`);
      assert.equal(response.status, 502);
      assert.equal(response.headers["content-type"], "text/plain; charset=utf-8");
      assert.equal(response.body, `UPSTREAM_UNREACHABLE: Cannot reach 127.0.0.1:${port}: ECONNREFUSED\n`);
      assert.deepEqual(logger.lines, [
        `forward host=127.0.0.1:${port} outcome=upstream-failed code=UPSTREAM_UNREACHABLE cause=ECONNREFUSED reason="Cannot reach 127.0.0.1:${port}: ECONNREFUSED"`,
      ]);
    });

    it("answers 400 to an origin-form request addressed to the proxy itself", async () => {
      const response = await new Promise<ProxiedResponse>((resolve, reject) => {
        http
          .get({ host: "127.0.0.1", port: proxyPort, path: "/reports", agent: false }, (res) => {
            let body = "";
            res.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
            res.on("end", () =>
              resolve({
                status: res.statusCode ?? 0,
                statusMessage: "",
                headers: res.headers,
                rawHeaders: [],
                body,
              }),
            );
          })
          .on("error", reject);
      });
      assert.equal(response.status, 400);
      assert.equal(
        response.body,
        `NOT_A_PROXY_REQUEST: This is an HTTP proxy: configure it as your proxy (e.g. curl -x http://127.0.0.1:${proxyPort} …)\n`,
      );
    });

    it("answers 400 to an absolute https:// request target", async () => {
      const response = await requestThroughProxy(proxyPort, "https://app.internal/");
      assert.equal(response.status, 400);
      assert.equal(
        response.body,
        'REQUEST_TARGET_INVALID: https:// URLs must be tunnelled with CONNECT, not sent to the proxy as requests (got "https://app.internal/")\n',
      );
    });

    it("survives a client that sends garbage, and serves the next request", async () => {
      const socket = net.connect(proxyPort, "127.0.0.1");
      socket.on("error", () => undefined);
      await once(socket, "connect");
      socket.write("\x00\x01GARBAGE \r\n\r\n");
      let reply = "";
      socket.on("data", (chunk: Buffer) => (reply += chunk.toString("latin1")));
      await once(socket, "close");
      assert.match(reply, /^HTTP\/1\.1 400 Bad Request\r\n/);
      assert.match(reply, /\r\nIam-Auth-Proxy-Error: REQUEST_INVALID\r\n/);
      assert.match(reply, /\r\n\r\nREQUEST_INVALID: Bad request: HPE_INVALID_METHOD\n$/);

      const next = await requestThroughProxy(proxyPort, `http://${upstreamHost}/after`);
      assert.equal(next.status, 200);
      assert.equal(next.body, "ok");
    });

    it("cuts the client's response short when the app hangs up mid-body, and keeps serving", async () => {
      respond = (_req, res) => {
        res.writeHead(200, { "Content-Length": "100" });
        res.write("only part of it");
        setTimeout(() => res.socket?.destroy(), 20);
      };
      await assert.rejects(requestThroughProxy(proxyPort, `http://${upstreamHost}/cut`));
      respond = (_req, res) => res.end("ok");
      const next = await requestThroughProxy(proxyPort, `http://${upstreamHost}/after`);
      assert.equal(next.body, "ok");
    });

    it("survives a client that hangs up mid-request", async () => {
      const socket = net.connect(proxyPort, "127.0.0.1");
      socket.on("error", () => undefined);
      await once(socket, "connect");
      socket.write(
        `POST http://${upstreamHost}/ HTTP/1.1\r\nHost: ${upstreamHost}\r\nContent-Length: 100\r\n\r\npartial`,
      );
      await new Promise((resolve) => setTimeout(resolve, 20));
      socket.destroy();
      const next = await requestThroughProxy(proxyPort, `http://${upstreamHost}/after`);
      assert.equal(next.status, 200);
    });
  });
});
