import type { Agent } from "node:http";
import { CookieJar, httpRequest, resolveLocation, type HttpResult } from "../test/helpers/http-client.js";
import { withTimeout } from "./with-timeout.js";

/** How a sign-in through the proxy went, seen from a client without cookies. */
export interface SignInResult {
  /** The final response (not a redirect). */
  readonly status: number;
  readonly body: string;
  /**
   * Requests the client sent: 1 when the proxy completes the sign-in itself; 3 when it answers
   * with a 302 to /auth and the client follows (/auth, then the page again).
   */
  readonly requests: number;
  /** The Cookie header the session cookies make, or {} without any. */
  readonly cookie: Readonly<Record<string, string>>;
}

const MAX_REDIRECTS = 4;
const REQUEST_TIMEOUT_MS = 15_000;

/** How signInThroughProxy sends its requests. */
export interface SignInOptions {
  /** Runs after each response, before the next request (e.g. to read AWS counters between the proxy's part and the app's part of a redirect-flow sign-in). */
  readonly afterResponse?: (index: number, response: HttpResult) => Promise<void>;
  /** The connections to the proxy, e.g. one kept alive per client as a browser keeps it; default a new connection per request. */
  readonly agent?: Agent;
  /** Sent with every request besides Accept and the cookies, e.g. an X-Forwarded-For. */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Asks for `url` through the HTTP proxy `proxy` as a client with no cookie, following
 * redirects with a cookie jar (as a browser would) until an answer that is not a redirect.
 *
 * @example const { status, requests, cookie } = await signInThroughProxy(proxy.url, `${app.url}/`)
 */
export async function signInThroughProxy(
  proxy: string,
  url: string,
  options: SignInOptions = {},
): Promise<SignInResult> {
  const { afterResponse, agent, headers } = options;
  const jar = new CookieJar();
  let next = url;
  for (let index = 0; index <= MAX_REDIRECTS; index += 1) {
    const response = await withTimeout(
      httpRequest(next, {
        proxy,
        headers: { accept: "text/plain", ...headers, ...jar.header() },
        ...(agent === undefined ? {} : { agent }),
      }),
      REQUEST_TIMEOUT_MS,
      `GET ${next} through ${proxy}`,
    );
    jar.store(response.headers);
    await afterResponse?.(index, response);
    if (response.status < 300 || response.status >= 400 || response.headers.location === undefined) {
      return { status: response.status, body: response.body, requests: index + 1, cookie: jar.header() };
    }
    next = resolveLocation(response.headers.location, next);
  }
  throw new Error(`signing in at ${url} through ${proxy}: more than ${MAX_REDIRECTS} redirects`);
}

/**
 * Signs out through the proxy (`POST /auth/sign-out`), which also empties the proxy's own cookie
 * jar for the app, so the next request without a cookie signs in again.
 */
export async function signOutThroughProxy(proxy: string, appUrl: string): Promise<void> {
  const response = await withTimeout(
    httpRequest(`${appUrl}/auth/sign-out`, { proxy, method: "POST" }),
    REQUEST_TIMEOUT_MS,
    `POST ${appUrl}/auth/sign-out through ${proxy}`,
  );
  if (response.status !== 303)
    throw new Error(`sign-out answered ${response.status}, expected 303: ${response.body}`);
}
