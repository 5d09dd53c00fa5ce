import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { demoAccount } from "../../local-aws/demo-account.js";
import { httpRequest } from "../helpers/http-client.js";
import { startLocalAws, type LocalAws } from "../helpers/local-aws.js";
import { exchange, type Answer, type Via } from "../helpers/mode-clients.js";
import { readProxyCa, startProxyProcess, type ProxyProcess } from "../helpers/proxy-process.js";
import { startRecordingApp, type RecordingApp, type SeenRequest } from "../helpers/recording-app.js";
import type { EchoReply } from "../helpers/websocket-app.js";

/*
 * One sign-in policy for every way a request reaches the proxy. For each mode, one real proxy
 * process, the local AWS and an app behind the middleware (STS method) that challenges pages and
 * websocket handshakes alike, and that records the Cookie header of every request it receives.
 * The cases run in order: a same-site request signs in, then the proxy holds the session; a
 * request another site's page made must then reach the app without that session and get the
 * app's own 401, with no sign-in. Counts come from what the processes did: the proxy's stdout
 * (its `login` lines) and the local AWS's recorded calls.
 */

const suite = "signin-policy-modes";
const DEMO_ARN = demoAccount.users.demo.arn;
const SESSION_COOKIES = ["iam-auth-session", "iam-auth-session.sig"];

interface PolicyMode {
  /** Names the proxy's log and the probes. */
  readonly id: string;
  readonly name: string;
  /** Which app: the http one, or the https one behind interception. */
  readonly app: "http" | "https";
  readonly reverse: boolean;
  readonly websocket: boolean;
}

const modes: readonly PolicyMode[] = [
  { id: "forward-http", name: "forward HTTP", app: "http", reverse: false, websocket: false },
  { id: "forward-ws", name: "forward websocket (ws://)", app: "http", reverse: false, websocket: true },
  { id: "intercepted-https", name: "intercepted HTTPS", app: "https", reverse: false, websocket: false },
  { id: "tunnel-wss", name: "wss:// in a tunnel", app: "https", reverse: false, websocket: true },
  { id: "reverse-http", name: "reverse HTTP", app: "http", reverse: true, websocket: false },
  { id: "reverse-ws", name: "reverse websocket", app: "http", reverse: true, websocket: true },
];

type Expectation = "signed-in" | "held-session" | "challenge-untouched";

interface PolicyCase {
  readonly id: string;
  readonly name: string;
  readonly headers: (websocket: boolean) => Record<string, string>;
  readonly expect: Expectation;
}

const cases: readonly PolicyCase[] = [
  {
    id: "same-site",
    name: "a same-site request (no Sec-Fetch-*, no Origin) is signed in",
    headers: () => ({}),
    expect: "signed-in",
  },
  {
    id: "same-origin",
    name: "then a same-origin request (Sec-Fetch-Site: same-origin) carries the session the proxy holds",
    headers: () => ({ "sec-fetch-site": "same-origin" }),
    expect: "held-session",
  },
  {
    id: "cross-site",
    name: "a cross-site request (Sec-Fetch-Site: cross-site) gets the app's 401 untouched, without the held session",
    // What a browser sends: `cors` for a fetch, `websocket` for a handshake.
    headers: (websocket) => ({
      "sec-fetch-site": "cross-site",
      "sec-fetch-mode": websocket ? "websocket" : "cors",
    }),
    expect: "challenge-untouched",
  },
  {
    id: "foreign-origin",
    name: "a request with only a foreign Origin gets the app's 401 untouched, without the held session",
    headers: () => ({ origin: "http://evil.example" }),
    expect: "challenge-untouched",
  },
];

/** One mode's proxy, the app it reaches, and how a client asks for it. */
interface Rig {
  readonly proxy: ProxyProcess;
  readonly app: RecordingApp;
  readonly via: Via;
  /** What the client addresses: the app itself, or the proxy's reverse listener for it. */
  readonly base: string;
}

/** What the processes did so far: the proxy's login lines for the app, and the local AWS's calls. */
interface Tally {
  readonly logins: number;
  readonly signedIn: number;
  readonly awsCalls: Readonly<Record<string, number>>;
}

const hasSession = (request: SeenRequest | undefined): boolean =>
  SESSION_COOKIES.every((name) =>
    new RegExp(`(^|; )${name.replace(/\./g, "\\.")}=[^;]+`).test(request?.cookie ?? ""),
  );

/** The names of the cookies a request carried (their values stay out of test output). */
const cookieNames = (request: SeenRequest | undefined): string =>
  JSON.stringify(
    (request?.cookie ?? "")
      .split("; ")
      .filter((pair) => pair !== "")
      .map((pair) => pair.split("=", 1)[0]),
  );

const isSignedIn = (line: string): boolean => / outcome=signed-in$/.test(line);

/** The proxy's `login` lines for the app. */
function loginLines(rig: Rig): string[] {
  const output = rig.proxy.service.output();
  assert.match(output, /\blistening url=/, "the proxy's own output is being read");
  return output.split("\n").filter((line) => line.includes(` login host=${rig.app.authority} `));
}

/** Calls per action made between two counts (actions with none left out). */
function callsBetween(before: Tally, after: Tally): Record<string, number> {
  const made: Record<string, number> = {};
  for (const [action, count] of Object.entries(after.awsCalls)) {
    const delta = count - (before.awsCalls[action] ?? 0);
    if (delta !== 0) made[action] = delta;
  }
  return made;
}

describe("one sign-in policy for every mode (real proxy processes, local AWS, the middleware)", () => {
  let dir = "";
  let aws: LocalAws;
  let httpApp: RecordingApp;
  let httpsApp: RecordingApp;
  /** The body of the app's challenge to a non-browser client, as the app itself sends it. */
  let challengeBody = "";

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), `iam-auth-proxy-${suite}-`));
    aws = await startLocalAws(suite);
    const common = { localAwsUrl: aws.url, dir };
    httpApp = await startRecordingApp({ ...common, scheme: "http", logName: `${suite}/http-app.log` });
    httpsApp = await startRecordingApp({ ...common, scheme: "https", logName: `${suite}/https-app.log` });
    const direct = await httpRequest(`${httpApp.origin}/?probe=direct`);
    assert.equal(direct.status, 401, "the app challenges a request without a session");
    challengeBody = direct.body;
  });
  after(async () => {
    await Promise.all([httpApp?.close(), httpsApp?.close()]);
    await aws?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function startRig(mode: PolicyMode): Promise<Rig> {
    const app = mode.app === "https" ? httpsApp : httpApp;
    const logName = `${suite}/proxy-${mode.id}.log`;
    if (mode.reverse) {
      const proxy = await startProxyProcess(logName, aws.url, ["--upstream", `${app.origin}=127.0.0.1:0`]);
      return { proxy, app, via: { kind: "direct" }, base: proxy.reverseUrls.get(app.origin) ?? "" };
    }
    if (mode.app === "https") {
      const caDir = join(dir, `proxy-ca-${mode.id}`);
      const intercept = ["--host", "localhost", "--upstream-ca", app.caFile ?? "", "--ca-dir", caDir];
      const proxy = await startProxyProcess(logName, aws.url, ["--bind", "127.0.0.1:0", ...intercept]);
      const via: Via = { kind: "tunnel", proxyUrl: proxy.url, ca: readProxyCa(caDir) };
      return { proxy, app, via, base: app.origin };
    }
    const proxy = await startProxyProcess(logName, aws.url, ["--bind", "127.0.0.1:0"]);
    return { proxy, app, via: { kind: "forward", proxyUrl: proxy.url }, base: app.origin };
  }

  /**
   * Counts what the processes did; fails when it can see nothing, so a zero difference means
   * something. The proxy's stdout reaches this process through a pipe, possibly after the answer
   * did: given `signedIn`, it waits (5 s at most) for that many signed-in lines. A sign-in that
   * should not happen is caught without waiting too, by the app's records and the AWS calls,
   * which are complete before the client gets its answer.
   */
  async function tally(rig: Rig, signedIn = 0): Promise<Tally> {
    const deadline = Date.now() + 5000;
    let lines = loginLines(rig);
    while (lines.filter(isSignedIn).length < signedIn && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      lines = loginLines(rig);
    }
    const awsCalls = await aws.calls();
    assert.ok((awsCalls["sts:GetCallerIdentity"] ?? 0) > 0, "the local AWS's calls are being read");
    return { logins: lines.length, signedIn: lines.filter(isSignedIn).length, awsCalls };
  }

  /** The page (`${ARN}\n`) or, for a websocket, the echo's view of the caller. */
  function assertServedAsDemo(answer: Answer, websocket: boolean): void {
    assert.equal(answer.status, websocket ? 101 : 200, answer.body);
    if (websocket) assert.equal((JSON.parse(answer.body) as EchoReply).arn, DEMO_ARN);
    else assert.equal(answer.body, `${DEMO_ARN}\n`);
  }

  const checks: Record<
    Expectation,
    (answer: Answer, seen: SeenRequest[], before: Tally, after: Tally, ws: boolean) => void
  > = {
    "signed-in": (answer, seen, before, after, websocket) => {
      assertServedAsDemo(answer, websocket);
      assert.equal(after.signedIn - before.signedIn, 1, "one `login … outcome=signed-in` line");
      assert.equal(after.logins - before.logins, 1, "no other login line");
      // The STS method: the app verified the proof with the local STS; the proxy made no AWS call.
      assert.deepEqual(callsBetween(before, after), { "sts:GetCallerIdentity": 1 });
      // At the app: challenged without a session, then the same request again with the new one.
      assert.equal(seen.length, 2, "the app saw the request and its replay");
      assert.deepEqual([seen[0]?.cookie, seen[0]?.status], [undefined, 401]);
      assert.ok(hasSession(seen[1]), `the replay carried the session, not just: ${cookieNames(seen[1])}`);
    },
    "held-session": (answer, seen, before, after, websocket) => {
      assert.equal(before.signedIn, 1, "precondition: this mode's proxy signed in once (the same-site case)");
      assertServedAsDemo(answer, websocket);
      assert.equal(seen.length, 1);
      assert.ok(hasSession(seen[0]), `the app got the proxy's session, not just: ${cookieNames(seen[0])}`);
      assert.equal(after.logins, before.logins, "no new login line");
      assert.deepEqual(callsBetween(before, after), {});
    },
    "challenge-untouched": (answer, seen, before, after) => {
      assert.equal(
        before.signedIn,
        1,
        "precondition: the proxy holds a session (the same-site case signed in)",
      );
      assert.equal(
        answer.status,
        401,
        `the client got ${answer.status}; the app saw cookies: ${cookieNames(seen[0])}`,
      );
      assert.equal(seen.length, 1, "the request reached the app once");
      assert.equal(seen[0]?.cookie, undefined, `the app got cookies ${cookieNames(seen[0])}, not none`);
      assert.equal(seen[0]?.status, 401);
      assert.match(seen[0]?.wwwAuthenticate ?? "", /^IAM realm="111122223333", /);
      // The client got the app's own 401: its challenge (nonce and all) and its body.
      assert.equal(answer.headers["www-authenticate"], seen[0]?.wwwAuthenticate);
      assert.equal(answer.body, challengeBody);
      // Only the app's own cookies (its nonce cookie), by name (reverse mode rewrites their
      // attributes for the local origin): nothing from a sign-in, no session.
      const names = (lines: readonly string[] | undefined): string[] =>
        (lines ?? []).map((line) => line.split("=", 1)[0] ?? "");
      assert.deepEqual(
        names(answer.headers["set-cookie"]),
        names(seen[0]?.setCookie),
        "only the app's Set-Cookie",
      );
      assert.ok(
        names(answer.headers["set-cookie"]).every((name) => !SESSION_COOKIES.includes(name)),
        "no session cookie",
      );
      assert.equal(after.logins, before.logins, "no new login line");
      assert.deepEqual(callsBetween(before, after), {}, "no call at the local AWS");
    },
  };

  for (const mode of modes) {
    describe(mode.name, () => {
      let rig: Rig;
      before(async () => (rig = await startRig(mode)));
      after(() => rig?.proxy.service.stop());

      for (const policyCase of cases) {
        it(policyCase.name, async () => {
          const probe = `${mode.id}-${policyCase.id}`;
          const base = mode.websocket ? rig.base.replace(/^http/, "ws") : rig.base;
          const url = `${base}${mode.websocket ? "/ws" : "/"}?probe=${probe}`;
          const before = await tally(rig);
          const answer = await exchange(url, rig.via, policyCase.headers(mode.websocket), mode.websocket);
          const after = await tally(rig, policyCase.expect === "signed-in" ? before.signedIn + 1 : 0);
          checks[policyCase.expect](answer, rig.app.probed(probe), before, after, mode.websocket);
        });
      }
    });
  }
});
