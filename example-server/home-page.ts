import {
  html,
  PAGE_CONTENT_SECURITY_POLICY,
  renderHtmlPage,
  type IamIdentity,
  type IamSession,
  type SafeHtml,
} from "../server-middleware/index.js";

/** Where the sign-out form posts: the middleware's default `signOutPath`, which this app keeps. */
export const SIGN_OUT_PATH = "/auth/sign-out";

/**
 * The home page's CSP: the pages' policy, plus the form may post only to this app, and no other
 * site may frame the page (a framed sign-out button could be clicked by a hidden overlay).
 */
export const HOME_PAGE_CONTENT_SECURITY_POLICY = `${PAGE_CONTENT_SECURITY_POLICY}; form-action 'self'; frame-ancestors 'none'`;

/**
 * The home page for a signed-in browser: who the person is (ARN, account), when the session
 * started and ends, and a sign-out button (a POST form, as the middleware requires). A request
 * proven by a header proof has no session: the page shows the identity alone.
 *
 * @example res.type("html").send(renderHomePage(req.iamIdentity!, req.iamSession))
 */
export function renderHomePage(identity: IamIdentity, session: IamSession | undefined): string {
  const identityRows = html`<dt>Identity (ARN)</dt>
    <dd><code>${identity.arn}</code></dd>
    <dt>Account</dt>
    <dd><code>${identity.account}</code></dd>`;
  if (session === undefined) {
    return renderHtmlPage({
      title: "Your AWS identity",
      main: html`<p>This request proved your AWS identity in its own header; no session was started.</p>
        <dl>${identityRows}</dl>`,
    });
  }
  return renderHtmlPage({
    title: "You are signed in",
    main: html`<p>This app knows you by your AWS identity; it has no password of yours.</p>
      <dl>
        ${identityRows}
        <dt>Signed in</dt>
        <dd>${formatTime(session.issuedAt)}</dd>
        <dt>Session expires</dt>
        <dd>${formatTime(session.expiresAt)}</dd>
      </dl>
      <form method="post" action="${SIGN_OUT_PATH}"><button type="submit">Sign out</button></form>
      <p>
        Signing out ends the session in this browser. While iam-auth-proxy is your proxy, your next visit
        signs you in again.
      </p>`,
  });
}

/** `<time>` in UTC, readable without a script: "2030-01-01 01:00:00 UTC". */
function formatTime(time: Date): SafeHtml {
  const iso = time.toISOString();
  return html`<time datetime="${iso}">${iso.replace("T", " ").replace(/\.\d{3}Z$/, " UTC")}</time>`;
}
