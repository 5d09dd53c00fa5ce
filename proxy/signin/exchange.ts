import type { OutgoingHttpHeaders, ServerResponse } from "node:http";
import type { AwsSession } from "../aws/aws-session.js";
import type { LoginFlow, LoginMethodPreference } from "../aws/types.js";
import type { ProxyLogger } from "../common/log.js";
import type { RequestBody } from "../http/request-body.js";
import { originOf, type ForwardTarget } from "../http/request-target.js";
import { mergeCookieHeader } from "../http/set-cookie.js";
import type { UpstreamSender } from "../upstream/sender.js";
import type { UpstreamResponse } from "../upstream/upstream-response.js";
import { redirectToAuth, type AuthRedirect } from "./auth-redirect.js";
import type { SignInRefusal } from "./auth-refusal.js";
import { createChallengeAnswerer, readChallenge } from "./challenge-answerer.js";
import { CookieJar, type StoredCookie } from "../http/cookie-jar.js";
import type { SignInLog } from "./login-log.js";
import { decideOnResponse, sendsStoredSession, updatesStoredSession, type AppPolicy } from "./policy.js";
import type { RequestSite } from "./request-site.js";
import { createSelfLogin } from "./self-login.js";

/** One client request to an app, as a mode hands it over: parsed, its head prepared, its site known. */
export interface AppRequest {
  readonly target: ForwardTarget;
  readonly method: string;
  /**
   * Prepared for the app (hop-by-hop fields removed, Host set), without Cookie. The request's own
   * copy: the exchange sets its Cookie field (no copy per request on the forwarding path).
   */
  readonly headers: OutgoingHttpHeaders;
  /** The client's own Cookie field. */
  readonly clientCookie: string | undefined;
  /** Who made the client send it (see classifyRequestSite). */
  readonly site: RequestSite;
  readonly body: RequestBody;
  /** The protocol an Upgrade request asks for (its Upgrade field). Default: not an upgrade. */
  readonly upgrade?: string | undefined;
  /** Where the redirect flow sends the client for /auth: the app's host (forward) or the local address (reverse). */
  readonly authHost: string;
  /** Aborted when the client goes away. */
  readonly signal?: AbortSignal | undefined;
  /** The client's response, when there is one: its closing early aborts the request to the app (cheaper than `signal`). */
  readonly client?: ServerResponse | undefined;
}

/**
 * What the client gets for an AppRequest: the app's response (plus the Set-Cookie lines of a
 * sign-in the proxy made for it), a redirect to /auth, or a refusal.
 */
export type ExchangeOutcome =
  | {
      readonly kind: "response";
      readonly response: UpstreamResponse;
      /** Set-Cookie lines of the proxy's sign-in, to add before the app's own. */
      readonly addedSetCookies: readonly string[];
    }
  | (AuthRedirect & {
      /**
       * The Set-Cookie lines of the app's 401, to send with the 302: the STS method's nonce cookie
       * binds the proof to the browser that follows the redirect (docs/protocol.md).
       */
      readonly setCookies: readonly string[];
    })
  | SignInRefusal;

export interface AppExchangeOptions {
  /** The person's AWS side (credentials, STS, KMS, with their caches). */
  readonly session: AwsSession;
  /** Which proof to give. */
  readonly method: LoginMethodPreference;
  /** Reaches the apps (see createUpstreamSender). */
  readonly send: UpstreamSender;
  readonly loginFlow: LoginFlow;
  /** Which app may receive which proof (see createAppPolicy). */
  readonly apps: AppPolicy;
  readonly logger: ProxyLogger;
  /** Where each sign-in's outcome is reported: the `login` log line and the record of sign-ins. */
  readonly signInLog: SignInLog;
  /** How long an app's /auth may take when the proxy signs in, in ms. */
  readonly authTimeoutMs: number;
  /** The current time in ms (cookie lifetimes, the refusal memory). */
  readonly clock: () => number;
}

/** Sends one request to its app and carries out the sign-in policy on the answer (see createAppExchange). */
export type AppExchange = (request: AppRequest) => Promise<ExchangeOutcome>;

const NO_COOKIES: readonly StoredCookie[] = Object.freeze([]);

/**
 * Creates the one exchange every mode goes through — "see a challenge, sign in, replay", written
 * once: adds the session the proxy holds (when sendsStoredSession allows it and the client sends
 * none of its own), sends the request (an Upgrade too), reads the app's challenge once, and does
 * what decideOnResponse says: relays the response, signs in and replays (createSelfLogin), or
 * answers with the redirect to /auth. The app's Set-Cookie updates the proxy's session only when
 * updatesStoredSession allows it. Rejects with the sender's ProxyError when the app fails.
 *
 * @example const outcome = await exchange({ target, method: "GET", headers, clientCookie, site: "same-site", body: NO_REQUEST_BODY, authHost: target.host })
 */
export function createAppExchange(options: AppExchangeOptions): AppExchange {
  const { send, logger } = options;
  // One jar for every app the proxy serves: it keys an https app as https://host[:port] and keeps
  // its Secure cookies (an app's session cookie nearly always is), sending them only over TLS.
  const jar = new CookieJar({ now: options.clock });
  const answerChallenge = createChallengeAnswerer({
    session: options.session,
    method: options.method,
    mayReceiveKmsProof: options.apps.mayReceiveKmsProof,
  });
  const selfLogin = createSelfLogin({
    jar,
    answer: answerChallenge,
    send,
    logger,
    signInLog: options.signInLog,
    authTimeoutMs: options.authTimeoutMs,
    clock: options.clock,
  });
  return async (request) => {
    const { target, method, site, body, clientCookie } = request;
    const origin = originOf(target);
    const held = sendsStoredSession(site) ? jar.cookiesFor(origin, target.path) : NO_COOKIES;
    const { headers } = request;
    // Nothing to add (the usual case: the jar is empty, or a browser sends the session itself):
    // the client's Cookie field goes as it came.
    const cookie = held.every((stored) => sendsCookie(clientCookie, stored.name))
      ? clientCookie || undefined
      : mergeCookieHeader(clientCookie, held, "fill");
    if (cookie !== undefined) headers.cookie = cookie;
    const jarGeneration = jar.generation(origin);
    const response = await send(
      {
        target,
        method,
        path: target.path,
        headers,
        body,
        upgrade: request.upgrade,
        client: request.client,
      },
      request.signal,
    );
    const challenge = readChallenge(response);
    const decision = decideOnResponse({
      challenged: challenge !== undefined,
      site,
      signsInTo: challenge !== undefined && options.apps.signsInTo(target),
      loginFlow: options.loginFlow,
      replayable: body.kind === "complete",
      upgrade: request.upgrade !== undefined,
    });
    if (decision.action === "relay" || challenge === undefined) {
      if (decision.action === "relay" && decision.passedThrough !== undefined) {
        logger.info("challenge", {
          host: target.host,
          outcome: "passed-through",
          reason: decision.passedThrough,
        });
      }
      keepSessionInStep(response, request);
      return { kind: "response", response, addedSetCookies: [] };
    }
    // The app's 401 body is replaced by the proxy's answer; read it to the end so the connection can be reused.
    response.resume();
    if (decision.action === "redirect") {
      const redirect = await redirectToAuth(challenge, target, request.authHost, {
        answerChallenge,
        signInLog: options.signInLog,
      });
      if (redirect.kind !== "redirect") return redirect;
      return { ...redirect, setCookies: readSetCookies(response.rawHeaders) ?? [] };
    }
    // decideOnResponse signs in only for a body the proxy kept (an Upgrade has none).
    if (body.kind !== "complete") throw new Error("the sign-in policy chose to replay a streamed body");
    const result = await selfLogin({
      target,
      method,
      headers,
      clientCookie,
      body,
      upgrade: request.upgrade,
      challenge,
      jarGeneration,
      signal: request.signal ?? signalClientGone(request.client),
    });
    if (result.kind === "refused") return result;
    keepSessionInStep(result.response, request);
    return { kind: "response", response: result.response, addedSetCookies: result.setCookies };
  };

  /** Keeps the jar in step with the app when it renews or ends a session the jar holds. */
  function keepSessionInStep(response: UpstreamResponse, request: AppRequest): void {
    if (!updatesStoredSession(request.site)) return;
    const lines = readSetCookies(response.rawHeaders);
    if (lines === undefined) return;
    jar.store(originOf(request.target), request.target.path, lines, { onlyKnownNames: true });
  }
}

/** Whether a Cookie field value has a cookie named `name` (RFC 6265 §4.2.1: `name=value` pairs joined by "; "). */
function sendsCookie(header: string | undefined, name: string): boolean {
  if (header === undefined) return false;
  const pair = `${name}=`;
  for (let at = header.indexOf(pair); at !== -1; at = header.indexOf(pair, at + 1)) {
    // A whole name, as mergeCookieHeader splits them: at the start of a pair, after the ";" that
    // ends the previous one and any spaces.
    let before = at - 1;
    while (before >= 0 && (header[before] === " " || header[before] === "\t")) before -= 1;
    if (before === -1 || header[before] === ";") return true;
  }
  return false;
}

/** The Set-Cookie field values of a response, in order, from its rawHeaders; undefined if none. */
function readSetCookies(rawHeaders: readonly string[]): string[] | undefined {
  let lines: string[] | undefined;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] ?? "";
    // The length first: it rules out most names without lower-casing them.
    if (name.length === 10 && name.toLowerCase() === "set-cookie")
      (lines ??= []).push(rawHeaders[i + 1] ?? "");
  }
  return lines;
}

/** A signal aborted when the client goes away before its response is finished (for a sign-in and replay). */
function signalClientGone(res: ServerResponse | undefined): AbortSignal {
  const controller = new AbortController();
  if (res === undefined) return controller.signal;
  if (res.destroyed && !res.writableFinished) controller.abort();
  res.once("close", () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}
