import autocannon from "autocannon";

/** What a run of signed-in requests through the proxy gave. */
export interface RequestBatch {
  /** Requests autocannon sent. */
  readonly sent: number;
  /** Answers with a 2xx status. */
  readonly responses2xx: number;
  readonly non2xx: number;
  /** Answers whose body was not the page (a non-2xx answer may count here too). */
  readonly mismatches: number;
  /** Connection errors, timeouts included. */
  readonly errors: number;
  readonly timeouts: number;
  readonly seconds: number;
}

/**
 * Sends `amount` GETs of `page` through the HTTP proxy at `proxy` (absolute-form targets, as a
 * browser configured with a proxy sends them) on `connections` keep-alive connections, with
 * autocannon. Each request carries the next of `cookies` in turn, so every signed-in session is
 * used, not just one. autocannon closes its connections before this resolves.
 *
 * @example await runSignedInRequests({ proxy: proxy.url, page: `${app.url}/`, cookies, amount: 200_000, connections: 50, expectBody })
 */
export async function runSignedInRequests(options: {
  readonly proxy: string;
  readonly page: string;
  readonly cookies: readonly string[];
  readonly amount: number;
  readonly connections: number;
  readonly expectBody: string;
}): Promise<RequestBatch> {
  const { cookies, expectBody } = options;
  if (cookies.length === 0) throw new TypeError("runSignedInRequests: no session cookie to send");
  const page = new URL(options.page);
  let next = 0;
  const result = await autocannon({
    url: options.proxy,
    // autocannon refuses more connections than requests.
    connections: Math.min(options.connections, options.amount),
    amount: options.amount,
    timeout: 10,
    requests: [
      {
        method: "GET",
        path: page.href,
        headers: { host: page.host, accept: "text/plain" },
        setupRequest: (request) => {
          const cookie = cookies[next % cookies.length] ?? "";
          next += 1;
          return { ...request, headers: { ...request.headers, cookie } };
        },
      },
    ],
    verifyBody: (body: unknown) => body === expectBody,
  });
  return {
    sent: result.requests.sent,
    responses2xx: result["2xx"],
    non2xx: result.non2xx,
    mismatches: result.mismatches,
    errors: result.errors,
    timeouts: result.timeouts,
    seconds: result.duration,
  };
}
