import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { connect } from "node:net";
import { after, before, beforeEach, describe, it } from "node:test";
import { parseBindAddress } from "../../../../proxy/http/bind-address.js";
import { createReverseProxy, type ReverseProxy } from "../../../../proxy/reverse/index.js";
import { httpRequest, type HttpResult } from "../../../helpers/http-client.js";
import { createTestCa } from "../../../helpers/tls-fixtures.js";
import {
  createFakeAws,
  createMemoryLogger,
  createStsChallengeHead,
  listenOnLoopback,
  NONCE,
} from "../fakes.js";
import { startRecordingApp, type RecordingApp, sendChallenge } from "../proxy-harness.js";

/** A raw request to the local address: Node's client would refuse to send some of these. */
function sendRaw(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.end(text));
    let answer = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => (answer += chunk));
    socket.on("close", () => resolve(answer));
    socket.on("error", reject);
  });
}

const get = (url: string, headers: Record<string, string> = {}): Promise<HttpResult> =>
  httpRequest(url, { headers });

describe("createReverseProxy with a plain-http upstream (fake AWS)", () => {
  let app: RecordingApp;
  let proxy: ReverseProxy;
  let local: string;
  const logger = createMemoryLogger();

  before(async () => {
    app = await startRecordingApp();
    proxy = createReverseProxy({
      upstreams: [{ origin: new URL(`http://${app.host}`), bind: parseBindAddress("127.0.0.1:0") }],
      login: createFakeAws().deps,
      logger,
    });
    const [listener] = await proxy.listen();
    local = listener?.urls[0] ?? "";
  });
  after(async () => {
    await proxy.close();
    await app.close();
  });
  beforeEach(() => app.reset());

  it("logs where each upstream is served", () => {
    assert.ok(
      logger.lines.includes(`reverse url=${local} upstream=http://${app.host}`),
      logger.lines.join("\n"),
    );
  });

  it("forwards to the upstream with its Host and the path as sent, and relays the answer", async () => {
    app.respond = (_req, res) => res.writeHead(200, { "x-app": "yes" }).end("from the app");
    const result = await get(`${local}/a//b?c=%2F`, {
      connection: "x-drop-me",
      "x-drop-me": "1",
      "x-keep": "2",
    });
    assert.deepEqual([result.status, result.headers["x-app"], result.body], [200, "yes", "from the app"]);
    assert.deepEqual(
      app.seen.map((seen) => [
        seen.url,
        seen.headers.host,
        seen.headers["x-keep"],
        seen.headers["x-drop-me"],
      ]),
      [["/a//b?c=%2F", app.host, "2", undefined]],
    );
  });

  it("signs in to a challenge whose server-id is the upstream's own authority", async () => {
    app.respond = (req, res) => {
      if (req.url?.startsWith("/auth?")) {
        res.writeHead(302, { location: "/", "set-cookie": "sid=fresh; Path=/; HttpOnly" }).end();
      } else if (req.headers.cookie === "sid=fresh") {
        res.end("signed in");
      } else {
        sendChallenge(res, createStsChallengeHead(app.host));
      }
    };
    const result = await get(`${local}/reports`);
    assert.deepEqual(
      [result.status, result.body, result.headers["set-cookie"]],
      [200, "signed in", ["sid=fresh; Path=/; HttpOnly"]],
    );
    const auth = app.seen.find((seen) => seen.url.startsWith("/auth?"));
    assert.match(auth?.url ?? "", new RegExp(`^/auth\\?return_url=%2Freports&token=sts1\\.${NONCE}\\.`));
  });

  it("refuses a challenge whose server-id is the local address (403 SERVER_ID_MISMATCH)", async () => {
    const localHost = new URL(local).host;
    app.respond = (_req, res) => sendChallenge(res, createStsChallengeHead(localHost));
    const result = await get(`${local}/other`, { cookie: "sid=stale" });
    assert.equal(result.status, 403);
    assert.equal(
      result.body,
      `SERVER_ID_MISMATCH: Refusing to sign in: the app at ${app.host} asked for a proof for server-id ${localHost} ` +
        "(a proof for another server would let this app sign in there as you)\n",
    );
    assert.deepEqual(
      app.seen.map((seen) => seen.url),
      ["/other"],
    );
  });

  it("answers a proxy-style request with 400, saying to open the address directly", async () => {
    const answer = await sendRaw(
      Number(new URL(local).port),
      "GET http://app.example.com/ HTTP/1.1\r\nHost: app.example.com\r\n\r\n",
    );
    assert.match(answer, /^HTTP\/1\.1 400 /);
    assert.ok(
      answer.endsWith(
        `This is a reverse proxy for http://${app.host}: open http://${new URL(local).host}/ directly, without proxy settings ` +
          '(got a request for "http://app.example.com/")\n',
      ),
      answer,
    );
    assert.deepEqual(app.seen, []);
  });

  it("refuses a Host that is not a local name (DNS rebinding) with 403 HOST_NOT_ALLOWED, before reaching the app", async () => {
    const port = new URL(local).port;
    const result = await get(`${local}/`, { host: `attacker.example:${port}` });
    const reason =
      `Refusing a request for host "attacker.example:${port}": this proxy for http://${app.host} answers only to ` +
      "localhost, *.localhost, IP addresses and the host it is bound to (a web page may be trying to reach it through DNS rebinding)";
    assert.deepEqual([result.status, result.body], [403, `HOST_NOT_ALLOWED: ${reason}\n`]);
    assert.ok(
      logger.lines.includes(
        `reverse-refused host=${app.host} code=HOST_NOT_ALLOWED status=403 reason=${JSON.stringify(reason)}`,
      ),
      logger.lines.join("\n"),
    );
    assert.deepEqual(app.seen, []);
  });

  it("answers CONNECT with 400", async () => {
    const answer = await sendRaw(
      Number(new URL(local).port),
      "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
    );
    assert.match(answer, /^HTTP\/1\.1 400 /);
    assert.ok(
      answer.endsWith(
        `This is a reverse proxy for http://${app.host}: open it directly in the browser, without proxy settings\n`,
      ),
      answer,
    );
  });
});

describe("createReverseProxy with an https upstream (test CA, fake AWS)", () => {
  let proxy: ReverseProxy;
  let local: string;
  let authority: string;
  const seen: { url: string; cookie: string | undefined }[] = [];
  const upstream = { close: (): Promise<void> => Promise.resolve() };

  before(async () => {
    const ca = await createTestCa("reverse-proxy unit test CA");
    const leaf = await ca.issue(["localhost"]);
    // An app whose session cookie is Secure, as nearly every https app's is.
    const server = createHttpsServer(
      { cert: leaf.certPem, key: leaf.keyPem },
      (req: IncomingMessage, res: ServerResponse) => {
        seen.push({ url: req.url ?? "", cookie: req.headers.cookie });
        if (req.url?.startsWith("/auth?") === true) {
          res.writeHead(302, { location: "/", "set-cookie": "sid=fresh; Path=/; Secure; HttpOnly" }).end();
        } else if (req.headers.cookie === "sid=fresh") {
          res.end("signed in");
        } else {
          sendChallenge(res, createStsChallengeHead(authority));
        }
      },
    );
    const port = await listenOnLoopback(server);
    authority = `localhost:${port}`;
    upstream.close = () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    proxy = createReverseProxy({
      upstreams: [{ origin: new URL(`https://${authority}`), bind: parseBindAddress("127.0.0.1:0") }],
      login: createFakeAws().deps,
      upstreamCa: [ca.certPem],
      logger: createMemoryLogger(),
    });
    const [listener] = await proxy.listen();
    local = listener?.urls[0] ?? "";
  });
  after(async () => {
    await proxy.close();
    await upstream.close();
  });

  it("keeps the app's Secure session cookie and sends it over TLS to the next request (regression: a sign-in per request)", async () => {
    const first = await get(`${local}/reports`);
    assert.deepEqual(
      [first.status, first.body, first.headers["set-cookie"]],
      [200, "signed in", ["sid=fresh; Path=/; HttpOnly"]],
    );
    // A client without a cookie store (curl) gets the proxy's session: no second sign-in.
    const second = await get(`${local}/reports`);
    assert.deepEqual([second.status, second.body], [200, "signed in"]);
    assert.deepEqual(
      seen.map((request) => [request.url.replace(/&token=.*$/, "&token=…"), request.cookie]),
      [
        ["/reports", undefined],
        ["/auth?return_url=%2Freports&token=…", undefined],
        ["/reports", "sid=fresh"],
        ["/reports", "sid=fresh"],
      ],
    );
  });
});

describe("createReverseProxy listening", () => {
  it("binds :PORT on loopback only, like forward mode", async () => {
    const proxy = createReverseProxy({
      upstreams: [{ origin: new URL("https://app.example.com"), bind: parseBindAddress(":0") }],
      login: createFakeAws().deps,
      logger: createMemoryLogger(),
    });
    try {
      const [listener] = await proxy.listen();
      assert.ok(listener !== undefined);
      assert.equal(listener.upstream, "https://app.example.com");
      assert.match(listener.urls[0] ?? "", /^http:\/\/127\.0\.0\.1:\d+$/);
      for (const url of listener.urls.slice(1)) assert.match(url, /^http:\/\/\[::1\]:\d+$/);
    } finally {
      await proxy.close();
    }
  });

  it("fails when a port is taken, closing the upstreams it had bound", async () => {
    const taken = createServer();
    const port = await listenOnLoopback(taken);
    const logger = createMemoryLogger();
    const proxy = createReverseProxy({
      upstreams: [
        { origin: new URL("https://a.example.com"), bind: parseBindAddress("127.0.0.1:0") },
        { origin: new URL("https://b.example.com"), bind: parseBindAddress(`127.0.0.1:${port}`) },
      ],
      login: createFakeAws().deps,
      logger,
    });
    try {
      await assert.rejects(proxy.listen(), { code: "EADDRINUSE" });
      const first = /reverse url=http:\/\/127\.0\.0\.1:(\d+) upstream=https:\/\/a\.example\.com/.exec(
        logger.lines.join("\n"),
      );
      assert.ok(first?.[1] !== undefined, "the first upstream was bound before the failure");
      await assert.rejects(get(`http://127.0.0.1:${first[1]}/`), { code: "ECONNREFUSED" });
    } finally {
      await proxy.close();
      taken.close();
    }
  });

  it("answers 502 naming the socket error when the upstream cannot be reached", async () => {
    const closed = createServer();
    const port = await listenOnLoopback(closed);
    await new Promise((resolve) => closed.close(resolve));
    const proxy = createReverseProxy({
      upstreams: [{ origin: new URL(`http://127.0.0.1:${port}`), bind: parseBindAddress("127.0.0.1:0") }],
      login: createFakeAws().deps,
      logger: createMemoryLogger(),
    });
    try {
      const [listener] = await proxy.listen();
      const result = await get(`${listener?.urls[0] ?? ""}/`);
      assert.deepEqual(
        [result.status, result.body],
        [502, `UPSTREAM_UNREACHABLE: Cannot reach 127.0.0.1:${port}: ECONNREFUSED\n`],
      );
    } finally {
      await proxy.close();
    }
  });
});
