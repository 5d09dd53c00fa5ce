import { Agent } from "node:http";
import { signInThroughProxy } from "../sign-in.js";

/** What a batch of sign-ins through the proxy gave. */
export interface SignInBatch {
  readonly attempted: number;
  /** Sign-ins that ended with the page itself (`expectBody`) after the redirect flow's three requests. */
  readonly succeeded: number;
  /** One line per failed sign-in, the first 10 only (the count is attempted − succeeded). */
  readonly failures: readonly string[];
  /** The Cookie header of every successful sign-in, in the order they finished. */
  readonly cookies: readonly string[];
  readonly seconds: number;
}

const MAX_FAILURES_KEPT = 10;

/**
 * Signs in `count` times through the proxy at `proxy` (started with `--login-flow redirect`) to
 * `page`, `concurrency` clients at a time. Each sign-in is a new client without a cookie that
 * follows the redirects with its own cookie jar, as a browser does: the page (401, the proxy's
 * 302 with the proof), /auth (302 and the session), the page again. Each of the `concurrency`
 * clients keeps one connection to the proxy alive for all its sign-ins (a new connection per
 * request would leave thousands of sockets in TIME_WAIT, which slows every process on the
 * machine that reads /proc/net/tcp, the proxy's own local-user check among them); the
 * connections are closed before this resolves.
 *
 * Each sign-in comes from a person of its own: its requests say so in `X-Forwarded-For` (an
 * address in 10/8), which the server believes from the loopback (started with trust proxy
 * `loopback`, as behind a load balancer). Every sign-in reaches the server from the proxy's one
 * address, and the servers count sign-ins in flight per address against the failed sign-in
 * limit (20 a minute), so without it more than 20 at once from one address are refused 429.
 *
 * Why the redirect flow: in its default flow the proxy signs in once per app for all its
 * clients (concurrent challenges share one sign-in), so only the redirect flow, where each client
 * carries its own proof to /auth, has `concurrency` sign-ins in flight at once.
 *
 * @example const batch = await runSignIns({ proxy: proxy.url, page: `${app.url}/`, count: 5000, concurrency: 50, expectBody })
 */
export async function runSignIns(options: {
  readonly proxy: string;
  readonly page: string;
  readonly count: number;
  readonly concurrency: number;
  readonly expectBody: string;
}): Promise<SignInBatch> {
  const { proxy, page, count, expectBody } = options;
  const failures: string[] = [];
  const cookies: string[] = [];
  let started = 0;
  let failed = 0;
  const fail = (line: string): void => {
    failed += 1;
    if (failures.length < MAX_FAILURES_KEPT) failures.push(line);
  };
  const client = async (): Promise<void> => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      while (started < count) {
        started += 1;
        try {
          const headers = { "x-forwarded-for": personAddress(started) };
          const result = await signInThroughProxy(proxy, page, { agent, headers });
          const cookie = result.cookie.cookie;
          if (result.status !== 200 || result.body !== expectBody || result.requests !== 3) {
            fail(
              `${result.requests} requests ending ${result.status}: ${JSON.stringify(result.body.slice(0, 200))}`,
            );
          } else if (cookie === undefined) {
            fail("signed in, but no session cookie was set");
          } else {
            cookies.push(cookie);
          }
        } catch (error) {
          fail(error instanceof Error ? error.message : String(error));
        }
      }
    } finally {
      agent.destroy();
    }
  };
  const begun = performance.now();
  await Promise.all(Array.from({ length: Math.min(options.concurrency, count) }, client));
  const seconds = (performance.now() - begun) / 1000;
  return { attempted: count, succeeded: count - failed, failures, cookies, seconds };
}

/** The n-th person's address, 10.0.0.1 onwards. */
function personAddress(n: number): string {
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}
