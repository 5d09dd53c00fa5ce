import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { request, type IncomingHttpHeaders } from "node:http";
import net from "node:net";
import { join } from "node:path";
import type { HttpResult } from "./http-client.js";
import { testLogsDir } from "./service.js";

/*
 * Clients for the hostile-input suites (test/e2e/hostile-*.test.ts): requests from a fresh
 * loopback source address each (so the servers' per-address failed sign-in limit, 20 a minute,
 * counts every case apart and no case is refused 429 for the ones before it), raw bytes over TCP,
 * and the summary line each table prints so a run shows how many cases each surface had.
 */

let nextSource = 0;

/**
 * A loopback address no earlier case used: 127.1.x.y (Linux routes all of 127/8 to lo, and a
 * server on 127.0.0.1 accepts connections from any of them).
 */
export function freshSourceAddress(): string {
  nextSource += 1;
  return `127.1.${(nextSource >> 8) & 255}.${nextSource & 255}`;
}

/** One request with the path sent exactly as written, from `localAddress`; never follows redirects. */
export function sendRequest(
  origin: string,
  path: string,
  options: { headers?: Record<string, string | string[]>; localAddress?: string; method?: string } = {},
): Promise<HttpResult> {
  const url = new URL(origin);
  return new Promise((resolve, reject) => {
    request(
      {
        host: url.hostname,
        port: url.port,
        path,
        method: options.method ?? "GET",
        headers: { accept: "text/plain", ...options.headers },
        agent: false,
        localAddress: options.localAddress ?? freshSourceAddress(),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
      },
    )
      .on("error", reject)
      .end();
  });
}

/** What a raw exchange got back: the bytes the server wrote before it closed (or `waitMs` passed). */
export interface RawAnswer {
  readonly text: string;
  /** The status code of the first response, or undefined when there was none. */
  readonly status: number | undefined;
  /** Whether the server closed the connection (rather than the client giving up). */
  readonly closed: boolean;
}

/**
 * Writes `bytes` to host:port over TCP and collects what comes back until the server closes the
 * connection or, after the first complete response head, `settleMs` pass with nothing new.
 * Resolves at the latest after `waitMs`.
 */
export function sendRaw(
  origin: string,
  bytes: string | Buffer,
  options: { waitMs?: number; settleMs?: number } = {},
): Promise<RawAnswer> {
  const url = new URL(origin);
  const waitMs = options.waitMs ?? 5000;
  const settleMs = options.settleMs ?? 300;
  return new Promise((resolve) => {
    const socket = net.connect({
      host: url.hostname,
      port: Number(url.port),
      localAddress: freshSourceAddress(),
    });
    let text = "";
    let settle: NodeJS.Timeout | undefined;
    const finish = (closed: boolean): void => {
      clearTimeout(deadline);
      clearTimeout(settle);
      socket.destroy();
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1];
      resolve({ text, status: status === undefined ? undefined : Number(status), closed });
    };
    const deadline = setTimeout(() => finish(false), waitMs);
    socket.on("error", () => finish(true));
    socket.on("close", () => finish(true));
    socket.on("data", (chunk: Buffer) => {
      text += chunk.toString("latin1");
      if (text.includes("\r\n\r\n")) {
        clearTimeout(settle);
        settle = setTimeout(() => finish(false), settleMs);
      }
    });
    socket.write(bytes);
  });
}

/**
 * The session cookies a response sets: the per-challenge nonce cookies, and cookies cleared
 * (empty, or expiring in 1970: a forged cookie is "no session", logged and cleared) left out.
 */
export function sessionCookiesSet(headers: IncomingHttpHeaders): string[] {
  return (headers["set-cookie"] ?? []).filter((field) => {
    const [pair = ""] = field.split(";", 1);
    const [name = "", value = ""] = pair.split("=", 2);
    return !name.includes("-nonce-") && value !== "" && !/expires=Thu, 01 Jan 1970/i.test(field);
  });
}

/** Asserts a client error: a 4xx with one line of text (the reason), and no session cookie. */
export function assertOneLineRefusal(response: HttpResult, label: string): void {
  assert.ok(response.status >= 400 && response.status < 500, `${label}: status ${response.status}`);
  assert.match(
    response.body,
    /^[^\n]+\n$/,
    `${label}: one-line reason, got ${JSON.stringify(response.body.slice(0, 200))}`,
  );
  assert.deepEqual(sessionCookiesSet(response.headers), [], `${label}: no session cookie`);
}

/**
 * Prints the summary line of one table, `hostile-cases surface=<surface> target=<target> cases=<n>`,
 * so a run shows how many hand-written cases each surface had.
 */
export function reportCases(surface: string, target: string, cases: number): void {
  process.stdout.write(`hostile-cases surface=${surface} target=${target} cases=${cases}\n`);
}

/**
 * Records secrets a suite gave its servers (session secrets, SECRET_KEY) in
 * test-logs/<suite>/server-secrets.json, so the log audit (test/audit) checks no log contains them.
 */
export function recordServerSecrets(suite: string, secrets: readonly string[]): void {
  mkdirSync(join(testLogsDir, suite), { recursive: true });
  writeFileSync(join(testLogsDir, suite, "server-secrets.json"), JSON.stringify({ secrets }));
}
