import assert from "node:assert/strict";
import http, { type OutgoingHttpHeaders } from "node:http";
import { after, before, beforeEach, describe, it } from "node:test";
import {
  MAX_REFUSAL_PAGE_BYTES,
  sendSignInRefusal,
  type SignInRefusal,
} from "../../../../proxy/signin/auth-refusal.js";
import {
  createAwsSession,
  createChallengeAnswerer,
  createUpstreamConnections,
  CookieJar,
  type UpstreamConnections,
} from "../../../../proxy/index.js";
import { parseAbsoluteTarget, originOf } from "../../../../proxy/http/request-target.js";
import {
  createSelfLogin,
  type ChallengedRequest,
  type SelfLogin,
} from "../../../../proxy/signin/self-login.js";
import { createUpstreamSender, type UpstreamSender } from "../../../../proxy/upstream/sender.js";
import {
  createFakeAws,
  createMemoryLogger,
  createStsChallengeHead,
  DEMO_IDENTITY,
  listenOnLoopback,
} from "../fakes.js";
import { sendChallenge, startRecordingApp, type RecordingApp } from "../proxy-harness.js";
import { challengeOf } from "../answer-helpers.js";

/*
 * What a client gets when the app refuses the sign-in the proxy makes for it: the app's own
 * refusal (a browser its HTML page, curl its one line), and, for a little while, the same
 * refusal again instead of another sign-in. createSelfLogin is driven directly here, with a real
 * app on loopback and the real upstream sender; sendSignInRefusal is what the forwarders answer with.
 */

const BROWSER_ACCEPT =
  "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8";
const FAVICON_ACCEPT = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8";
const REASON = `The identity ${DEMO_IDENTITY.arn} is not allowed to use this app`;
const PAGE = `<!doctype html>\n<html lang="en"><head><title>You are not allowed to use this app</title></head><body><p>Reason: ${REASON}</p></body></html>\n`;

/** The middleware's way of refusing: a page for clients that rank HTML above text, else one line. */
function refuseLikeTheMiddleware(req: http.IncomingMessage, res: http.ServerResponse): void {
  const accept = req.headers.accept ?? "";
  const headers = {
    "set-cookie": "iam-auth-session=; Path=/; Max-Age=0",
    "x-internal-trace": "abc123",
    "cache-control": "max-age=600",
    vary: "Accept",
  };
  if (accept.startsWith("text/html")) {
    res.writeHead(403, {
      ...headers,
      "content-type": "text/html; charset=utf-8",
      "content-security-policy": "default-src 'none'",
      "x-content-type-options": "nosniff",
    });
    res.end(PAGE);
  } else {
    res.writeHead(403, { ...headers, "content-type": "text/plain; charset=utf-8" });
    res.end(`${REASON}\n`);
  }
}

describe("a sign-in the app refuses (createSelfLogin, sendSignInRefusal)", () => {
  let app: RecordingApp;
  let connections: UpstreamConnections;
  let send: UpstreamSender;
  let selfLogin: SelfLogin;
  let jar: CookieJar;
  let logger = createMemoryLogger();
  let now = 0;
  let authAnswer: (req: http.IncomingMessage, res: http.ServerResponse) => void = refuseLikeTheMiddleware;

  function startSelfLogin(refusalMemoryMs?: number): void {
    jar = new CookieJar();
    logger = createMemoryLogger();
    selfLogin = createSelfLogin({
      jar,
      answer: createChallengeAnswerer({
        session: createAwsSession(createFakeAws().deps),
        mayReceiveKmsProof: () => true,
      }),
      send,
      logger,
      clock: () => now,
      ...(refusalMemoryMs === undefined ? {} : { refusalMemoryMs }),
    });
  }

  /** Sends a request to the app (which challenges it) and hands the challenge to selfLogin. */
  async function request(path: string, accept: string | undefined): Promise<ReturnType<SelfLogin>> {
    const target = parseAbsoluteTarget(`http://${app.host}${path}`);
    const headers: OutgoingHttpHeaders = { host: app.host, ...(accept === undefined ? {} : { accept }) };
    const body = { kind: "complete", bytes: Buffer.alloc(0) } as const;
    const signal = new AbortController().signal;
    const response = await send({ target, method: "GET", path, headers, body }, signal);
    response.resume();
    const challenge = challengeOf(response);
    const challenged: ChallengedRequest = {
      target,
      method: "GET",
      headers,
      clientCookie: undefined,
      body,
      challenge,
      jarGeneration: jar.generation(originOf(target)),
      signal,
    };
    return selfLogin(challenged);
  }
  const authRequests = () => app.seen.filter((seen) => seen.url.startsWith("/auth?"));

  before(async () => {
    app = await startRecordingApp();
    connections = createUpstreamConnections();
    send = createUpstreamSender(connections);
  });
  after(async () => {
    connections.destroy();
    await app.close();
  });
  beforeEach(() => {
    now = Date.parse("2030-01-01T00:00:00Z");
    authAnswer = refuseLikeTheMiddleware;
    app.reset();
    app.respond = (req, res) => {
      if (req.url?.startsWith("/auth?") === true) authAnswer(req, res);
      else sendChallenge(res, createStsChallengeHead(app.host));
    };
    startSelfLogin();
  });

  describe("what the client gets", () => {
    it("a browser: /auth is asked with its Accept, and the app's HTML page is kept with the safe fields only", async () => {
      const result = await request("/", BROWSER_ACCEPT);
      assert.equal(authRequests()[0]?.headers.accept, BROWSER_ACCEPT);
      assert.equal(result.kind, "refused");
      assert.ok(result.kind === "refused");
      assert.equal(result.status, 403);
      assert.equal(result.message, "You are not allowed to use this app");
      assert.deepEqual(result.page?.headers, [
        ["content-type", "text/html; charset=utf-8"],
        ["content-security-policy", "default-src 'none'"],
        ["x-content-type-options", "nosniff"],
      ]);
      assert.equal(result.page.body.toString("utf8"), PAGE);
      assert.deepEqual(logger.lines, [
        `login host=${app.host} identity=unknown method=sts outcome=denied status=403 reason="the app refused the sign-in (HTTP 403): You are not allowed to use this app"`,
      ]);
    });

    it("curl (Accept: */*): the app's one line of text", async () => {
      const result = await request("/", "*/*");
      assert.equal(authRequests()[0]?.headers.accept, "*/*");
      assert.ok(result.kind === "refused");
      assert.equal(result.message, REASON);
      assert.equal(result.page?.body.toString("utf8"), `${REASON}\n`);
    });

    it("a client without Accept: /auth is asked for text first", async () => {
      await request("/", undefined);
      assert.equal(authRequests()[0]?.headers.accept, "text/plain, */*");
    });

    it("an empty refusal (the original example-server.py's): no page, the proxy's line naming the status", async () => {
      authAnswer = (_req, res) => res.writeHead(403).end();
      const result = await request("/", BROWSER_ACCEPT);
      assert.ok(result.kind === "refused");
      assert.equal(result.page, undefined);
      assert.equal(result.message, "The app refused the sign-in at /auth (HTTP 403)");
    });

    it("a page too big to relay whole: no page, and its title as the reason", async () => {
      authAnswer = (_req, res) => {
        res.writeHead(403, { "content-type": "text/html" });
        res.end(`<title>Denied &amp; logged</title>${"x".repeat(MAX_REFUSAL_PAGE_BYTES)}`);
      };
      const result = await request("/", BROWSER_ACCEPT);
      assert.ok(result.kind === "refused");
      assert.equal(result.page, undefined);
      assert.equal(result.message, "Denied & logged");
    });
  });

  describe("sendSignInRefusal", () => {
    let server: http.Server;
    let port = 0;
    let refusal: SignInRefusal;
    before(async () => {
      server = http.createServer((_req, res) => sendSignInRefusal(res, refusal));
      port = await listenOnLoopback(server);
    });
    after(() => new Promise<void>((resolve) => server.close(() => resolve())));

    const fetchRefusal = (): Promise<{ status: number; rawHeaders: string[]; body: string }> =>
      new Promise((resolve, reject) => {
        http
          .get({ host: "127.0.0.1", port, path: "/", agent: false }, (res) => {
            let body = "";
            res.setEncoding("utf8");
            res.on("data", (chunk: string) => (body += chunk));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, rawHeaders: res.rawHeaders, body }));
          })
          .on("error", reject);
      });
    const fieldsOf = (rawHeaders: string[]): string[][] =>
      rawHeaders
        .map((value, i) => [rawHeaders[i - 1] ?? "", value])
        .filter((_, i) => i % 2 === 1)
        .filter(([name]) => !["Date", "Connection", "Keep-Alive"].includes(name ?? ""));

    it("relays the app's page: its status, body and safe fields, never cached, never its Set-Cookie", async () => {
      const result = await request("/", BROWSER_ACCEPT);
      assert.ok(result.kind === "refused");
      refusal = result;
      const response = await fetchRefusal();
      assert.equal(response.status, 403);
      assert.equal(response.body, PAGE);
      assert.deepEqual(fieldsOf(response.rawHeaders), [
        ["content-type", "text/html; charset=utf-8"],
        ["content-security-policy", "default-src 'none'"],
        ["x-content-type-options", "nosniff"],
        ["Content-Length", String(Buffer.byteLength(PAGE))],
        ["Cache-Control", "no-store"],
      ]);
    });

    it("answers a refusal without a page with its one line of text", async () => {
      refusal = {
        kind: "refused",
        status: 502,
        message: "app:1 did not answer the sign-in at /auth within 30 s",
      };
      const response = await fetchRefusal();
      assert.equal(response.status, 502);
      assert.equal(response.body, "app:1 did not answer the sign-in at /auth within 30 s\n");
      assert.ok(
        fieldsOf(response.rawHeaders).some(
          ([name, value]) => name === "Content-Type" && value === "text/plain; charset=utf-8",
        ),
      );
    });
  });

  describe("remembering a refusal (regression: Chromium's /favicon.ico caused a second refused sign-in per page view)", () => {
    it("answers the next requests for 30 s with the same refusal, without signing in again", async () => {
      await request("/", BROWSER_ACCEPT);
      now += 29_000;
      const favicon = await request("/favicon.ico", FAVICON_ACCEPT);
      const again = await request("/", BROWSER_ACCEPT);
      assert.equal(authRequests().length, 1, "one sign-in");
      assert.ok(favicon.kind === "refused" && again.kind === "refused");
      assert.equal(favicon.status, 403);
      assert.equal(favicon.message, "You are not allowed to use this app");
      assert.equal(
        favicon.page,
        undefined,
        "another Accept: the one line, not the page made for the browser's",
      );
      assert.equal(again.page?.body.toString("utf8"), PAGE, "the same Accept: the app's page again");
      assert.deepEqual(logger.lines.slice(1), [
        `challenge host=${app.host} outcome=refused-again status=403 reason="the app refused this identity at /auth moments ago; not signing in again for 1 s"`,
        `challenge host=${app.host} outcome=refused-again status=403 reason="the app refused this identity at /auth moments ago; not signing in again for 1 s"`,
      ]);
    });

    it("signs in again once 30 s have passed", async () => {
      await request("/", BROWSER_ACCEPT);
      now += 30_000;
      await request("/", BROWSER_ACCEPT);
      assert.equal(authRequests().length, 2);
    });

    it("remembers per app: another app is signed in to", async () => {
      await request("/", BROWSER_ACCEPT);
      const other = await startRecordingApp();
      try {
        other.respond = (req, res) =>
          req.url?.startsWith("/auth?") === true
            ? res.writeHead(302, { location: "/", "set-cookie": "sid=1; Path=/" }).end()
            : sendChallenge(res, createStsChallengeHead(other.host));
        const target = parseAbsoluteTarget(`http://${other.host}/`);
        const challenge = await send(
          { target, method: "GET", path: "/", headers: { host: other.host }, body: undefined },
          new AbortController().signal,
        );
        challenge.resume();
        const outcome = await selfLogin.signIn(challengeOf(challenge), target);
        assert.equal(outcome.kind, "signed-in");
      } finally {
        await other.close();
      }
    });

    it("applies to websocket sign-ins (signIn) too", async () => {
      await request("/", BROWSER_ACCEPT);
      const target = parseAbsoluteTarget(`http://${app.host}/socket`);
      const challenge = await send(
        { target, method: "GET", path: "/socket", headers: { host: app.host }, body: undefined },
        new AbortController().signal,
      );
      challenge.resume();
      const outcome = await selfLogin.signIn(challengeOf(challenge), target);
      assert.ok(outcome.kind === "refused");
      assert.equal(outcome.message, "You are not allowed to use this app");
      assert.equal(outcome.page, undefined);
      assert.equal(authRequests().length, 1);
    });

    it("does not remember an app's 5xx: trying again may succeed", async () => {
      authAnswer = (_req, res) =>
        res.writeHead(503, { "content-type": "text/plain" }).end("STS is throttling\n");
      await request("/", BROWSER_ACCEPT);
      await request("/", BROWSER_ACCEPT);
      assert.equal(authRequests().length, 2);
    });

    it("does not remember the proxy's own refusals (here SERVER_ID_MISMATCH)", async () => {
      app.respond = (_req, res) => sendChallenge(res, createStsChallengeHead("bank.internal"));
      const first = await request("/", BROWSER_ACCEPT);
      const second = await request("/", BROWSER_ACCEPT);
      assert.ok(first.kind === "refused" && second.kind === "refused");
      assert.equal(
        logger.lines.filter((line) => line.startsWith("login ") && line.includes("code=SERVER_ID_MISMATCH"))
          .length,
        2,
      );
    });

    it("refusalMemoryMs: 0 turns it off", async () => {
      startSelfLogin(0);
      await request("/", BROWSER_ACCEPT);
      await request("/favicon.ico", FAVICON_ACCEPT);
      assert.equal(authRequests().length, 2);
    });

    it("requests waiting for the refused sign-in get the page only if they sent the same Accept", async () => {
      let release = (): void => undefined;
      const held = new Promise<void>((resolve) => (release = resolve));
      authAnswer = (req, res) => void held.then(() => refuseLikeTheMiddleware(req, res));
      const page = request("/", BROWSER_ACCEPT);
      // Wait until the sign-in is running, then join it from a favicon request.
      while (authRequests().length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      const favicon = request("/favicon.ico", FAVICON_ACCEPT);
      while (!app.seen.some((seen) => seen.url === "/favicon.ico")) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
      release();
      const [pageResult, faviconResult] = await Promise.all([page, favicon]);
      assert.ok(pageResult.kind === "refused" && faviconResult.kind === "refused");
      assert.equal(pageResult.page?.accept, BROWSER_ACCEPT);
      assert.equal(faviconResult.page, undefined);
      assert.equal(authRequests().length, 1);
    });
  });
});
