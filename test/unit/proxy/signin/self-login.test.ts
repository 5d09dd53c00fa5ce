import assert from "node:assert/strict";
import http from "node:http";
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import { parseStsProof } from "../../../../protocol/index.js";
import {
  createProxyServer,
  parseBindAddress,
  type ProxyServer,
  type ProxyServerOptions,
  parseHostPattern,
} from "../../../../proxy/index.js";
import {
  createChallengeHead,
  createCredentialsProviderError,
  createFakeAws,
  createMemoryLogger,
  createStsChallengeHead,
  FAKE_CIPHERTEXT_PREFIX,
  NONCE,
} from "../fakes.js";
import {
  delegatingLogin,
  requestThroughProxy,
  sendChallenge,
  startRecordingApp,
  type RecordingApp,
} from "../proxy-harness.js";

const demoArn = "arn:aws:iam::111122223333:user/demo";

/** How the fake app behaves: an IAM-protected app with a cookie session, as the middleware is. */
interface AppBehaviour {
  /** The challenge it sends. Default: the original's KMS challenge. */
  challenge?: () => { headersDistinct: Record<string, string[] | undefined> };
  /** How /auth answers. Default: 302 to return_url with `sid=s1; Path=/; HttpOnly`. */
  auth?: (res: http.ServerResponse, returnUrl: string) => void;
  /** Whether the session cookie is accepted afterwards. Default true. */
  acceptsSession?: boolean;
}

function protectedApp(app: RecordingApp, behaviour: AppBehaviour = {}): void {
  app.respond = (req, res, body) => {
    const url = new URL(req.url ?? "/", "http://app");
    if (url.pathname === "/auth") {
      const returnUrl = url.searchParams.get("return_url") ?? "/";
      if (behaviour.auth !== undefined) behaviour.auth(res, returnUrl);
      else res.writeHead(302, { location: returnUrl, "set-cookie": "sid=s1; Path=/; HttpOnly" }).end();
      return;
    }
    const signedIn = /(?:^|;\s*)sid=s1(?:;|$)/.test(req.headers.cookie ?? "");
    if (signedIn && behaviour.acceptsSession !== false) {
      res.end(`hello ${req.method ?? ""} ${req.url ?? ""} body=${body}`);
      return;
    }
    sendChallenge(res, (behaviour.challenge ?? createChallengeHead)());
  };
}

describe("signing in on the client's behalf (loginFlow: proxy, the default)", () => {
  let app: RecordingApp;
  let proxy: ProxyServer;
  let proxyPort = 0;
  let fake = createFakeAws();
  let logger = createMemoryLogger();

  async function startProxy(options: Partial<ProxyServerOptions> = {}): Promise<void> {
    await proxy?.close();
    proxy = createProxyServer({
      // The test apps send the original's KMS challenge: name them, as a person would with --kms-host.
      kmsHosts: [parseHostPattern("127.0.0.1")],
      bind: parseBindAddress("127.0.0.1:0"),
      logger,
      login: delegatingLogin(() => fake.deps),
      ...options,
    });
    const [url] = await proxy.listen();
    proxyPort = Number(new URL(url ?? "").port);
    logger.lines.length = 0;
  }
  const get = (path: string, headers: Record<string, string> = {}) =>
    requestThroughProxy(proxyPort, `http://${app.host}${path}`, { headers });
  const authRequests = () => app.seen.filter((request) => request.url.startsWith("/auth?"));

  before(async () => {
    app = await startRecordingApp();
  });
  after(() => app.close());
  beforeEach(async () => {
    app.reset();
    protectedApp(app);
    fake = createFakeAws();
    logger = createMemoryLogger();
    await startProxy();
  });
  afterEach(() => proxy.close());

  describe("requests another site's page made the browser send (cross-site request forgery)", () => {
    const post = (headers: Record<string, string>) =>
      requestThroughProxy(proxyPort, `http://${app.host}/transfer`, {
        method: "POST",
        body: "to=attacker",
        headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
      });

    it("does not sign in for a form post from another origin: the challenge reaches the browser", async () => {
      const response = await post({ origin: "http://evil.example" });
      assert.equal(response.status, 401);
      assert.match(String(response.headers["www-authenticate"]), /^IAM realm=/);
      assert.equal(authRequests().length, 0);
      assert.equal(fake.calls.encrypt.length + fake.calls.resolveCredentials, 0, "no AWS call");
      assert.deepEqual(logger.lines, [
        `challenge host=${app.host} outcome=passed-through reason="another site's page sent this request; the proxy does not sign in for it"`,
      ]);
    });

    it("does not add the session it holds to another site's request", async () => {
      assert.equal((await get("/")).status, 200, "signed in: the proxy's jar holds sid=s1");
      app.reset();
      protectedApp(app);
      const forged = await post({ origin: "http://evil.example" });
      assert.equal(forged.status, 401);
      const fetched = await get("/api", { origin: "https://evil.example", "sec-fetch-site": "cross-site" });
      assert.equal(fetched.status, 401);
      assert.deepEqual(
        app.seen.map((request) => request.headers.cookie),
        [undefined, undefined],
        "the app never saw the session",
      );
    });

    it("still signs in for the app's own pages and for people following a link", async () => {
      const own = await post({ origin: `http://${app.host}` });
      assert.equal(own.body, "hello POST /transfer body=to=attacker");
      app.reset();
      protectedApp(app);
      const followed = await get("/page", { "sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate" });
      assert.equal(followed.body, "hello GET /page body=");
      assert.equal(
        app.seen[0]?.headers.cookie,
        "sid=s1",
        "a top-level link gets the session, as SameSite=Lax",
      );
    });
  });

  describe("when the app challenges", () => {
    it("calls /auth itself and returns the app's page, with the session cookie, to the first request", async () => {
      const response = await get("/private?x=1");
      assert.equal(response.status, 200);
      assert.equal(response.body, "hello GET /private?x=1 body=");
      assert.deepEqual(response.headers["set-cookie"], ["sid=s1; Path=/; HttpOnly"]);
      assert.equal(response.headers.location, undefined, "no redirect: the token never reaches the client");
      assert.deepEqual(
        app.seen.map((request) => [
          request.method,
          request.url.replace(/&token=.*$/, "&token=…"),
          request.headers.cookie,
        ]),
        [
          ["GET", "/private?x=1", undefined],
          ["GET", "/auth?return_url=%2Fprivate%3Fx%3D1&token=…", undefined],
          ["GET", "/private?x=1", "sid=s1"],
        ],
      );
      const token = new URL(`http://app${authRequests()[0]?.url ?? ""}`).searchParams.get("token") ?? "";
      assert.ok(Buffer.from(token, "base64").toString("utf8").startsWith(FAKE_CIPHERTEXT_PREFIX));
      assert.deepEqual(logger.lines, [
        `login host=${app.host} identity=${demoArn} method=kms outcome=signed-in`,
      ]);
    });

    it("answers an STS challenge with an sts1 proof for this app's server-id and nonce", async () => {
      protectedApp(app, { challenge: () => createStsChallengeHead(app.host, "sts kms") });
      const response = await get("/");
      assert.equal(response.status, 200);
      const token = new URL(`http://app${authRequests()[0]?.url ?? ""}`).searchParams.get("token") ?? "";
      assert.equal(parseStsProof(token).nonce, NONCE);
      assert.equal(fake.calls.resolveCredentials, 1);
      assert.equal(
        fake.calls.getCallerIdentity + fake.calls.encrypt.length,
        0,
        "no AWS call for the STS method",
      );
      assert.deepEqual(logger.lines, [
        `login host=${app.host} identity=unknown method=sts outcome=signed-in`,
      ]);
    });

    it("replays a POST with its body after signing in", async () => {
      const response = await requestThroughProxy(proxyPort, `http://${app.host}/form`, {
        method: "POST",
        body: "name=demo&x=1",
        headers: { "content-type": "application/x-www-form-urlencoded" },
      });
      assert.equal(response.body, "hello POST /form body=name=demo&x=1");
      const posts = app.seen.filter((request) => request.method === "POST");
      assert.deepEqual(
        posts.map((request) => [request.body, request.headers["content-length"], request.headers.cookie]),
        [
          ["name=demo&x=1", "13", undefined],
          ["name=demo&x=1", "13", "sid=s1"],
        ],
      );
    });

    it("replays a chunked request body, re-framed with a Content-Length", async () => {
      const response = await new Promise<string>((resolve, reject) => {
        const req = http.request(
          {
            host: "127.0.0.1",
            port: proxyPort,
            method: "PUT",
            path: `http://${app.host}/doc`,
            headers: { host: app.host },
            agent: false,
          },
          (res) => {
            let body = "";
            res.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
            res.on("end", () => resolve(body));
          },
        );
        req.on("error", reject);
        req.write("part1,");
        req.end("part2");
      });
      assert.equal(response, "hello PUT /doc body=part1,part2");
      const replayed = app.seen.at(-1);
      assert.equal(replayed?.headers["content-length"], "11");
      assert.equal(replayed?.headers["transfer-encoding"], undefined);
    });

    it("falls back to the original's 302 to /auth for a body too big to replay (it was sent once, whole)", async () => {
      await startProxy({ maxReplayBodyBytes: 16 });
      const body = "x".repeat(100);
      const response = await requestThroughProxy(proxyPort, `http://${app.host}/upload?a=1`, {
        method: "POST",
        body,
      });
      assert.equal(response.status, 302);
      assert.match(
        response.headers.location ?? "",
        new RegExp(`^//${app.host}/auth\\?return_url=%2Fupload%3Fa%3D1&token=`),
      );
      assert.deepEqual(
        app.seen.map((request) => [request.method, request.body.length]),
        [["POST", 100]],
      );
      assert.deepEqual(logger.lines, [
        `login host=${app.host} identity=${demoArn} method=kms outcome=redirected`,
      ]);
    });

    it("sends the path as return_url only when the app would accept it, else /", async () => {
      await get("/%2F%2Fevil.example/x");
      assert.match(authRequests()[0]?.url ?? "", /^\/auth\?return_url=%2F&token=/);
    });
  });

  describe("the cookie jar", () => {
    it("keeps the session: 20 requests without cookies cause one sign-in", async () => {
      for (let i = 0; i < 20; i++) assert.equal((await get(`/page/${i}`)).status, 200);
      assert.equal(authRequests().length, 1);
      assert.equal(fake.calls.encrypt.length, 1);
      assert.equal(logger.lines.filter((line) => line.startsWith("login ")).length, 1);
    });

    it("shares one sign-in between concurrent challenged requests", async () => {
      const responses = await Promise.all(Array.from({ length: 10 }, (_, i) => get(`/parallel/${i}`)));
      assert.deepEqual(
        responses.map((response) => response.status),
        Array.from({ length: 10 }, () => 200),
      );
      assert.equal(authRequests().length, 1);
      assert.equal(fake.calls.encrypt.length, 1);
      assert.deepEqual(
        responses.map((response) => response.body),
        Array.from({ length: 10 }, (_, i) => `hello GET /parallel/${i} body=`),
      );
    });

    it("adds its cookies to a client's other cookies", async () => {
      await get("/");
      await get("/next", { cookie: "theme=dark" });
      assert.equal(app.seen.at(-1)?.headers.cookie, "theme=dark; sid=s1");
    });

    it("leaves a client's own cookie of that name alone (and signs in again if the app rejects it)", async () => {
      await get("/");
      app.seen.length = 0;
      const response = await get("/mine", { cookie: "sid=browser-own" });
      assert.equal(response.status, 200);
      assert.deepEqual(
        app.seen.map((request) => [request.url.replace(/\?.*$/, ""), request.headers.cookie]),
        [
          ["/mine", "sid=browser-own"],
          ["/auth", undefined],
          ["/mine", "sid=s1"],
        ],
      );
    });

    it("keeps sessions per app: another port on the same host gets no cookie", async () => {
      await get("/");
      const other = await startRecordingApp();
      try {
        await requestThroughProxy(proxyPort, `http://${other.host}/`);
        assert.equal(other.seen[0]?.headers.cookie, undefined);
      } finally {
        await other.close();
      }
    });

    it("forgets a session the app ends (Set-Cookie with Max-Age=0)", async () => {
      await get("/");
      const respond = app.respond;
      app.respond = (req, res, body) =>
        req.url === "/sign-out"
          ? res.writeHead(303, { "set-cookie": "sid=; Path=/; Max-Age=0" }).end()
          : respond(req, res, body);
      await get("/sign-out");
      app.seen.length = 0;
      await get("/after");
      assert.equal(app.seen[0]?.headers.cookie, undefined);
    });
  });

  describe("when the sign-in fails", () => {
    it("returns /auth's refusal as the app sent it, logging its first line; never its Set-Cookie", async () => {
      protectedApp(app, {
        auth: (res) =>
          res
            .writeHead(403, { "content-type": "text/plain", "set-cookie": "sid=; Max-Age=0" })
            .end("The identity is not allowed to use this app\nsecond line"),
      });
      const response = await get("/");
      assert.equal(response.status, 403);
      assert.equal(response.headers["content-type"], "text/plain");
      assert.equal(response.headers["cache-control"], "no-store");
      assert.equal(response.headers["set-cookie"], undefined);
      assert.equal(response.body, "The identity is not allowed to use this app\nsecond line");
      assert.deepEqual(logger.lines, [
        `login host=${app.host} identity=${demoArn} method=kms outcome=denied status=403 reason="the app refused the sign-in (HTTP 403): The identity is not allowed to use this app"`,
      ]);
    });

    it("gives a browser the app's HTML refusal page: /auth is asked with the browser's Accept", async () => {
      const page = "<!doctype html><title>You are not allowed to use this app</title><p>Reason: …</p>";
      protectedApp(app, {
        auth: (res) => res.writeHead(403, { "content-type": "text/html; charset=utf-8" }).end(page),
      });
      const accept = "text/html,application/xhtml+xml,*/*;q=0.8";
      const response = await get("/", { accept });
      assert.equal(authRequests()[0]?.headers.accept, accept);
      assert.equal(response.status, 403);
      assert.equal(response.headers["content-type"], "text/html; charset=utf-8");
      assert.equal(response.body, page);
      assert.deepEqual(logger.lines, [
        `login host=${app.host} identity=${demoArn} method=kms outcome=denied status=403 reason="the app refused the sign-in (HTTP 403): You are not allowed to use this app"`,
      ]);
    });

    it("says the app refused when /auth gives no reason", async () => {
      protectedApp(app, { auth: (res) => res.writeHead(500).end() });
      const response = await get("/");
      assert.equal(response.status, 500);
      assert.equal(response.body, "The app refused the sign-in at /auth (HTTP 500)\n");
    });

    // Issue 15's fault matrix: this was 502 UPSTREAM_UNREACHABLE, where every other answer that did
    // not come in time is 504 UPSTREAM_TIMEOUT.
    it("gives up on an /auth that does not answer: 504 UPSTREAM_TIMEOUT saying so", async () => {
      await startProxy({ authTimeoutMs: 100 });
      protectedApp(app, { auth: () => undefined });
      const response = await get("/");
      assert.equal(response.status, 504);
      assert.equal(response.headers["iam-auth-proxy-error"], "UPSTREAM_TIMEOUT");
      assert.equal(
        response.body,
        `UPSTREAM_TIMEOUT: ${app.host} did not answer the sign-in at /auth within 0.1 s\n`,
      );
    });

    it("never loops: a replay challenged again ends in 403 LOGIN_LOOP after one sign-in", async () => {
      protectedApp(app, { acceptsSession: false });
      const response = await get("/");
      assert.equal(response.status, 403);
      assert.equal(
        response.body,
        `LOGIN_LOOP: Signed in to ${app.host}, but the app challenged the request again with the new session; ` +
          "not retrying, to avoid a login loop (does the app accept its session cookie over plain http?)\n",
      );
      assert.deepEqual(
        app.seen.map((request) => request.url.replace(/\?.*$/, "")),
        ["/", "/auth", "/"],
      );
    });

    it("answers the proxy's own refusal (no credentials: 503) without calling /auth", async () => {
      fake = createFakeAws({
        credentialsError: createCredentialsProviderError("Could not load credentials from any providers"),
      });
      const response = await get("/");
      assert.equal(response.status, 503);
      assert.match(
        response.body,
        /^NO_CREDENTIALS: No usable AWS credentials \(Could not load credentials from any providers\): /,
      );
      assert.equal(authRequests().length, 0);
    });

    it("answers 500 without details when answering fails with a bug (not an AWS error), and logs it", async () => {
      fake = createFakeAws({ getSessionTokenError: new TypeError("x is not a function") });
      const response = await get("/");
      assert.equal(response.status, 500);
      assert.equal(
        response.body,
        "INTERNAL_ERROR: The proxy failed to handle this request (internal error; see the proxy log)\n",
      );
      assert.deepEqual(logger.lines, [
        `forward host=${app.host} outcome=internal-error reason="TypeError: x is not a function"`,
      ]);
    });

    it("answers the app's 403 with the one line it got, never a 500, when the app cuts its /auth refusal short", async () => {
      protectedApp(app, {
        auth: (res) => {
          res.writeHead(403, { "content-type": "text/plain", "content-length": "100" });
          res.write("not all of it");
          setImmediate(() => res.socket?.resetAndDestroy());
        },
      });
      const response = await get("/");
      assert.deepEqual([response.status, response.body], [403, "not all of it\n"]);
    });

    it("refuses a KMS proof to an app nobody named: 403 KMS_APP_NOT_NAMED, no /auth, no credentials touched", async () => {
      await startProxy({ kmsHosts: [] });
      const response = await get("/");
      const message =
        `Refusing to give ${app.host} a KMS proof: it would receive your temporary AWS credentials, with ` +
        `which it could sign in to other apps as you. If you trust it, name it with --kms-host ${app.host} ` +
        "(or --host); an app that offers the STS method needs neither";
      assert.deepEqual(
        [response.status, response.headers["iam-auth-proxy-error"], response.body],
        [403, "KMS_APP_NOT_NAMED", `KMS_APP_NOT_NAMED: ${message}\n`],
      );
      assert.equal(authRequests().length, 0);
      assert.equal(fake.calls.resolveCredentials + fake.calls.encrypt.length, 0);
      assert.deepEqual(logger.lines, [
        `login host=${app.host} identity=unknown outcome=denied code=KMS_APP_NOT_NAMED reason=${JSON.stringify(message)}`,
      ]);
    });

    it("still gives an STS proof to that app: the STS method names the app it is for", async () => {
      await startProxy({ kmsHosts: [] });
      protectedApp(app, { challenge: () => createStsChallengeHead(app.host) });
      const response = await get("/");
      assert.equal(response.status, 200);
      assert.equal(authRequests().length, 1);
    });

    it("refuses an STS challenge for another server-id: 403, no /auth, no credentials touched", async () => {
      protectedApp(app, { challenge: () => createStsChallengeHead("bank.internal") });
      const response = await get("/");
      assert.equal(response.status, 403);
      assert.equal(
        response.body,
        `SERVER_ID_MISMATCH: Refusing to sign in: the app at ${app.host} asked for a proof for server-id bank.internal ` +
          "(a proof for another server would let this app sign in there as you)\n",
      );
      assert.equal(app.seen.length, 1);
      assert.equal(fake.calls.resolveCredentials, 0);
      assert.deepEqual(logger.lines, [
        `login host=${app.host} identity=unknown outcome=denied code=SERVER_ID_MISMATCH reason=${JSON.stringify(
          `Refusing to sign in: the app at ${app.host} asked for a proof for server-id bank.internal ` +
            "(a proof for another server would let this app sign in there as you)",
        )}`,
      ]);
    });
  });
});
