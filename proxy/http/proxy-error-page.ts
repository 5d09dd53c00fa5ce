import type { IncomingHttpHeaders } from "node:http";
import { html, renderHtmlPage, type SafeHtml } from "../../protocol/index.js";
import type { ProxyError, ProxyErrorCode } from "../common/errors.js";

/*
 * What a person sees in the browser when the proxy answers a request itself: a small page in the
 * look of the app's own pages (protocol/html-page.ts) that says what happened (the title), why
 * (the ProxyError's one-line message), what to do, and the code. Scripts and curl get the one
 * line of text instead (see formatProxyErrorLine); both carry the code in Iam-Auth-Proxy-Error.
 */

/**
 * Whether a request came from a browser that will show the answer as a page: its Accept names
 * `text/html` (every browser's navigation does; curl, fetch() and the proxy's own requests do
 * not), or it says it is loading a document or frame (`Sec-Fetch-Dest`). The one place the
 * proxy decides "browser".
 *
 * @example isBrowserRequest({ accept: "text/html,application/xhtml+xml,…" }) // true
 * @example isBrowserRequest({ accept: "*\/*" }) // false (curl)
 */
export function isBrowserRequest(headers: IncomingHttpHeaders): boolean {
  const accept = headers.accept;
  if (typeof accept === "string" && accept.toLowerCase().includes("text/html")) return true;
  const destination = headers["sec-fetch-dest"];
  return destination === "document" || destination === "iframe";
}

/** What a page says for one code: what happened, and what the person can do about it. */
interface ErrorPageWords {
  readonly title: string;
  readonly todo: SafeHtml;
}

const tellTheOwners = html`<p>
  This is a problem with the app's sign-in set-up, not with you or your credentials. Tell the app's owners,
  with the code below.
</p>`;
const badChallenge: ErrorPageWords = { title: "The app's sign-in request is malformed", todo: tellTheOwners };
const notForwardable: ErrorPageWords = {
  title: "The proxy cannot forward this request",
  todo: html`<p>
    The browser or tool sent a request that HTTP does not let a proxy forward as it is. Open the app's address
    again; if it keeps happening, tell the app's owners which page sent it.
  </p>`,
};
const unreachable: ErrorPageWords = {
  title: "The proxy could not reach the app",
  todo: html`<p>
    Check the address, that the app is running, and your network or VPN (or the SSH tunnel given with
    <code>--socks-proxy</code>), then reload this page.
  </p>`,
};
const untrusted: ErrorPageWords = {
  title: "The app's HTTPS certificate is not trusted",
  todo: html`<p>
    If the app uses a certificate from your organisation's own CA, restart iam-auth-proxy with
    <code>--upstream-ca</code> and that CA's PEM file. Otherwise tell the app's owners: the certificate may
    have expired or be made for another name.
  </p>`,
};

/** Every code has its words (a new code does not compile until it has them). */
const wordsByCode: Readonly<Record<ProxyErrorCode, ErrorPageWords>> = {
  CHALLENGE_INVALID: badChallenge,
  KMS_KEY_ID_MISSING: badChallenge,
  ENCRYPTION_CONTEXT_MISSING: badChallenge,
  ENCRYPTION_CONTEXT_INVALID: badChallenge,
  SERVER_ID_MISMATCH: {
    title: "The app asked for a proof meant for another app",
    todo: html`<p>
      The proxy proves your identity to an app only for that app's own address, so a proof cannot be replayed
      elsewhere. If the app sits behind a load balancer or another name, tell its owners, with the code below.
    </p>`,
  },
  METHOD_NOT_OFFERED: {
    title: "The app does not offer the sign-in method the proxy uses",
    todo: html`<p>
      iam-auth-proxy was started with <code>--method</code> set to a method this app does not offer. Restart
      it without <code>--method</code> (it then picks the one the app offers), and reload this page.
    </p>`,
  },
  REALM_MISMATCH: {
    title: "Your AWS identity is in another account than this app",
    todo: html`<p>
      This app signs in identities of one AWS account only. Restart iam-auth-proxy with credentials of that
      account (<code>--profile</code>, or <code>--assume-role-arn</code> with a role in it), and reload.
    </p>`,
  },
  KMS_NEEDS_USER_CREDENTIALS: {
    title: "This app's sign-in needs IAM user credentials",
    todo: html`<p>
      The app asks for the KMS method, which needs long-term IAM user keys: AWS refuses it to role and SSO
      credentials. Use an IAM user's profile (<code>--profile</code>), or ask the app's owners to offer the
      STS method.
    </p>`,
  },
  KMS_APP_NOT_NAMED: {
    title: "The proxy did not send your AWS credentials to this app",
    todo: html`<p>
      This app asks for a KMS proof: your temporary AWS credentials, which it could use as you at other apps.
      If you trust it, restart iam-auth-proxy with <code>--kms-host</code> and its host name, and reload this
      page. Otherwise ask its owners to offer the STS method, which proves who you are without sharing
      credentials.
    </p>`,
  },
  AWS_REQUEST_FAILED: {
    title: "AWS refused the proxy's request",
    todo: html`<p>
      The reason is AWS's own answer. Usually the credentials have expired or been revoked: renew them (for
      example <code>aws sso login</code>) and reload this page. If they are fresh, check that your identity
      may call the STS and KMS actions the app needs.
    </p>`,
  },
  LOGIN_LOOP: {
    title: "The app asked you to sign in again right after you signed in",
    todo: html`<p>
      The app did not keep the session it had just started. If the app is served over plain http, it may be
      sending its session cookie only over https. Tell the app's owners, with the code below.
    </p>`,
  },
  HOST_NOT_ALLOWED: {
    title: "The proxy does not answer to this address",
    todo: html`<p>
      The proxy answers only to <code>localhost</code>, IP addresses and the host name it is bound to, so a
      web page cannot read it through a name it controls. Open it as
      <code>http://localhost:PORT/</code> instead.
    </p>`,
  },
  OTHER_USER_REFUSED: {
    title: "This proxy belongs to another user of this machine",
    todo: html`<p>
      It signs in as its owner's AWS identity, so it serves only them. Start your own iam-auth-proxy on
      another port.
    </p>`,
  },
  AWS_UNREACHABLE: {
    title: "The proxy could not reach AWS",
    todo: html`<p>
      Check your network connection (and, if you set one, <code>AWS_ENDPOINT_URL</code>), then reload this
      page.
    </p>`,
  },
  AWS_UNAVAILABLE: {
    title: "AWS failed to answer the proxy",
    todo: html`<p>
      Your credentials were not refused: AWS (or something between you and it) failed, or answered with
      something that is not an AWS answer. Try again in a moment by reloading this page.
    </p>`,
  },
  AWS_THROTTLED: {
    title: "AWS is throttling the proxy's requests",
    todo: html`<p>
      Too many requests reached AWS in a short time. Wait a few seconds, then reload this page.
    </p>`,
  },
  NO_CREDENTIALS: {
    title: "The proxy has no AWS credentials to sign you in with",
    todo: html`<p>
      Give iam-auth-proxy credentials as you would to the AWS CLI — for example <code>aws sso login</code>, or
      <code>aws configure</code>, or restart it with <code>--profile</code> — then reload this page. It picks
      up new credentials without a restart.
    </p>`,
  },
  MFA_CODE_UNAVAILABLE: {
    title: "The proxy needs an MFA code and cannot ask for one",
    todo: html`<p>
      Your profile needs an MFA code, which the proxy asks for in its terminal. Start iam-auth-proxy in a
      terminal (not in the background), type the code when asked, and reload this page.
    </p>`,
  },
  UPSTREAM_UNREACHABLE: unreachable,
  UPSTREAM_CERTIFICATE_INVALID: untrusted,
  UPSTREAM_TLS_FAILED: untrusted,
  UPSTREAM_BAD_RESPONSE: {
    title: "The app sent an answer the proxy cannot pass on",
    todo: html`<p>
      The app's response is not HTTP the proxy can relay safely. Reload once; if it keeps happening, tell the
      app's owners, with the code below.
    </p>`,
  },
  UPSTREAM_TIMEOUT: {
    title: "The app did not answer in time",
    todo: html`<p>
      The app may be busy or stuck. Reload in a moment; a slow app can be given longer with
      <code>--upstream-timeout</code>.
    </p>`,
  },
  SOCKS_UNREACHABLE: {
    title: "The proxy could not reach its SOCKS proxy",
    todo: html`<p>
      Check that the SSH tunnel (<code>ssh -D</code>) or SOCKS server given with <code>--socks-proxy</code> is
      running, then reload this page.
    </p>`,
  },
  SOCKS_REFUSED: unreachable,
  INTERCEPT_FAILED: {
    title: "The proxy could not make a certificate for this site",
    todo: html`<p>
      Run <code>iam-auth-proxy ca</code> to check the local CA in <code>--ca-dir</code>; the proxy's log says
      what failed.
    </p>`,
  },
  NOT_A_PROXY_REQUEST: {
    title: "This is iam-auth-proxy, not a web site",
    todo: html`<p>
      Set it as your browser's proxy instead of opening it: <a href="/">its status page</a> links the proxy
      auto-config file to do that with.
    </p>`,
  },
  REQUEST_TARGET_INVALID: notForwardable,
  UPGRADE_WITH_BODY: notForwardable,
  REQUEST_INVALID: notForwardable,
  INTERNAL_ERROR: {
    title: "The proxy failed",
    todo: html`<p>
      This is a bug in iam-auth-proxy, not something you or the app did; its log has the details. Reload this
      page, and report the bug if it keeps happening.
    </p>`,
  },
};

/**
 * The page a browser gets when the proxy answers itself: what happened (title), the error's
 * one-line message as the reason, what to do, and the code and status, saying the answer comes
 * from the proxy, not from the app. Every value is escaped.
 *
 * @example renderProxyErrorPage(new ProxyError("NO_CREDENTIALS", "No AWS credentials found: …"))
 */
export function renderProxyErrorPage(error: Pick<ProxyError, "status" | "message" | "code">): string {
  const words = wordsByCode[error.code];
  return renderHtmlPage({
    title: words.title,
    main: html`<p><strong>Reason:</strong> ${error.message}</p>
      ${words.todo}
      <p>
        Error <code>${error.code}</code> (HTTP ${error.status}), answered by iam-auth-proxy, your local proxy,
        not by the app.
      </p>`,
  });
}

/**
 * The one line of text everyone but a browser gets: the code first, then the message, so a
 * person reading curl's output sees at once that the proxy answered, and can look the code up
 * (the README lists every code).
 *
 * @example formatProxyErrorLine({ message: "No usable AWS credentials …", code: "NO_CREDENTIALS" }) // "NO_CREDENTIALS: No usable AWS credentials …"
 */
export function formatProxyErrorLine(error: Pick<ProxyError, "message" | "code">): string {
  return `${error.code}: ${error.message}`;
}
