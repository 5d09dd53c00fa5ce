import { html } from "../protocol/index.js";
import { renderHtmlPage } from "./html-page.js";

/** What the challenge page says; nothing in it comes from the request. */
export interface ChallengePageSettings {
  /** The app's account, the challenge's realm. */
  readonly accountId: string;
  /** A link for more help (the `helpUrl` option); undefined: the package's README is named instead. */
  readonly helpUrl: string | undefined;
}

/** The command the page (and the text line) tells people to run. */
export const PROXY_COMMAND = "iam-auth-proxy --bind :8080";
/** Where that command's proxy listens, and the PAC file it serves. */
export const PROXY_URL = "http://127.0.0.1:8080";
export const PROXY_PAC_URL = `${PROXY_URL}/proxy.pac`;

/**
 * The 401 page for a person who opened the app without the proxy: this app signs you in with
 * your AWS identity, the command that starts the proxy, how to point the browser at it (the PAC
 * URL or the proxy address), and where to read more.
 *
 * @example renderChallengePage({ accountId: "111122223333", helpUrl: "https://wiki.example.com/iam-sign-in" })
 */
export function renderChallengePage(settings: ChallengePageSettings): string {
  const help =
    settings.helpUrl === undefined
      ? html`<p>
          More about how this works: the README (<code>README.md</code>) of the
          <code>iam-auth-proxy</code> package.
        </p>`
      : html`<p>
          More about how this works: <a href="${settings.helpUrl}">how to sign in with iam-auth-proxy</a>.
        </p>`;
  return renderHtmlPage({
    title: "Sign in with your AWS identity",
    main: html`<p>
        This app signs you in with your AWS identity (an IAM user or role of account ${settings.accountId});
        it has no password form. A small proxy on your computer proves who you are in AWS.
      </p>
      <h2>To sign in</h2>
      <ol>
        <li>
          Run <code>${PROXY_COMMAND}</code> on your computer and use it as your HTTP proxy. It finds your AWS
          credentials as the AWS CLI does (profiles, IAM Identity Center, environment variables).
        </li>
        <li>
          In your browser's proxy settings, set the automatic proxy configuration (PAC) URL to
          <code>${PROXY_PAC_URL}</code>, or the HTTP proxy to <code>${PROXY_URL}</code>.
        </li>
        <li>Reload this page.</li>
      </ol>
      ${help}`,
  });
}
