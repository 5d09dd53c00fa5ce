import type { IncomingHttpHeaders } from "node:http";
import type { Duplex } from "node:stream";
import { Agent, type Dispatcher } from "undici";
import { readChallenge, type AppChallenge } from "../proxy/signin/challenge-answerer.js";
import { createAppSessions, type AuthAnswer, type IamClientOptions } from "./app-sessions.js";

/** createIamDispatcher's options. */
export interface IamDispatcherOptions extends IamClientOptions {
  /** The dispatcher that sends every request (a ProxyAgent, an Agent with TLS settings). Default a new undici Agent. */
  readonly dispatcher?: Dispatcher;
}

/** Longest refusal reason read from the app's answer at its auth path. */
const MAX_REASON_BYTES = 4096;

/**
 * An undici dispatcher that answers IAM challenges in-process, as createIamFetch does: for
 * `undici.request()`, `undici.fetch(url, { dispatcher })`, or any client built on undici. It
 * keeps each app's session cookie and adds it to that app's requests; on a `401 IAM` it signs in
 * (the proxy's own answerer and app policy) and dispatches the request once more. A request whose
 * body can be sent only once (a stream, an async iterable, FormData) is not sent again: its 401
 * reaches the caller, and the session is there for the next request. Sign-in failures reach the
 * caller as IamSignInError (through fetch: as the `cause` of its TypeError "fetch failed").
 *
 * @example
 * const dispatcher = createIamDispatcher();
 * const { statusCode, body } = await request("https://reports.internal.example.com/api/items", { dispatcher });
 */
export function createIamDispatcher(options: IamDispatcherOptions = {}): Dispatcher {
  return (options.dispatcher ?? new Agent()).compose(createIamInterceptor(options));
}

/**
 * The same as an undici interceptor, to compose with others:
 * `new Agent().compose(createIamInterceptor(), interceptors.retry())`.
 */
export function createIamInterceptor(
  options: IamClientOptions = {},
): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) => {
    const sessions = createAppSessions(options, (authUrl, cookie) => sendAuth(dispatch, authUrl, cookie));
    return (opts, handler) => {
      const url = new URL(opts.path, opts.origin);
      const withSession = (): Dispatcher.DispatchOptions => ({
        ...opts,
        headers: addCookie(opts.headers, sessions.cookieFor(url)),
      });
      if (!canSendAgain(opts)) return dispatch(withSession(), handler);
      const signInAndRetry = async (
        challenge: AppChallenge,
        setCookies: readonly string[],
      ): Promise<void> => {
        await sessions.signIn(url, challenge, setCookies);
        dispatch(withSession(), handler);
      };
      return dispatch(withSession(), new ChallengeHandler(handler, signInAndRetry));
    };
  };
}

/**
 * Passes everything to `handler` except an IAM challenge: a `401 IAM` response's head and body are
 * held back, and once it has ended `retry` signs in and dispatches the request again (to the same
 * handler, as undici's redirect handler does).
 */
class ChallengeHandler implements Dispatcher.DispatchHandler {
  #challenged: { readonly challenge: AppChallenge; readonly setCookies: readonly string[] } | undefined;

  constructor(
    private readonly handler: Dispatcher.DispatchHandler,
    private readonly retry: (challenge: AppChallenge, setCookies: readonly string[]) => Promise<void>,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    this.handler.onRequestStart?.(controller, context);
  }

  onRequestUpgrade(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
    socket: Duplex,
  ): void {
    this.handler.onRequestUpgrade?.(controller, statusCode, headers, socket);
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
    statusMessage?: string,
  ): void {
    const headersDistinct = distinct(headers);
    const challenge = readChallenge({ statusCode, headersDistinct });
    if (challenge !== undefined) {
      this.#challenged = { challenge, setCookies: headersDistinct["set-cookie"] ?? [] };
      return;
    }
    this.handler.onResponseStart?.(controller, statusCode, headers, statusMessage);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#challenged === undefined) this.handler.onResponseData?.(controller, chunk);
  }

  onResponseEnd(controller: Dispatcher.DispatchController, trailers: IncomingHttpHeaders): void {
    const challenged = this.#challenged;
    if (challenged === undefined) {
      this.handler.onResponseEnd?.(controller, trailers);
      return;
    }
    this.#challenged = undefined;
    this.retry(challenged.challenge, challenged.setCookies).catch((error: unknown) =>
      this.handler.onResponseError?.(controller, error as Error),
    );
  }

  onResponseError(controller: Dispatcher.DispatchController, error: Error): void {
    this.handler.onResponseError?.(controller, error);
  }
}

/** Whether the request can be dispatched a second time: no body, or one held in memory. */
function canSendAgain(opts: Dispatcher.DispatchOptions): boolean {
  if (opts.method === "CONNECT" || opts.upgrade !== undefined) return false;
  const body: unknown = opts.body;
  return body === undefined || body === null || typeof body === "string" || body instanceof Uint8Array;
}

/** The headers as name → every value, names lower-cased (what readChallenge reads). */
function distinct(headers: IncomingHttpHeaders): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value : [value];
  }
  return out;
}

/** The request's headers as a flat [name, value, …] list with `cookie` added to its Cookie header. */
function addCookie(headers: Dispatcher.DispatchOptions["headers"], cookie: string): string[] {
  const pairs: [string, string][] = [];
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2) pairs.push([String(headers[i]), String(headers[i + 1])]);
  } else if (headers !== undefined && headers !== null) {
    const entries: Iterable<[string, unknown]> =
      Symbol.iterator in headers
        ? (headers as Iterable<[string, unknown]>)
        : Object.entries(headers as Record<string, unknown>);
    for (const [name, value] of entries) {
      if (value === undefined) continue;
      for (const each of Array.isArray(value) ? value : [value]) pairs.push([name, String(each)]);
    }
  }
  if (cookie !== "") {
    const own = pairs.find(([name]) => name.toLowerCase() === "cookie");
    if (own === undefined) pairs.push(["cookie", cookie]);
    else own[1] = own[1] === "" ? cookie : `${own[1]}; ${cookie}`;
  }
  return pairs.flat();
}

/** GET authUrl with `cookie` through `dispatch` (no redirects followed), as the hand-over. */
function sendAuth(dispatch: Dispatcher.Dispatch, url: URL, cookie: string): Promise<AuthAnswer> {
  return new Promise((resolve, reject) => {
    let status = 0;
    let setCookies: readonly string[] = [];
    const chunks: Buffer[] = [];
    let length = 0;
    dispatch(
      {
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: "GET",
        headers: cookie === "" ? [] : ["cookie", cookie],
      },
      {
        // Its presence is what tells undici this handler uses the current handler API.
        onRequestStart() {},
        onResponseStart(_controller, statusCode, headers) {
          status = statusCode;
          setCookies = distinct(headers)["set-cookie"] ?? [];
        },
        onResponseData(_controller, chunk) {
          if (length < MAX_REASON_BYTES) chunks.push(chunk);
          length += chunk.length;
        },
        onResponseEnd() {
          resolve({
            status,
            setCookies,
            reason: Buffer.concat(chunks).toString("utf8").split("\n")[0] ?? "",
          });
        },
        onResponseError(_controller, error) {
          reject(error);
        },
      },
    );
  });
}
