import { html } from "../../protocol/index.js";
import { renderHtmlPage } from "./html-page.js";

/** What the challenge page says; nothing in it comes from the request. */
export interface ChallengePageSettings {
  /** The app's account, the challenge's realm. */
  readonly accountId: string;
  /** A link for more help (the `helpUrl` option); undefined: the package's README is named instead. */
  readonly helpUrl: string | undefined;
  /** Where people run the proxy, `HOST:PORT` (the `proxyAddress` option). */
  readonly proxyAddress: string;
}

/**
 * How to get the proxy, as the README's "The proxy" section says it. The package is not on the
 * npm registry: `npm install -g iam-auth-proxy` would install whatever someone else publishes
 * under that name, so the page never says it (test/unit/server-middleware/challenge-page.test.ts
 * checks the README still gives this line).
 */
export const PROXY_INSTALL_COMMAND = "npm ci && npm run build && npm link";

/** The command that starts the proxy at `proxyAddress`. */
export function proxyStartCommand(proxyAddress: string): string {
  return `iam-auth-proxy --bind ${proxyAddress}`;
}

/**
 * The one line non-browser clients get with the challenge (curl, scripts).
 *
 * @example challengeTextLine("127.0.0.1:8080")
 */
export function challengeTextLine(proxyAddress: string): string {
  return (
    `This app signs you in with your AWS identity: run \`${proxyStartCommand(proxyAddress)}\` ` +
    `and use http://${proxyAddress} as your HTTP proxy (curl -x http://${proxyAddress} …).\n`
  );
}

/**
 * The 401 page for a person who opened the app without the proxy: this app signs you in with
 * your AWS identity, how to install the proxy, the command that starts it, how to point the
 * browser at it (the PAC URL or the proxy address), and where to read more (a link only when
 * the app gives `helpUrl`, checked to be an http(s) URL or a path on the app at start-up).
 *
 * @example renderChallengePage({ accountId: "111122223333", helpUrl: "https://wiki.example.com/iam-sign-in", proxyAddress: "127.0.0.1:8080" })
 */
export function renderChallengePage(settings: ChallengePageSettings): string {
  const { proxyAddress } = settings;
  const proxyUrl = `http://${proxyAddress}`;
  const help =
    settings.helpUrl === undefined
      ? html`<p>
          More about how this works: the README (<code>README.md</code>) of the
          <code>iam-auth-proxy</code> package.
        </p>`
      : html`<p>
          More about how this works, and where your team keeps the proxy:
          <a href="${settings.helpUrl}">how to sign in with iam-auth-proxy</a>.
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
          Install the proxy once (Node.js 20.19 or newer): in a copy of the
          <code>iam-auth-proxy</code> source, run <code>${PROXY_INSTALL_COMMAND}</code>, which puts the
          <code>iam-auth-proxy</code> command on your PATH.
        </li>
        <li>
          Start it: run <code>${proxyStartCommand(proxyAddress)}</code> on your computer. It finds your AWS
          credentials as the AWS CLI does (profiles, IAM Identity Center, environment variables).
        </li>
        <li>
          In your browser's proxy settings, set the automatic proxy configuration (PAC) URL to
          <code>${proxyUrl}/proxy.pac</code>, or the HTTP proxy to <code>${proxyUrl}</code>. For curl and
          scripts: <code>curl -x ${proxyUrl} …</code> or <code>HTTP_PROXY=${proxyUrl}</code>.
        </li>
        <li>Reload this page.</li>
      </ol>
      ${help}`,
  });
}
