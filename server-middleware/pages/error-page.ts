import { html, type SafeHtml } from "../../protocol/index.js";
import type { IamAuthError, IamAuthErrorCode } from "../errors.js";
import { renderHtmlPage } from "./html-page.js";

/** The kinds of refusal a person can tell apart, and act on differently. */
type RefusalKind = "not-allowed" | "proof-rejected" | "unsafe-link" | "malformed" | "unavailable";

const kindByCode: Readonly<Record<IamAuthErrorCode, RefusalKind>> = {
  NOT_ALLOWED: "not-allowed",
  TOKEN_MISSING: "proof-rejected",
  TOKEN_INVALID: "proof-rejected",
  TOKEN_UNREADABLE: "proof-rejected",
  TOKEN_FOREIGN_KEY: "proof-rejected",
  TOKEN_REPLAYED: "proof-rejected",
  KMS_TOKEN_UNBOUND: "proof-rejected",
  AUTH_METHOD_NOT_ACCEPTED: "proof-rejected",
  CREDENTIALS_INVALID: "proof-rejected",
  CREDENTIALS_EXPIRED: "proof-rejected",
  CREDENTIALS_REJECTED: "proof-rejected",
  STS_PROOF_MALFORMED: "proof-rejected",
  STS_PROOF_REJECTED: "proof-rejected",
  STS_PROOF_REFUSED: "proof-rejected",
  NONCE_INVALID: "proof-rejected",
  NONCE_EXPIRED: "proof-rejected",
  NONCE_COOKIE_MISSING: "proof-rejected",
  NONCE_COOKIE_MISMATCH: "proof-rejected",
  RETURN_URL_UNSAFE: "unsafe-link",
  BAD_REQUEST: "malformed",
  METHOD_NOT_ALLOWED: "malformed",
  // Answered with one line (another site gets no page), listed so every code has a kind.
  SIGN_OUT_CROSS_SITE: "malformed",
  KMS_UNAVAILABLE: "unavailable",
  KMS_THROTTLED: "unavailable",
  KMS_ACCESS_DENIED: "unavailable",
  KMS_KEY_UNUSABLE: "unavailable",
  STS_UNAVAILABLE: "unavailable",
  STS_THROTTLED: "unavailable",
  STS_BAD_RESPONSE: "unavailable",
  SIGN_IN_RATE_LIMITED: "unavailable",
  REPLAY_STORE_FULL: "unavailable",
  REPLAY_STORE_UNAVAILABLE: "unavailable",
};

const pages: Readonly<Record<RefusalKind, { readonly title: string; readonly hint: SafeHtml }>> = {
  "not-allowed": {
    title: "You are not allowed to use this app",
    hint: html`<p>
      Your AWS identity was proven, but this app lets in only some accounts or roles. Ask the app's owners for
      access, or sign in as another identity (restart iam-auth-proxy with <code>--profile</code> or
      <code>--assume-role-arn</code>), then try again.
    </p>`,
  },
  "proof-rejected": {
    title: "Your sign-in proof was not accepted",
    hint: html`<p>
      iam-auth-proxy makes a new proof for each sign-in, valid once and for a few minutes, so an old or copied
      sign-in link does not work. Check that iam-auth-proxy is running and is your browser's proxy, then try
      again.
    </p>`,
  },
  "unsafe-link": {
    title: "This sign-in link is not safe to follow",
    hint: html`<p>
      After signing in it would have taken you somewhere other than this app. Open the app's address yourself
      and try again.
    </p>`,
  },
  malformed: {
    title: "This sign-in request is malformed",
    hint: html`<p>
      Sign-in links are made by iam-auth-proxy, not typed by hand. Open the app's address yourself and try
      again.
    </p>`,
  },
  unavailable: {
    title: "Sign-in is not available right now",
    hint: html`<p>
      The app could not complete your sign-in with AWS; this is not something you did. Try again in a few
      minutes, and tell the app's owners if it keeps happening.
    </p>`,
  },
};

/**
 * The page a browser gets when a sign-in is refused or fails: what kind of refusal it is (the
 * title), the error's one-line message as the reason, what to do, a "Try again" link to the
 * app's start (`homePath`: the mount's "/", checked by the middleware before anything) and the stable code. The message is the one the text answer carries: it never
 * holds a token, a key, a credential or a stack trace, and it is escaped like every value.
 *
 * @example renderErrorPage(new IamAuthError("NOT_ALLOWED", "The identity arn:aws:iam::111122223333:user/bob is not allowed to use this app"))
 */
export function renderErrorPage(error: IamAuthError, homePath = "/"): string {
  const page = pages[kindByCode[error.code]];
  return renderHtmlPage({
    title: page.title,
    main: html`<p><strong>Reason:</strong> ${error.message}</p>
      ${page.hint}
      <p><a href="${homePath}">Try again</a></p>
      <p>Error <code>${error.code}</code> (HTTP ${error.status}).</p>`,
  });
}
