import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startLocalAws, type LocalAws } from "../helpers/local-aws.js";
import {
  findClosedPort,
  misbehaviours,
  startMisbehavingApp,
  type MisbehavingApp,
  type Misbehaviour,
} from "../helpers/misbehaving-app.js";
import { exchange, type Answer, type Via } from "../helpers/mode-clients.js";
import { readProxyCa, startProxyProcess, type ProxyProcess } from "../helpers/proxy-process.js";
import { createTestCa } from "../helpers/tls-fixtures.js";

/*
 * One mapping of an app's failures for every way a request reaches the proxy. The apps are tiny
 * servers on 127.0.0.1 that misbehave on purpose (plain TCP, or TLS with certificates made for
 * this run); the proxies are real processes started with --upstream-timeout 1. Every answer the
 * proxy makes itself is `Iam-Auth-Proxy-Error: <CODE>` with one line of text/plain naming the
 * app's host, never a 500; after every failure the same proxy process answers the next request.
 *
 * Combinations that cannot exist, so have no row:
 * - an untrusted certificate in forward HTTP and forward websocket mode: a plain-http app has no
 *   certificate (reverse mode has the row, with an https upstream);
 * - a reset mid-body in the websocket modes: a handshake that fails is answered by the proxy, one
 *   that succeeds has no body to cut.
 */

const suite = "upstream-failure-modes";

type Failure = "refused" | "unresolvable" | "untrusted-certificate" | Exclude<Misbehaviour, "ok">;

interface FailureRow {
  readonly failure: Failure;
  readonly name: string;
  /** The proxy's own answer, or "cut-mid-body": the app's head, then the connection is cut. */
  readonly expect: { readonly status: number; readonly code: string } | "cut-mid-body";
}

const unreachable = { status: 502, code: "UPSTREAM_UNREACHABLE" };
const badResponse = { status: 502, code: "UPSTREAM_BAD_RESPONSE" };

const rows: readonly FailureRow[] = [
  { failure: "refused", name: "the app refuses the connection", expect: unreachable },
  { failure: "reset-before-head", name: "the app resets before a complete head", expect: unreachable },
  { failure: "reset-mid-body", name: "the app resets mid-body", expect: "cut-mid-body" },
  {
    failure: "untrusted-certificate",
    name: "the app's certificate is from a CA the proxy was not given",
    expect: { status: 502, code: "UPSTREAM_CERTIFICATE_INVALID" },
  },
  { failure: "unresolvable", name: "the app's name does not resolve (app.invalid)", expect: unreachable },
  { failure: "obs-fold", name: "the app folds a header line (obs-fold)", expect: badResponse },
  { failure: "not-http", name: "the app answers bytes that are not HTTP", expect: badResponse },
  {
    failure: "stalled-head",
    name: "the app stalls inside its response head (--upstream-timeout 1)",
    expect: { status: 504, code: "UPSTREAM_TIMEOUT" },
  },
];

interface FailureMode {
  readonly name: string;
  /** Which proxy process: the forward proxy, the one intercepting --host apps, or the reverse one. */
  readonly kind: "forward" | "intercepted" | "reverse";
  readonly websocket: boolean;
}

const modes: readonly FailureMode[] = [
  { name: "forward HTTP", kind: "forward", websocket: false },
  { name: "forward websocket (ws://)", kind: "forward", websocket: true },
  { name: "intercepted HTTPS", kind: "intercepted", websocket: false },
  { name: "wss:// inside an intercepted tunnel", kind: "intercepted", websocket: true },
  { name: "reverse HTTP", kind: "reverse", websocket: false },
  { name: "reverse websocket", kind: "reverse", websocket: true },
];

/** The combinations listed at the top as impossible. */
const exists = (failure: Failure, mode: FailureMode): boolean =>
  !(failure === "untrusted-certificate" && mode.kind === "forward") &&
  !(failure === "reset-mid-body" && mode.websocket);

describe("one upstream failure mapping for every mode (real proxy processes, misbehaving apps)", () => {
  let dir = "";
  let aws: LocalAws;
  /** Each misbehaviour over plain TCP (forward and reverse modes) and over trusted TLS (intercepted). */
  const plainApps = new Map<Misbehaviour, MisbehavingApp>();
  const tlsApps = new Map<Misbehaviour, MisbehavingApp>();
  /** A well-behaved https app whose certificate comes from a CA no proxy trusts. */
  let untrusted: MisbehavingApp;
  let closedPort = 0;
  const proxies = new Map<FailureMode["kind"], ProxyProcess>();
  let proxyCa = "";

  /** The app a row asks for, as the proxy reaches it; `ok` is the healthy one. */
  function appUrl(failure: Failure | "ok", mode: FailureMode): string {
    const tls = mode.kind === "intercepted";
    const [scheme, host] = tls ? ["https", "localhost"] : ["http", "127.0.0.1"];
    if (failure === "refused") return `${scheme}://${host}:${closedPort}`;
    if (failure === "unresolvable") return `${scheme}://app.invalid`;
    if (failure === "untrusted-certificate") return `https://localhost:${untrusted.port}`;
    return `${scheme}://${host}:${(tls ? tlsApps : plainApps).get(failure)?.port ?? 0}`;
  }

  /** What the client asks for (the app, or the reverse listener serving it), and how. */
  function route(failure: Failure | "ok", mode: FailureMode, websocket: boolean): { url: string; via: Via } {
    const proxy = proxies.get(mode.kind);
    if (proxy === undefined) throw new Error(`no ${mode.kind} proxy is running`);
    const app = appUrl(failure, mode);
    const base = mode.kind === "reverse" ? (proxy.reverseUrls.get(new URL(app).origin) ?? "") : app;
    const via: Via =
      mode.kind === "reverse"
        ? { kind: "direct" }
        : mode.kind === "intercepted"
          ? { kind: "tunnel", proxyUrl: proxy.url, ca: proxyCa }
          : { kind: "forward", proxyUrl: proxy.url };
    return { url: `${websocket ? base.replace(/^http/, "ws") : base}${websocket ? "/ws" : "/"}`, via };
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), `iam-auth-proxy-${suite}-`));
    aws = await startLocalAws(suite);
    const ca = await createTestCa("misbehaving apps' CA");
    const leaf = await ca.issue(["localhost"]);
    writeFileSync(join(dir, "app-ca.pem"), ca.certPem);
    for (const behaviour of misbehaviours) {
      plainApps.set(behaviour, await startMisbehavingApp(behaviour));
      tlsApps.set(behaviour, await startMisbehavingApp(behaviour, leaf));
    }
    const stranger = await createTestCa("a CA nobody gave the proxy");
    untrusted = await startMisbehavingApp("ok", await stranger.issue(["localhost"]));
    closedPort = await findClosedPort();

    const timeout = ["--upstream-timeout", "1"];
    const reverseMode = modes.find((mode) => mode.kind === "reverse") as FailureMode;
    const upstreams = new Set([
      appUrl("ok", reverseMode),
      ...rows
        .filter((row) => exists(row.failure, reverseMode))
        .map((row) => appUrl(row.failure, reverseMode)),
    ]);
    const caDir = join(dir, "proxy-ca");
    const launch = async (kind: FailureMode["kind"], args: string[]): Promise<void> => {
      proxies.set(kind, await startProxyProcess(`${suite}/proxy-${kind}.log`, aws.url, args));
    };
    // Settled, not all: a proxy that did start is in `proxies` before teardown runs, whatever the others did.
    const started = await Promise.allSettled([
      launch("forward", ["--bind", "127.0.0.1:0", ...timeout]),
      launch("intercepted", [
        ...["--bind", "127.0.0.1:0", ...timeout, "--host", "localhost", "--host", "app.invalid"],
        ...["--upstream-ca", join(dir, "app-ca.pem"), "--ca-dir", caDir],
      ]),
      launch("reverse", [
        ...timeout,
        ...[...upstreams].flatMap((upstream) => ["--upstream", `${upstream}=127.0.0.1:0`]),
      ]),
    ]);
    for (const result of started) if (result.status === "rejected") throw result.reason;
    proxyCa = readProxyCa(caDir);
  });
  after(async () => {
    await Promise.all([...proxies.values()].map((proxy) => proxy.service.stop()));
    await Promise.all([...plainApps.values(), ...tlsApps.values(), untrusted].map((app) => app?.close()));
    await aws?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The proxy process of `mode` is still running and relays a healthy app's page. */
  async function assertStillServing(mode: FailureMode): Promise<void> {
    assert.equal(
      proxies.get(mode.kind)?.service.process.exitCode,
      null,
      "the proxy process is still running",
    );
    const { url, via } = route("ok", mode, false);
    const next = await exchange(url, via, {}, false);
    assert.deepEqual([next.status, next.body], [200, "ok\n"], "the proxy answers the next request");
  }

  function assertProxyAnswer(answer: Answer, expected: { status: number; code: string }, host: string): void {
    const code = answer.headers["iam-auth-proxy-error"];
    assert.deepEqual(
      { status: answer.status, code },
      expected,
      `answered ${answer.status}, Iam-Auth-Proxy-Error: ${String(code)}, body ${JSON.stringify(answer.body)}`,
    );
    assert.match(String(answer.headers["content-type"]), /^text\/plain\b/);
    assert.match(answer.body, /^[^\r\n]+\n?$/, `one line: ${JSON.stringify(answer.body)}`);
    assert.ok(answer.body.includes(host), `the body names ${host}: ${answer.body}`);
  }

  for (const mode of modes) {
    describe(mode.name, () => {
      for (const row of rows.filter((candidate) => exists(candidate.failure, mode))) {
        const outcome =
          row.expect === "cut-mid-body"
            ? "the app's head, then the cut"
            : `${row.expect.status} ${row.expect.code}`;
        it(`${row.name}: ${outcome}`, async () => {
          const { url, via } = route(row.failure, mode, mode.websocket);
          const started = Date.now();
          const answer = await exchange(url, via, {}, mode.websocket);
          const elapsedMs = Date.now() - started;
          if (row.expect === "cut-mid-body") {
            assert.equal(answer.status, 200, "the client got the app's status line");
            assert.equal(answer.headers["iam-auth-proxy-error"], undefined);
            assert.equal(answer.complete, false, "the client sees an incomplete response");
            assert.ok(
              Buffer.byteLength(answer.body) < 100,
              `fewer than 100 body bytes: ${answer.body.length}`,
            );
          } else {
            assertProxyAnswer(answer, row.expect, new URL(appUrl(row.failure, mode)).host);
          }
          if (row.failure === "stalled-head") {
            assert.ok(elapsedMs >= 900 && elapsedMs < 5000, `answered after ${elapsedMs} ms, not about 1 s`);
          }
          await assertStillServing(mode);
        });
      }
    });
  }
});
