import type { OutgoingHttpHeaders } from "node:http";
import { buildAuthTarget, checkReturnUrl, ProtocolError } from "../../protocol/index.js";
import { explainRejectedKey, readAuthRefusal, refusalFor, type SignInRefusal } from "./auth-refusal.js";
import { readChallenge, type AppChallenge, type ChallengeAnswerer } from "./challenge-answerer.js";
import type { CookieJar, StoredCookie } from "../http/cookie-jar.js";
import { ProxyError } from "../common/errors.js";
import type { ProxyLogger } from "../common/log.js";
import { createSignInLog, type SignInLog } from "./login-log.js";
import { createRefusalMemory } from "./refusal-memory.js";
import type { RequestBody } from "../http/request-body.js";
import { originOf, type ForwardTarget } from "../http/request-target.js";
import { mergeCookieHeader, parseSetCookie, pathMatches, type ParsedCookie } from "../http/set-cookie.js";
import type { UpstreamSender } from "../upstream/sender.js";
import type { UpstreamResponse } from "../upstream/upstream-response.js";

export interface SelfLoginOptions {
  /** Where the session cookies obtained are kept. */
  readonly jar: CookieJar;
  readonly answer: ChallengeAnswerer;
  readonly send: UpstreamSender;
  readonly logger: ProxyLogger;
  /** Where each sign-in's outcome is reported. Default: createSignInLog({ logger }) (the log line only, nothing recorded). */
  readonly signInLog?: SignInLog | undefined;
  /** How long /auth may take, in ms. Default 30000. */
  readonly authTimeoutMs?: number;
  /**
   * How long a 403 from an app's /auth is answered again without signing in again, in ms
   * (0: never). Default 30000.
   */
  readonly refusalMemoryMs?: number;
  /** The current time in ms, for the refusal memory. Default Date.now. */
  readonly clock?: () => number;
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
  /** The protocol of an Upgrade request (replayed as an Upgrade too). Default: none. */
  readonly upgrade?: string | undefined;
  /** The app's challenge, read from its 401 (whose body the caller has drained). */
  readonly challenge: AppChallenge;
  /** jar.generation(originOf(target)) when the request was sent. */
  readonly jarGeneration: number;
  /** Aborted when the client goes away. */
  readonly signal: AbortSignal;
}

/**
 * What the client gets: the app's response to the replayed request (plus the session cookies),
 * or a refusal (answer it with sendSignInRefusal: the app's own refusal page when there is one).
 */
export type SelfLoginResult =
  | { readonly kind: "response"; readonly response: UpstreamResponse; readonly setCookies: readonly string[] }
  | SignInRefusal;

/** A finished sign-in: the session cookies the app set, or why there are none. */
export type SignInOutcome =
  | {
      readonly kind: "signed-in";
      readonly cookies: readonly StoredCookie[];
      readonly setCookies: readonly string[];
    }
  | SignInRefusal;

export interface SelfLogin {
  /** Signs in for a challenged request and replays it (see createSelfLogin). */
  (request: ChallengedRequest): Promise<SelfLoginResult>;
  /**
   * Signs in to the app at `target` with its challenge (draining it), or joins the sign-in
   * already running for that app; the caller sends its request again itself (websocket upgrades).
   * `accept`: the client's Accept header, sent to /auth (default: text first).
   */
  signIn(challenge: AppChallenge, target: ForwardTarget, accept?: string): Promise<SignInOutcome>;
}

/** /auth is asked for text when the client said nothing: the one-line reason is what is shown. */
const DEFAULT_AUTH_ACCEPT = "text/plain, */*";

/**
 * Completes sign-ins on the client's behalf. For a challenged request it gets a token (see
 * createChallengeAnswerer), sends `GET /auth?return_url=…&token=…` to the app itself (to the
 * challenge's `auth-path` when it names one), keeps the session cookies the app sets in the jar,
 * and replays the request with them; the client gets
 * the app's real response with those Set-Cookie lines added, so a browser keeps the session and
 * the token never reaches its history. A client without a cookie store gets the page at once.
 *
 * At most one sign-in per app runs at a time: requests challenged meanwhile wait for it and
 * replay with its session, and a request sent before a sign-in finished first tries the newer
 * session. A login loop is impossible: each client request causes at most one sign-in, and a
 * replay that is challenged again ends in 403 LOGIN_LOOP.
 *
 * If /auth refuses, the client gets the app's own refusal: /auth is asked with the client's
 * Accept header, so a browser gets the app's HTML page with the reason and curl its one line
 * (see readAuthRefusal; never its Set-Cookie). A 403 from /auth — the app refused this identity
 * — is remembered for `refusalMemoryMs` (30 s): requests to that app meanwhile get the same
 * refusal without another sign-in, so the favicon a browser fetches after the refused page does
 * not cause a second sign-in that is refused again. Only a request with the same Accept header
 * gets the app's page again; others get its one line. Refusals of the proxy's own (no
 * credentials, a timeout) and the app's 5xx are not remembered: trying again may succeed.
 *
 * @example const selfLogin = createSelfLogin({ jar, answer, send, logger }); const result = await selfLogin(challenged)
 */
export function createSelfLogin(options: SelfLoginOptions): SelfLogin {
  const { jar, answer, send, logger } = options;
  const signInLog = options.signInLog ?? createSignInLog({ logger });
  const authTimeoutMs = options.authTimeoutMs ?? 30_000;
  const refusalMemoryMs = options.refusalMemoryMs ?? 30_000;
  const clock = options.clock ?? Date.now;
  const running = new Map<string, Promise<SignInOutcome>>();
  const refusals = createRefusalMemory(refusalMemoryMs, clock);

  const replay = (
    request: ChallengedRequest,
    cookies: readonly StoredCookie[],
  ): Promise<UpstreamResponse> => {
    const cookie = mergeCookieHeader(request.clientCookie, cookies, "replace");
    const headers: OutgoingHttpHeaders = { ...request.headers };
    delete headers.cookie;
    if (cookie !== undefined) headers.cookie = cookie;
    const { target } = request;
    return send(
      {
        target,
        method: request.method,
        path: target.path,
        headers,
        body: request.body,
        upgrade: request.upgrade,
      },
      request.signal,
    );
  };

  async function runSignIn(
    challenge: AppChallenge,
    target: ForwardTarget,
    accept: string,
  ): Promise<SignInOutcome> {
    const decision = await answer(challenge, { host: target.host, scheme: target.scheme });
    const { identity, method } = decision;
    const refuse = (error: ProxyError): SignInOutcome => {
      signInLog.denied({ host: target.host, identity, method }, error);
      return { kind: "refused", status: error.status, message: error.message, code: error.code };
    };
    if (decision.action === "deny") return refuse(decision.error);
    const timeout = AbortSignal.timeout(authTimeoutMs);
    const challengeCookies = readChallengeCookies(challenge, target.path, clock());
    let auth: UpstreamResponse;
    try {
      auth = await send(
        {
          target,
          method: "GET",
          path: buildAuthTarget(challenge.authPath, returnUrlFor(target.path), decision.token),
          headers: { host: target.host, accept, ...cookieField(challengeCookies) },
          body: undefined,
        },
        timeout,
      );
    } catch (error) {
      // An app failure is reported like any other (see describeUpstreamFailure); a timeout says what
      // timed out, with the code of every other answer that did not come in time (504, not 502).
      if (!timeout.aborted) throw error;
      return refuse(
        new ProxyError(
          "UPSTREAM_TIMEOUT",
          `${target.host} did not answer the sign-in at ${challenge.authPath} within ${authTimeoutMs / 1000} s`,
          { cause: error },
        ),
      );
    }
    if ((auth.statusCode ?? 502) >= 400) {
      const refusal = explainRejectedKey(await readAuthRefusal(auth, accept), decision);
      const { status, message } = refusal;
      signInLog.login({ host: target.host, identity, method, outcome: "denied", status, reason: message });
      // 403: the app refused this identity or its proof (NOT_ALLOWED, STS_PROOF_REFUSED, …); a new
      // proof made the same way moments later gets the same answer. A 5xx is the app's own trouble.
      if (status === 403) refusals.remember(originOf(target), refusal);
      return refusal;
    }
    auth.resume();
    // The challenge's cookies were the proxy's to send; /auth clearing them is not the client's business.
    const setCookies = withoutCookies(auth.headersDistinct["set-cookie"] ?? [], challengeCookies);
    const cookies = jar.store(originOf(target), challenge.authPath, setCookies);
    signInLog.login({ host: target.host, identity, method, outcome: "signed-in" });
    return { kind: "signed-in", cookies, setCookies };
  }

  /** The app's recent refusal of this identity, if any (and it is logged as answered again). */
  function recentRefusal(target: ForwardTarget, authPath: string): SignInRefusal | undefined {
    const remembered = refusals.recall(originOf(target));
    if (remembered === undefined) return undefined;
    const left = remembered.leftMs;
    logger.info("challenge", {
      host: target.host,
      outcome: "refused-again",
      status: remembered.refusal.status,
      reason: `the app refused this identity at ${authPath} moments ago; not signing in again for ${Math.ceil(left / 1000)} s`,
    });
    return remembered.refusal;
  }

  function startSignIn(
    challenge: AppChallenge,
    target: ForwardTarget,
    accept: string,
  ): Promise<SignInOutcome> {
    const origin = originOf(target);
    const pending = runSignIn(challenge, target, accept);
    running.set(origin, pending);
    const clear = (): void => {
      if (running.get(origin) === pending) running.delete(origin);
    };
    pending.then(clear, clear);
    return pending;
  }

  const signIn = (
    challenge: AppChallenge,
    target: ForwardTarget,
    accept = DEFAULT_AUTH_ACCEPT,
  ): Promise<SignInOutcome> => {
    // Decided synchronously, so concurrent requests cannot both start a sign-in.
    const origin = originOf(target);
    const joined = running.get(origin);
    const remembered = joined === undefined ? recentRefusal(target, challenge.authPath) : undefined;
    const pending =
      joined ??
      (remembered === undefined ? startSignIn(challenge, target, accept) : Promise.resolve(remembered));
    return pending.then((outcome) => forAccept(outcome, accept));
  };

  const complete = async (request: ChallengedRequest): Promise<SelfLoginResult> => {
    const { target } = request;
    const origin = originOf(target);
    const accept = headerText(request.headers.accept) ?? DEFAULT_AUTH_ACCEPT;
    let challenge = request.challenge;
    let outcome: SignInOutcome | undefined;
    const joined = running.get(origin);
    if (joined !== undefined) {
      outcome = forAccept(await joined, accept);
    } else if (jar.generation(origin) !== request.jarGeneration) {
      // A sign-in finished after this request was sent: its session may be all this request needs.
      const cookies = jar.cookiesFor(origin, target.path);
      if (cookies.length > 0) {
        const response = await replay(request, cookies);
        const again = readChallenge(response);
        if (again === undefined) {
          return { kind: "response", response, setCookies: cookies.map((cookie) => cookie.setCookie) };
        }
        response.resume();
        challenge = again;
      }
    }
    outcome ??= await signIn(challenge, target, accept);
    if (outcome.kind === "refused") return outcome;

    const response = await replay(
      request,
      outcome.cookies.filter((cookie) => pathMatches(cookie.path, target.path)),
    );
    if (readChallenge(response) === undefined) {
      return { kind: "response", response, setCookies: outcome.setCookies };
    }
    response.resume();
    const loop = loginLoop(target);
    logger.warn("login-loop", { host: target.host, code: loop.code, reason: loop.message });
    return { kind: "refused", status: loop.status, message: loop.message, code: loop.code };
  };
  return Object.assign(complete, { signIn });
}

/** 403 LOGIN_LOOP: the app challenged a request again right after the proxy signed in to it. */
function loginLoop(target: Pick<ForwardTarget, "scheme" | "host">): ProxyError {
  const hint = target.scheme === "https" ? "" : " (does the app accept its session cookie over plain http?)";
  return new ProxyError(
    "LOGIN_LOOP",
    `Signed in to ${target.host}, but the app challenged the request again with the new session; ` +
      `not retrying, to avoid a login loop${hint}`,
  );
}

/** The return_url of the hand-over: the request's path when the app would accept it. */
/**
 * The return_url for a request being signed in and replayed: its path, or "/" when that path
 * is not one return_url may hold (the request is replayed whatever return_url says).
 *
 * @example returnUrlFor("/reports?q=1") // "/reports?q=1"
 */
export function returnUrlFor(requestPath: string): string {
  try {
    return checkReturnUrl(requestPath);
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    return "/";
  }
}

/**
 * The cookies the app's 401 set for its auth path, which the hand-over carries as the browser that
 * was challenged would: the STS method binds a proof to that browser with a nonce cookie
 * (docs/protocol.md, "The nonce cookie"), and /auth refuses a proof without it.
 */
function readChallengeCookies(challenge: AppChallenge, requestPath: string, now: number): ParsedCookie[] {
  return (challenge.headers["set-cookie"] ?? [])
    .map((line) => parseSetCookie(line, requestPath, now))
    .filter((cookie) => cookie !== undefined)
    .filter(
      (cookie) =>
        pathMatches(cookie.path, challenge.authPath) &&
        !(cookie.expiresAt !== undefined && cookie.expiresAt <= now),
    );
}

function cookieField(cookies: readonly ParsedCookie[]): { cookie?: string } {
  const cookie = mergeCookieHeader(undefined, cookies, "fill");
  return cookie === undefined ? {} : { cookie };
}

/** Set-Cookie lines other than those for the named cookies. */
function withoutCookies(lines: readonly string[], cookies: readonly ParsedCookie[]): string[] {
  const names = new Set(cookies.map((cookie) => cookie.name));
  return lines.filter((line) => !names.has(line.slice(0, line.indexOf("=")).trim()));
}

/** A refusal joined or remembered may hold the app's page for a request with another Accept header. */
function forAccept(outcome: SignInOutcome, accept: string): SignInOutcome {
  return outcome.kind === "refused" ? refusalFor(outcome, accept) : outcome;
}

/** A header's value as one string (Accept is never repeated by browsers; a list is joined as RFC 9110 allows). */
function headerText(value: OutgoingHttpHeaders[string]): string | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(", ") : String(value);
}
