import { formatHostPattern, type HostPattern } from "../http/host-pattern.js";
import {
  html,
  parseArn,
  READ_ONLY_PAGE_CONTENT_SECURITY_POLICY,
  renderHtmlPage,
  type SafeHtml,
} from "../../protocol/index.js";
import type { CredentialStatus, LoginRecord } from "../signin/login-history.js";
import type { LoginFlow, LoginMethodPreference } from "../aws/types.js";
import { describeCredentialOrigin } from "./credential-source.js";

/** Everything the status page shows. None of it is secret: no key, token, cookie or proof. */
export interface StatusPageContent {
  readonly now: Date;
  /** `host:port` the browser reached the proxy at, for the PAC URL. */
  readonly proxyAddress: string;
  /** Whose credentials, where they come from, until when; the problem, if any. */
  readonly credentials: CredentialStatus;
  /** The `--host` patterns; none: every plain-HTTP app. */
  readonly hostPatterns: readonly HostPattern[];
  readonly method: LoginMethodPreference;
  readonly loginFlow: LoginFlow;
  /** Newest first. */
  readonly logins: readonly LoginRecord[];
  /** The local CA when HTTPS interception is on (its certificate is at /ca.pem); undefined: off. */
  readonly ca?: { readonly fingerprintSha256: string; readonly notAfter: Date } | undefined;
}

/**
 * The status page's Content-Security-Policy: nothing may load or run (inline styles excepted),
 * no form may post, and no other site may frame it.
 */
export const STATUS_PAGE_CONTENT_SECURITY_POLICY = READ_ONLY_PAGE_CONTENT_SECURITY_POLICY;

const methodDescriptions: Readonly<Record<LoginMethodPreference, string>> = {
  auto: "STS when the app offers it, else KMS",
  sts: "STS only (--method sts)",
  kms: "KMS only (--method kms)",
};

const flowDescriptions: Readonly<Record<LoginFlow, string>> = {
  proxy: "the proxy signs in itself and returns the app's page",
  redirect: "the browser is sent to the app's /auth with the proof (--login-flow redirect)",
};

/*
 * Added to the shared page style (protocol/html-page.ts): a wider page for the tables, laid out
 * so that a host name or an ARN never breaks mid-word. Such a value is one `.value` box on one
 * line, cut with an ellipsis when its column is too narrow, its full text in `title`; a
 * refusal's reason gets a row of its own, as wide as the table. Readable at 1200×800 and without
 * the CSS.
 */
const style = [
  "body{max-width:72rem;margin-top:2rem}",
  // Short code (a flag, a profile) never breaks; a long value is a .value; a fingerprint breaks at colons.
  "code{white-space:nowrap}code.fingerprint{white-space:normal;overflow-wrap:break-word}",
  "a:focus-visible{outline:3px solid #1a1a1a;outline-offset:2px}",
  ".value{display:inline-block;max-width:100%;box-sizing:border-box;vertical-align:bottom;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}",
  "table{border-collapse:collapse;width:100%;table-layout:fixed}caption{text-align:left;font-weight:600;padding:.25rem 0}",
  "th,td{text-align:left;vertical-align:top;border-bottom:1px solid #ccc;padding:.3rem .5rem .3rem 0}",
  "th.time{width:13.5rem}th.method{width:4.5rem}th.outcome{width:11rem}th.app{width:32%}th.host{width:40%}td .value{font-size:.9em}",
  "td time{white-space:nowrap}",
  "tr.signin-refused td{border-bottom:0}td.reason{padding-top:0;overflow-wrap:break-word}",
  ".refused{color:#a3001b}",
].join("");

/**
 * The proxy's status page (`GET /` on the proxy itself): whose credentials it signs in with, where
 * they come from (environment, profile, SSO, credential_process, container or instance role, and
 * the role assumed) and until when, which apps it signs in to and with which method, the last
 * sign-ins with their outcome, and links to the PAC file and the CA certificate. Self-contained
 * (no scripts, no external assets), readable without its CSS; every value is escaped.
 *
 * @example res.end(renderStatusPage({ now: new Date(), proxyAddress: "127.0.0.1:8080", credentials, hostPatterns: [], method: "auto", loginFlow: "proxy", logins: [] }))
 */
export function renderStatusPage(content: StatusPageContent): string {
  const title = "iam-auth-proxy status";
  const main = html`<p>
      This proxy signs you in to web apps with your AWS identity. This page shows what it uses and does; it
      never shows a key, token or cookie.
    </p>
    <h2>Your AWS identity</h2>
    ${renderCredentials(content)}
    <h2>Apps</h2>
    ${renderApps(content)}
    <h2>Recent sign-ins</h2>
    ${renderLogins(content)}
    <h2>Set up a browser</h2>
    ${renderSetup(content)}`;
  return renderHtmlPage({
    title,
    main,
    style,
    footer:
      "iam-auth-proxy: sign in to web apps with your AWS identity. This page answers only to localhost, " +
      "IP addresses and the host the proxy is bound to.",
  });
}

/**
 * A host name, pattern or ARN on one line: never broken mid-word, cut with an ellipsis when it
 * does not fit (the ellipsis is only drawn: copying takes the text shown whole), its full text
 * in `title`. `shown`: the part to show, when not all of it.
 */
function renderValue(value: string, shown: string = value): SafeHtml {
  return html`<code class="value" title="${value}">${shown}</code>`;
}

function renderCredentials(content: StatusPageContent): SafeHtml {
  const { credentials, now } = content;
  const identity = credentials.identity;
  const rows: SafeHtml[] = [
    html`<dt>Identity (ARN)</dt>
      <dd>
        ${
          identity === undefined
            ? "Not known yet: it is looked up at start-up and named by each sign-in."
            : renderValue(identity.arn)
        }
      </dd>`,
  ];
  if (identity?.account !== undefined) {
    rows.push(
      html`<dt>Account</dt>
        <dd><code>${identity.account}</code></dd>`,
    );
  }
  rows.push(
    html`<dt>Credentials from</dt>
      <dd>${describeSource(credentials)}</dd>`,
  );
  const assumedRole = credentials.source?.assumedRole;
  if (assumedRole !== undefined) {
    rows.push(
      html`<dt>Role assumed</dt>
        <dd>${renderValue(assumedRole)} (<code>--assume-role-arn</code>), with the credentials above</dd>`,
    );
  }
  const expiry =
    credentials.checkedAt === undefined
      ? html`Not looked up yet.`
      : credentials.expiration === undefined
        ? credentials.problem === undefined
          ? html`Never: long-term access keys.`
          : html`No usable credentials.`
        : html`${formatTime(credentials.expiration)} (${describeFromNow(credentials.expiration, now)});
          renewed before they expire.`;
  rows.push(
    html`<dt>Credentials expire</dt>
      <dd>${expiry}</dd>`,
  );
  const problem =
    credentials.problem === undefined
      ? html``
      : html`<p class="refused"><strong>Problem:</strong> ${credentials.problem}</p>`;
  return html`<dl>${rows}</dl>
    ${problem}`;
}

function describeSource(credentials: CredentialStatus): SafeHtml {
  if (credentials.source !== undefined) return describeCredentialOrigin(credentials.source);
  if (credentials.checkedAt === undefined) return html`Not looked up yet.`;
  if (credentials.problem !== undefined) return html`None found (see the problem below).`;
  // Login dependencies other than createAwsLoginDependencies' (a library caller's own) need not say.
  return html`Not known: the credentials the proxy was given do not say where they come from.`;
}

function renderApps(content: StatusPageContent): SafeHtml {
  const method = methodDescriptions[content.method];
  const rows =
    content.hostPatterns.length === 0
      ? [
          html`<tr>
            <td>Every plain-HTTP app that sends an IAM challenge (no <code>--host</code>)</td>
            <td>HTTP only; HTTPS is tunnelled untouched</td>
            <td>${method}</td>
          </tr>`,
        ]
      : content.hostPatterns.map(
          (pattern) =>
            html`<tr>
              <td>${renderValue(formatHostPattern(pattern))}</td>
              <td>HTTP, and HTTPS decrypted with the proxy's CA</td>
              <td>${method}</td>
            </tr>`,
        );
  return html`<table>
      <caption>
        Apps the proxy signs in to
      </caption>
      <thead>
        <tr>
          <th scope="col" class="host">Host</th>
          <th scope="col">Reached over</th>
          <th scope="col">Proof method</th>
        </tr>
      </thead>
      <tbody>
        ${rows}
      </tbody>
    </table>
    <p>Sign-in: ${flowDescriptions[content.loginFlow]}.</p>`;
}

function renderLogins(content: StatusPageContent): SafeHtml {
  if (content.logins.length === 0) return html`<p>No sign-ins since the proxy started.</p>`;
  const account = content.credentials.identity?.account;
  const rows = content.logins.map((login) => {
    const refused = login.outcome === "denied";
    const row = html`<tr class="${refused ? "signin-refused" : "signin"}">
      <td>${formatTime(login.time)}</td>
      <td>${renderValue(login.host)}</td>
      <td>${login.identity === undefined ? "unknown" : renderIdentity(login.identity, account)}</td>
      <td>${login.method ?? "none"}</td>
      <td>${describeOutcome(login)}</td>
    </tr>`;
    if (!refused) return row;
    // The reason as wide as the table, below its row: read as a sentence, not squeezed into a column.
    return html`${row}
      <tr class="reason">
        <td></td>
        <td class="reason" colspan="4">${describeRefusal(login)}</td>
      </tr>`;
  });
  return html`<table>
    <caption>
      ${content.logins.length === 1 ? "The last sign-in" : `The last ${content.logins.length} sign-ins, newest first`}
    </caption>
    <thead>
      <tr>
        <th scope="col" class="time">Time</th>
        <th scope="col" class="app">App</th>
        <th scope="col">Identity</th>
        <th scope="col" class="method">Method</th>
        <th scope="col" class="outcome">Outcome</th>
      </tr>
    </thead>
    <tbody>
      ${rows}
    </tbody>
  </table>`;
}

/**
 * A sign-in's identity in the table: in the account of the proxy's own identity (shown in full
 * above) only the part after the account, `assumed-role/Role/session`, which is what tells
 * sign-ins apart; the full ARN is in `title`. Another account's ARN is shown whole.
 */
function renderIdentity(arn: string, account: string | undefined): SafeHtml {
  try {
    const parsed = parseArn(arn);
    if (account !== undefined && parsed.account === account) return renderValue(arn, parsed.resource);
  } catch {
    // Not an ARN the parser knows (the sign-in log keeps only ARNs): shown whole.
  }
  return renderValue(arn);
}

function describeOutcome(login: LoginRecord): SafeHtml {
  if (login.outcome === "signed-in") return html`signed in`;
  if (login.outcome === "redirected") return html`sent to the app's /auth`;
  if (login.outcome !== "denied") return html`${login.outcome}`;
  const by =
    login.code !== undefined
      ? "refused by the proxy"
      : login.status !== undefined
        ? "refused by the app"
        : "refused";
  return html`<strong class="refused">${by}</strong>`;
}

/** Why a sign-in was refused: the proxy's code and message, or what the app's answer means (see describeAppRefusal). */
function describeRefusal(login: LoginRecord): SafeHtml {
  const reason = login.reason ?? "no reason was given";
  return login.code === undefined ? html`${reason}` : html`<code>${login.code}</code>: ${reason}`;
}

function renderSetup(content: StatusPageContent): SafeHtml {
  const ca =
    content.ca === undefined
      ? html`<li>
          HTTPS interception is off (no <code>--host</code>), so there is no CA certificate to trust: HTTPS
          apps are tunnelled untouched.
        </li>`
      : html`<li>
          <a href="/ca.pem">The proxy's CA certificate</a> (SHA-256
          <code class="fingerprint">${renderFingerprint(content.ca.fingerprintSha256)}</code>, valid until
          ${formatTime(content.ca.notAfter)}): trust it in the browser to identify websites, so it accepts the
          certificates the proxy makes for the <code>--host</code> apps. Compare the fingerprint with the one
          <code>iam-auth-proxy ca</code> prints. Only the certificate is served; its key never leaves this
          machine.
        </li>`;
  return html`<ul>
    <li>
      <a href="/proxy.pac">The proxy auto-config (PAC) file</a>: set
      <code class="value">http://${content.proxyAddress}/proxy.pac</code> as the browser's automatic proxy
      configuration URL to send ${content.hostPatterns.length === 0 ? "every http:// URL" : "the apps above"}
      through this proxy and everything else directly.
    </li>
    ${ca}
  </ul>`;
}

/** A fingerprint (`AB:CD:…`) that may wrap only after a colon, never inside a byte. */
function renderFingerprint(fingerprint: string): SafeHtml[] {
  return fingerprint.split(":").map((part, index) => (index === 0 ? html`${part}` : html`:<wbr />${part}`));
}

/** `<time>` in UTC, readable without a script: "2030-01-01 01:00:00 UTC". */
function formatTime(time: Date): SafeHtml {
  const iso = time.toISOString();
  return html`<time datetime="${iso}">${iso.replace("T", " ").replace(/\.\d{3}Z$/, " UTC")}</time>`;
}

/** "in 43 min", "in 2 h 5 min", "2 min ago". */
function describeFromNow(time: Date, now: Date): string {
  const minutes = Math.round((time.getTime() - now.getTime()) / 60_000);
  const span = Math.abs(minutes);
  const text = span >= 60 ? `${Math.floor(span / 60)} h ${span % 60} min` : `${span} min`;
  return minutes >= 0 ? `in ${text}` : `${text} ago`;
}
