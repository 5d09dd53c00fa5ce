import type { IncomingMessage, OutgoingHttpHeaders } from "node:http";
import { AUTH_PATH, checkReturnUrl, ProtocolError } from "../protocol/index.js";
import { isIamChallenge, type ChallengeAnswerer } from "./challenge-answerer.js";
import type { CookieJar, StoredCookie } from "./cookie-jar.js";
import { ProxyError, toOneLine } from "./errors.js";
import type { ProxyLogger } from "./log.js";
import { logLogin } from "./login-log.js";
import type { RequestBody } from "./request-body.js";
import { originOf, type ForwardTarget } from "./request-target.js";
import { mergeCookieHeader, pathMatches } from "./set-cookie.js";
import type { UpstreamSender } from "./upstream.js";

export interface SelfLoginOptions {
  /** Where the session cookies obtained are kept. */
  readonly jar: CookieJar;
  readonly answer: ChallengeAnswerer;
  readonly send: UpstreamSender;
  readonly logger: ProxyLogger;
  /** How long /auth may take, in ms. Default 30000. */
  readonly authTimeoutMs?: number;
}

/** A client request the app answered with an IAM challenge, and what replaying it needs. */
export interface ChallengedRequest {
  readonly target: ForwardTarget;
  readonly method: string;
  /** The headers as forwarded; their Cookie is replaced on replay. */
  readonly headers: OutgoingHttpHeaders;
  /** The client's own Cookie header, before the jar added anything. */
  readonly clientCookie: string | undefined;
  readonly body: Extract<RequestBody, { kind: "complete" }>;
  /** The app's 401; its body is drained here. */
  readonly challenge: IncomingMessage;
  /** jar.generation(originOf(target)) when the request was sent. */
  readonly jarGeneration: number;
  /** Aborted when the client goes away. */
  readonly signal: AbortSignal;
}

/** What the client gets: the app's response to the replayed request (plus the session cookies), or a refusal. */
export type SelfLoginResult =
  | { readonly kind: "response"; readonly response: IncomingMessage; readonly setCookies: readonly string[] }
  | { readonly kind: "refused"; readonly status: number; readonly message: string };

/** A finished sign-in: the session cookies the app set, or why there are none. */
export type SignInOutcome =
  | {
      readonly kind: "signed-in";
      readonly cookies: readonly StoredCookie[];
      readonly setCookies: readonly string[];
    }
  | { readonly kind: "refused"; readonly status: number; readonly message: string };

export interface SelfLogin {
  /** Signs in for a challenged request and replays it (see createSelfLogin). */
  (request: ChallengedRequest): Promise<SelfLoginResult>;
  /**
   * Signs in to the app at `target` with its challenge (draining it), or joins the sign-in
   * already running for that app; the caller sends its request again itself (websocket upgrades).
   */
  signIn(challenge: IncomingMessage, target: ForwardTarget): Promise<SignInOutcome>;
}

const MAX_REFUSAL_BYTES = 4096;

/**
 * Completes sign-ins on the client's behalf. For a challenged request it gets a token (see
 * createChallengeAnswerer), sends `GET /auth?return_url=…&token=…` to the app itself, keeps the
 * session cookies the app sets in the jar, and replays the request with them; the client gets
 * the app's real response with those Set-Cookie lines added, so a browser keeps the session and
 * the token never reaches its history. A client without a cookie store gets the page at once.
 *
 * At most one sign-in per app runs at a time: requests challenged meanwhile wait for it and
 * replay with its session, and a request sent before a sign-in finished first tries the newer
 * session. A login loop is impossible: each client request causes at most one sign-in, and a
 * replay that is challenged again ends in 403 LOGIN_LOOP. If /auth refuses, the client gets the
 * app's status and one-line reason.
 *
 * @example const selfLogin = createSelfLogin({ jar, answer, send, logger }); const result = await selfLogin(challenged)
 */
export function createSelfLogin(options: SelfLoginOptions): SelfLogin {
  const { jar, answer, send, logger } = options;
  const authTimeoutMs = options.authTimeoutMs ?? 30_000;
  const running = new Map<string, Promise<SignInOutcome>>();

  const replay = (request: ChallengedRequest, cookies: readonly StoredCookie[]): Promise<IncomingMessage> => {
    const cookie = mergeCookieHeader(request.clientCookie, cookies, "replace");
    const headers: OutgoingHttpHeaders = { ...request.headers };
    delete headers.cookie;
    if (cookie !== undefined) headers.cookie = cookie;
    const { target } = request;
    return send(
      { target, method: request.method, path: target.path, headers, body: request.body },
      request.signal,
    );
  };

  async function runSignIn(challenge: IncomingMessage, target: ForwardTarget): Promise<SignInOutcome> {
    const decision = await answer(challenge, { host: target.host, scheme: target.scheme });
    if (decision.action === "pass-through")
      throw new Error("self-login was given a response that is not an IAM challenge");
    const { identity, method } = decision;
    const refuse = (error: ProxyError): SignInOutcome => {
      logLogin(logger, {
        host: target.host,
        identity,
        method,
        outcome: "denied",
        code: error.code,
        reason: error.message,
      });
      return { kind: "refused", status: error.status, message: error.message };
    };
    if (decision.action === "deny") return refuse(decision.error);
    const timeout = AbortSignal.timeout(authTimeoutMs);
    let auth: IncomingMessage;
    try {
      auth = await send(
        {
          target,
          method: "GET",
          path: authPath(target.path, decision.token),
          headers: { host: target.host, accept: "text/plain, */*" },
          body: undefined,
        },
        timeout,
      );
    } catch (error) {
      // A socket error is reported like any other (502 naming the code); a timeout says what timed out.
      if (!timeout.aborted) throw error;
      return refuse(
        new ProxyError(
          "UPSTREAM_UNREACHABLE",
          `${target.host} did not answer the sign-in at ${AUTH_PATH} within ${authTimeoutMs / 1000} s`,
          { cause: error },
        ),
      );
    }
    const status = auth.statusCode ?? 502;
    if (status >= 400) {
      const reason = toOneLine((await readStart(auth, MAX_REFUSAL_BYTES)).split("\n", 1)[0] ?? "", 300);
      const message = reason === "" ? `The app refused the sign-in at ${AUTH_PATH} (HTTP ${status})` : reason;
      logLogin(logger, { host: target.host, identity, method, outcome: "denied", status, reason: message });
      return { kind: "refused", status, message };
    }
    auth.resume();
    const setCookies = auth.headersDistinct["set-cookie"] ?? [];
    const cookies = jar.store(originOf(target), AUTH_PATH, setCookies);
    logLogin(logger, { host: target.host, identity, method, outcome: "signed-in" });
    return { kind: "signed-in", cookies, setCookies };
  }

  function startSignIn(challenge: IncomingMessage, target: ForwardTarget): Promise<SignInOutcome> {
    const origin = originOf(target);
    const pending = runSignIn(challenge, target);
    running.set(origin, pending);
    const clear = (): void => {
      if (running.get(origin) === pending) running.delete(origin);
    };
    pending.then(clear, clear);
    return pending;
  }

  const signIn = (challenge: IncomingMessage, target: ForwardTarget): Promise<SignInOutcome> => {
    challenge.resume();
    return running.get(originOf(target)) ?? startSignIn(challenge, target);
  };

  const complete = async (request: ChallengedRequest): Promise<SelfLoginResult> => {
    const { target } = request;
    const origin = originOf(target);
    let challenge = request.challenge;
    challenge.resume();
    let outcome: SignInOutcome | undefined;
    const joined = running.get(origin);
    if (joined !== undefined) {
      outcome = await joined;
    } else if (jar.generation(origin) !== request.jarGeneration) {
      // A sign-in finished after this request was sent: its session may be all this request needs.
      const cookies = jar.cookiesFor(origin, target.path);
      if (cookies.length > 0) {
        const response = await replay(request, cookies);
        if (!isIamChallenge(response)) {
          return { kind: "response", response, setCookies: cookies.map((cookie) => cookie.setCookie) };
        }
        response.resume();
        challenge = response;
      }
    }
    outcome ??= await signIn(challenge, target);
    if (outcome.kind === "refused") return outcome;

    const response = await replay(
      request,
      outcome.cookies.filter((cookie) => pathMatches(cookie.path, target.path)),
    );
    if (!isIamChallenge(response)) return { kind: "response", response, setCookies: outcome.setCookies };
    response.resume();
    const loop = loginLoop(target);
    logger.warn("login-loop", { host: target.host, code: loop.code, reason: loop.message });
    return { kind: "refused", status: loop.status, message: loop.message };
  };
  return Object.assign(complete, { signIn });
}

/** 403 LOGIN_LOOP: the app challenged a request again right after the proxy signed in to it. */
export function loginLoop(target: Pick<ForwardTarget, "scheme" | "host">): ProxyError {
  const hint = target.scheme === "https" ? "" : " (does the app accept its session cookie over plain http?)";
  return new ProxyError(
    "LOGIN_LOOP",
    `Signed in to ${target.host}, but the app challenged the request again with the new session; ` +
      `not retrying, to avoid a login loop${hint}`,
  );
}

/** `/auth?return_url=…&token=…` in the original's form; return_url is the request's path when the app would accept it. */
function authPath(requestPath: string, token: string): string {
  let returnUrl = "/";
  try {
    returnUrl = checkReturnUrl(requestPath);
  } catch (error) {
    // The request is replayed whatever return_url says; "/" keeps an odd path from failing the sign-in.
    if (!(error instanceof ProtocolError)) throw error;
  }
  return `${AUTH_PATH}?return_url=${encodeURIComponent(returnUrl)}&token=${encodeURIComponent(token)}`;
}

/** Reads up to `limit` bytes of a response as UTF-8 and drains the rest. */
function readStart(response: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    response.on("data", (chunk: Buffer) => {
      if (size < limit) chunks.push(chunk.subarray(0, limit - size));
      size += chunk.length;
    });
    const done = (): void => resolve(Buffer.concat(chunks).toString("utf8"));
    response.on("end", done);
    response.on("error", done);
    response.on("close", done);
  });
}
