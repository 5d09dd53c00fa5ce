import type { LoginFlow, LoginTarget } from "../aws/types.js";
import { matchesAnyHost, type HostPattern } from "../http/host-pattern.js";
import type { ForwardTarget } from "../http/request-target.js";
import type { RequestSite } from "./request-site.js";

/**
 * What the proxy does with an app's response, in every mode (forward HTTP, intercepted HTTPS,
 * SOCKS, forward and reverse websockets, reverse HTTP):
 * - `relay`: the client gets the app's response as it is; `passedThrough` says why a challenge
 *   was not answered (logged), absent when there was no challenge;
 * - `sign-in`: the proxy signs in itself and replays the request (the `proxy` login flow);
 * - `redirect`: the client is sent to the app's /auth with the token (the original's flow).
 */
export type ResponseDecision =
  | { readonly action: "relay"; readonly passedThrough?: string }
  | { readonly action: "sign-in" }
  | { readonly action: "redirect" };

/** What decideOnResponse weighs, all of it already read from the request and the response. */
export interface ResponseFacts {
  /** The response is a 401 with an IAM challenge (well-formed or not; see readChallenge). */
  readonly challenged: boolean;
  /** Who made the client send the request (see classifyRequestSite). */
  readonly site: RequestSite;
  /** The proxy signs in to this app (no `hosts` were given, or one of them names it). */
  readonly signsInTo: boolean;
  readonly loginFlow: LoginFlow;
  /** The request body was read whole, so the request can be sent again after a sign-in. */
  readonly replayable: boolean;
  /** The request is an Upgrade (websocket handshake): a client cannot take it to /auth and back. */
  readonly upgrade: boolean;
}

const RELAY: ResponseDecision = Object.freeze({ action: "relay" });
const SIGN_IN: ResponseDecision = Object.freeze({ action: "sign-in" });
const REDIRECT: ResponseDecision = Object.freeze({ action: "redirect" });

/**
 * THE sign-in decision. Every mode hands each app response here and does what it says; no mode
 * decides any part of it again. In order:
 * 1. no IAM challenge: relay;
 * 2. an app the proxy was not told to sign in to: relay the challenge untouched (its proof is
 *    for the apps the person named, never for whatever app asks);
 * 3. another site's page made the browser send the request (a form post, a fetch, an image, a
 *    websocket; see RequestSite): relay the challenge untouched, or any web page could make the
 *    browser act through the proxy as the person (cross-site request forgery, websocket hijacking);
 * 4. an Upgrade: sign in and replay with the `proxy` flow; with `redirect` relay (a websocket
 *    client cannot follow a 302 to /auth; the page that opens it signs in first);
 * 5. `proxy` flow and a body the proxy kept: sign in and replay; otherwise redirect to /auth.
 *
 * @example decideOnResponse({ challenged: true, site: "cross-site-subrequest", signsInTo: true, loginFlow: "proxy", replayable: true, upgrade: false })
 * // { action: "relay", passedThrough: "another site's page sent this request; the proxy does not sign in for it" }
 */
export function decideOnResponse(facts: ResponseFacts): ResponseDecision {
  if (!facts.challenged) return RELAY;
  if (!facts.signsInTo) {
    return { action: "relay", passedThrough: "the app is not one of the hosts the proxy signs in to" };
  }
  if (facts.site === "cross-site-subrequest") {
    return {
      action: "relay",
      passedThrough: "another site's page sent this request; the proxy does not sign in for it",
    };
  }
  if (facts.upgrade) {
    return facts.loginFlow === "proxy"
      ? SIGN_IN
      : {
          action: "relay",
          passedThrough: "the redirect login flow cannot take a websocket handshake to /auth",
        };
  }
  return facts.loginFlow === "proxy" && facts.replayable ? SIGN_IN : REDIRECT;
}

/**
 * Whether the session the proxy holds for an app goes with this request (when the client sends
 * none of its own): not with another site's subrequest (see decideOnResponse, rule 3). A
 * cross-site navigation (a link followed at top level with GET or HEAD) carries it, as a
 * `SameSite=Lax` cookie would.
 */
export function sendsStoredSession(site: RequestSite): boolean {
  return site !== "cross-site-subrequest";
}

/**
 * Whether the app's Set-Cookie on this response may update the session the proxy holds: only on
 * a same-site request. Otherwise a page could navigate the browser to /auth with the attacker's
 * own token and swap the session the proxy holds for the attacker's (login CSRF).
 */
export function updatesStoredSession(site: RequestSite): boolean {
  return site === "same-site";
}

/** The apps the person named, for each kind of proof: every app, or those the patterns match. */
export interface NamedApps {
  /** The apps the proxy signs in to at all (forward mode's `hosts`; reverse mode's upstreams). */
  readonly signIn: "every app" | readonly HostPattern[];
  /**
   * The apps that may receive a KMS proof. A KMS token carries the person's temporary AWS
   * credentials: the app that gets one can replay it at any other app that trusts the same key
   * and encryption context (or use the credentials itself), so it goes only to apps the person
   * named. An STS proof names the app it is for and grants nothing, so it needs no such list.
   */
  readonly kms: "every app" | readonly HostPattern[];
}

/** Which app may receive which proof: decided here, for every mode. */
export interface AppPolicy {
  /** Whether the proxy answers this app's challenges at all (else they reach the client untouched). */
  readonly signsInTo: (target: Pick<ForwardTarget, "hostname" | "port">) => boolean;
  /** Whether this app may receive a KMS proof (else the challenge is refused: KMS_APP_NOT_NAMED). */
  readonly mayReceiveKmsProof: (target: LoginTarget) => boolean;
}

/**
 * Creates the policy for the apps the person named.
 *
 * @example createAppPolicy({ signIn: "every app", kms: [parseHostPattern("*.corp.example.com")] }).mayReceiveKmsProof({ host: "evil.example" }) // false
 */
export function createAppPolicy(named: NamedApps): AppPolicy {
  const { signIn, kms } = named;
  return Object.freeze<AppPolicy>({
    signsInTo: (target) => signIn === "every app" || matchesAnyHost(signIn, target.hostname, target.port),
    mayReceiveKmsProof: (target) => {
      if (kms === "every app") return true;
      const place = hostAndPort(target);
      return place !== undefined && matchesAnyHost(kms, place.hostname, place.port);
    },
  });
}

/** The host name and port of `host[:port]`, the scheme's default port when there is none. */
function hostAndPort(target: LoginTarget): { readonly hostname: string; readonly port: number } | undefined {
  const scheme = target.scheme ?? "http";
  if (!URL.canParse(`${scheme}://${target.host}/`)) return undefined;
  const url = new URL(`${scheme}://${target.host}/`);
  const port = url.port === "" ? (scheme === "https" ? 443 : 80) : Number(url.port);
  return { hostname: url.hostname.replace(/^\[|\]$/g, ""), port };
}
