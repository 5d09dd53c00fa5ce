import assert from "node:assert/strict";
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import {
  createProxyServer,
  parseBindAddress,
  parseHostPattern,
  type LoginFlow,
  type ProxyServer,
} from "../../../../proxy/index.js";
import { createFakeAws, createMemoryLogger, createStsChallengeHead, NONCE } from "../fakes.js";
import {
  delegatingLogin,
  requestThroughProxy,
  sendChallenge,
  startRecordingApp,
  type RecordingApp,
} from "../proxy-harness.js";

/*
 * The challenge's auth-path: where the proxy hands the proof over, in both login flows and for
 * both methods, and the values it refuses rather than guess at.
 */

/** An app mounted under /admin (as `app.use("/admin", iamAuth(…))`): it takes proofs at `authPath`. */
function mountedApp(app: RecordingApp, authPath: string, methods: string): void {
  app.respond = (req, res) => {
    const url = new URL(req.url ?? "/", "http://app");
    if (url.pathname === authPath) {
      // The session cookie for the mount, as the middleware sets it.
      res
        .writeHead(302, {
          location: url.searchParams.get("return_url") ?? "/",
          "set-cookie": "sid=s1; Path=/admin; HttpOnly",
        })
        .end();
      return;
    }
    if (/(?:^|;\s*)sid=s1(?:;|$)/.test(req.headers.cookie ?? "")) {
      res.end(`hello ${req.url ?? ""}`);
      return;
    }
    const head = createStsChallengeHead(app.host, methods, { "auth-path": authPath });
    // The nonce cookie, for the hand-over path only, as the middleware sets it.
    sendChallenge(res, {
      ...head,
      headersDistinct: { ...head.headersDistinct, "set-cookie": [`nonce-c=v1; Path=${authPath}; HttpOnly`] },
    });
  };
}

describe("the challenge's auth-path", () => {
  let app: RecordingApp;
  let proxy: ProxyServer | undefined;
  let proxyPort = 0;
  let fake = createFakeAws();
  let logger = createMemoryLogger();

  async function startProxy(loginFlow: LoginFlow): Promise<void> {
    await proxy?.close();
    proxy = createProxyServer({
      kmsHosts: [parseHostPattern("127.0.0.1")],
      bind: parseBindAddress("127.0.0.1:0"),
      logger,
      loginFlow,
      login: delegatingLogin(() => fake.deps),
    });
    const [url] = await proxy.listen();
    proxyPort = Number(new URL(url ?? "").port);
  }
  const get = (path: string) => requestThroughProxy(proxyPort, `http://${app.host}${path}`);
  const handOvers = () => app.seen.filter((request) => request.url.includes("token="));

  before(async () => {
    app = await startRecordingApp();
  });
  after(() => app.close());
  beforeEach(() => {
    app.reset();
    fake = createFakeAws();
    logger = createMemoryLogger();
  });
  afterEach(async () => {
    await proxy?.close();
    proxy = undefined;
  });

  for (const method of ["sts", "kms"]) {
    it(`signing in itself (${method}): hands the proof over at it, with its nonce cookie, and replays with the session`, async () => {
      await startProxy("proxy");
      mountedApp(app, "/admin/login/iam", method);
      const response = await get("/admin/reports?x=1");
      assert.equal(response.status, 200, response.body);
      assert.equal(response.body, "hello /admin/reports?x=1");
      assert.deepEqual(
        app.seen.map((request) => [request.url.replace(/&token=.*$/, "&token=…"), request.headers.cookie]),
        [
          ["/admin/reports?x=1", undefined],
          ["/admin/login/iam?return_url=%2Fadmin%2Freports%3Fx%3D1&token=…", "nonce-c=v1"],
          ["/admin/reports?x=1", "sid=s1"],
        ],
      );
      // The jar keeps the session for /admin: a later request under it needs no sign-in.
      const again = await get("/admin/other");
      assert.equal(again.body, "hello /admin/other");
      assert.equal(handOvers().length, 1);
    });

    it(`--login-flow redirect (${method}): sends the client to it`, async () => {
      await startProxy("redirect");
      mountedApp(app, "/admin/login/iam", method);
      const response = await get("/admin/reports?x=1");
      assert.equal(response.status, 302);
      assert.match(
        response.headers.location ?? "",
        new RegExp(`^//${app.host}/admin/login/iam\\?return_url=%2Fadmin%2Freports%3Fx%3D1&token=.+`),
      );
      assert.deepEqual(response.headers["set-cookie"], ["nonce-c=v1; Path=/admin/login/iam; HttpOnly"]);
    });
  }

  it("without one, hands over at /auth, as the original's proxies do", async () => {
    await startProxy("proxy");
    app.respond = (req, res) => {
      if (req.url?.startsWith("/auth?") === true) {
        res.writeHead(302, { location: "/x", "set-cookie": "sid=s1; Path=/" }).end();
      } else if (req.headers.cookie === "sid=s1") res.end("ok");
      else sendChallenge(res, createStsChallengeHead(app.host));
    };
    assert.equal((await get("/x")).body, "ok");
    assert.match(handOvers()[0]?.url ?? "", /^\/auth\?return_url=%2Fx&token=sts1\./);
  });

  const refused: [string, string, string][] = [
    ["an absolute URL", "https://evil.example/auth", 'it does not start with "/"'],
    ["a relative path", "auth", 'it does not start with "/"'],
    ["a network-path reference", "//evil.example/auth", 'it has an empty segment ("//")'],
    ["a backslash", "/\\evil.example/auth", "it has a character that is not a plain path character"],
    ["a query", "/auth?next=//evil.example", "it has a character that is not a plain path character"],
    ["a dot-dot segment", "/admin/../auth", 'it has a "." or ".." segment'],
    ["an encoded dot-dot", "/admin/%2e%2e/auth", 'it has a "." or ".." segment'],
    [
      "an encoded slash",
      "/%2F%2Fevil.example",
      'it has a percent-encoded "/", "\\", ";" or control character',
    ],
    ["an encoded newline", "/auth%0d%0aX:1", 'it has a percent-encoded "/", "\\", ";" or control character'],
    ["a path parameter", "/..;/auth", "it has a character that is not a plain path character"],
    ["a space", "/a uth", "it has a character that is not a plain path character"],
    ["empty", "", "it must be 1 to 1024 characters"],
  ];
  for (const loginFlow of ["proxy", "redirect"] as const) {
    for (const [name, value, why] of refused) {
      it(`refuses ${name} (--login-flow ${loginFlow}): 403 CHALLENGE_INVALID, no hand-over, no credentials used`, async () => {
        await startProxy(loginFlow);
        app.respond = (_req, res) => {
          const head = createStsChallengeHead(app.host, "sts");
          const field = head.headersDistinct["www-authenticate"]?.[0] ?? "";
          sendChallenge(res, {
            ...head,
            headersDistinct: {
              ...head.headersDistinct,
              "www-authenticate": [`${field}, auth-path="${value.replace(/["\\]/g, "\\$&")}"`],
            },
          });
        };
        const response = await get("/admin/x");
        const shown = JSON.stringify(value);
        const message = `CHALLENGE_INVALID: Invalid IAM challenge from the server: auth-path must be a path on the app's own site: ${why}`;
        assert.equal(response.status, 403);
        assert.equal(response.headers["iam-auth-proxy-error"], "CHALLENGE_INVALID");
        assert.ok(response.body.startsWith(message), response.body);
        assert.ok(response.body.endsWith(` (got ${shown})\n`), response.body);
        assert.equal(response.headers.location, undefined);
        assert.equal(app.seen.length, 1, "only the challenged request reached the app");
        assert.equal(fake.calls.resolveCredentials + fake.calls.encrypt.length, 0);
        assert.ok(logger.lines.some((line) => line.includes("code=CHALLENGE_INVALID")));
      });
    }
  }

  it("uses the nonce the challenge gave, whatever its auth-path", async () => {
    await startProxy("proxy");
    mountedApp(app, "/admin/auth", "sts");
    await get("/admin/");
    assert.match(handOvers()[0]?.url ?? "", new RegExp(`&token=sts1\\.${NONCE}\\.`));
  });
});
