import assert from "node:assert/strict";
import http from "node:http";
import { after, before, describe, it } from "node:test";
import {
  createProxyServer,
  parseHostPattern,
  parseBindAddress,
  type ProxyServer,
} from "../../../../proxy/index.js";
import type { CredentialSource } from "../../../../proxy/aws/types.js";
import type { CredentialStatus, LoginRecord } from "../../../../proxy/signin/login-history.js";
import { renderStatusPage, type StatusPageContent } from "../../../../proxy/pages/status-page.js";
import {
  createFakeAws,
  createMemoryLogger,
  createStsChallengeHead,
  DEMO_IDENTITY,
  ROLE_CREDENTIALS,
  USER_CREDENTIALS,
} from "../fakes.js";
import {
  requestThroughProxy,
  sendChallenge,
  startRecordingApp,
  type RecordingApp,
} from "../proxy-harness.js";

const now = new Date("2030-01-02T02:21:05.000Z");
const known: CredentialStatus = {
  identity: { arn: DEMO_IDENTITY.arn, account: DEMO_IDENTITY.account },
  source: { kind: "profile", profile: "work" },
  expiration: new Date("2030-01-02T03:04:05.000Z"),
  problem: undefined,
  checkedAt: now,
};

function login(overrides: Partial<LoginRecord>): LoginRecord {
  return {
    time: new Date("2030-01-02T02:20:00.000Z"),
    host: "app.internal:3000",
    identity: DEMO_IDENTITY.arn,
    method: "sts",
    outcome: "signed-in",
    code: undefined,
    status: undefined,
    reason: undefined,
    ...overrides,
  };
}

function render(overrides: Partial<StatusPageContent> = {}): string {
  return renderStatusPage({
    now,
    proxyAddress: "127.0.0.1:8080",
    credentials: known,
    hostPatterns: [],
    method: "auto",
    loginFlow: "proxy",
    logins: [],
    ...overrides,
  });
}

/** The text of the page as a reader sees it: inline markup dropped, blocks spaced, references decoded. */
const textOf = (page: string): string =>
  page
    .replace(/<style>.*?<\/style>/s, "")
    .replace(/<\/?(?:code|a|strong|span|time|wbr)\b[^>]*>/g, "")
    .replace(/<[^>]+>/g, " ")
    .replace(/\s+/g, " ")
    .replace(/&(lt|gt|quot|#39|amp);/g, (_, name: string) =>
      name === "lt" ? "<" : name === "gt" ? ">" : name === "quot" ? '"' : name === "#39" ? "'" : "&",
    );

describe("renderStatusPage", () => {
  it("is one accessible, self-contained page: lang, title, one h1, main, no script, no external asset", () => {
    const page = render();
    assert.ok(page.startsWith('<!doctype html>\n<html lang="en">'));
    assert.ok(page.includes("<title>iam-auth-proxy status</title>"));
    assert.equal(page.match(/<h1>/g)?.length, 1);
    assert.equal(page.match(/<main>/g)?.length, 1);
    assert.ok(!/<script|<link|<img|<iframe|src=|url\(/.test(page), page);
    for (const [, href] of page.matchAll(/href="([^"]*)"/g))
      assert.match(href ?? "", /^\/[a-z]/, "links stay on the proxy");
  });

  it("names the credentials: ARN, account, where they come from, the role assumed, and when they expire", () => {
    const page = render({
      credentials: {
        ...known,
        source: { kind: "profile", profile: "work", assumedRole: "arn:aws:iam::111122223333:role/Developer" },
      },
    });
    assert.ok(
      textOf(page).includes(
        `Identity (ARN) ${DEMO_IDENTITY.arn} Account 111122223333 ` +
          "Credentials from Profile work: access keys in the shared credentials or config file " +
          "Role assumed arn:aws:iam::111122223333:role/Developer (--assume-role-arn), with the credentials above " +
          "Credentials expire 2030-01-02 03:04:05 UTC (in 43 min)",
      ),
      textOf(page),
    );
    assert.ok(
      page.includes(
        "<dd>Profile <code>work</code>: access keys in the shared credentials or config file</dd>",
      ),
      page,
    );
    assert.ok(
      page.includes(
        '<dd><code class="value" title="arn:aws:iam::111122223333:role/Developer">arn:aws:iam::111122223333:role/Developer</code> ' +
          "(<code>--assume-role-arn</code>), with the credentials above</dd>",
      ),
      page,
    );
  });

  it("says where the credentials come from, for each source the SDK's chain has", () => {
    const cases: readonly (readonly [CredentialSource, string])[] = [
      [{ kind: "environment" }, "Environment variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)"],
      [
        { kind: "profile", profile: "work" },
        "Profile work: access keys in the shared credentials or config file",
      ],
      [
        { kind: "profile-role", profile: "dev" },
        "Profile dev: a role it assumes (role_arn with source_profile or credential_source)",
      ],
      [{ kind: "sso", profile: "corp" }, "SSO (IAM Identity Center), profile corp"],
      [{ kind: "process", profile: "tool" }, "credential_process of profile tool"],
      [{ kind: "web-identity", profile: "ci" }, "Web identity token, profile ci"],
      [
        { kind: "web-identity", profile: undefined },
        "Web identity token (AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN)",
      ],
      [{ kind: "console-login", profile: "me" }, "aws login (console credentials), profile me"],
      [{ kind: "container-role" }, "Container role (the ECS or EKS container credentials endpoint)"],
      [{ kind: "instance-role" }, "EC2 instance role (the instance metadata service)"],
      [
        { kind: "unknown" },
        "Found by the AWS SDK, which does not say where (a provider this proxy does not know)",
      ],
    ];
    for (const [source, words] of cases) {
      const text = textOf(render({ credentials: { ...known, source } }));
      assert.ok(text.includes(`Credentials from ${words} Credentials expire`), `${source.kind}: ${text}`);
      assert.ok(!text.includes("Role assumed"), `${source.kind}: no role assumed`);
    }
    const assumed = textOf(
      render({
        credentials: {
          ...known,
          source: { kind: "sso", profile: "corp", assumedRole: "arn:aws:iam::1:role/R" },
        },
      }),
    );
    assert.ok(
      assumed.includes(
        "Credentials from SSO (IAM Identity Center), profile corp Role assumed arn:aws:iam::1:role/R (--assume-role-arn)",
      ),
      assumed,
    );
  });

  it("says when the credentials are unknown, long-term, or missing, and why", () => {
    assert.ok(
      textOf(
        render({ credentials: { ...known, identity: undefined, source: undefined, checkedAt: undefined } }),
      ).includes(
        "Identity (ARN) Not known yet: it is looked up at start-up and named by each sign-in. " +
          "Credentials from Not looked up yet. Credentials expire Not looked up yet.",
      ),
    );
    assert.ok(
      textOf(render({ credentials: { ...known, source: undefined } })).includes(
        "Credentials from Not known: the credentials the proxy was given do not say where they come from.",
      ),
    );
    assert.ok(
      textOf(render({ credentials: { ...known, expiration: undefined } })).includes(
        "Credentials expire Never: long-term access keys.",
      ),
    );
    const missing = textOf(
      render({
        credentials: {
          identity: undefined,
          source: undefined,
          expiration: undefined,
          checkedAt: now,
          problem: "Could not load credentials from any providers",
        },
      }),
    );
    assert.ok(
      missing.includes(
        "Credentials from None found (see the problem below). " +
          "Credentials expire No usable credentials. Problem: Could not load credentials from any providers",
      ),
      missing,
    );
  });

  it("lists the --host patterns with the proof method", () => {
    const text = textOf(
      render({
        hostPatterns: [parseHostPattern("*.corp.example.com"), parseHostPattern("[::1]:8443")],
        method: "auto",
      }),
    );
    assert.ok(
      text.includes(
        "*.corp.example.com HTTP, and HTTPS decrypted with the proxy's CA STS when the app offers it, else KMS " +
          "[::1]:8443 HTTP, and HTTPS decrypted with the proxy's CA STS when the app offers it, else KMS",
      ),
      text,
    );
    assert.ok(text.includes("Sign-in: the proxy signs in itself and returns the app's page."), text);
  });

  it("without --host, says it signs in to every plain-HTTP app and intercepts nothing", () => {
    const text = textOf(render({ method: "kms", loginFlow: "redirect" }));
    assert.ok(
      text.includes(
        "Every plain-HTTP app that sends an IAM challenge (no --host) HTTP only; HTTPS is tunnelled untouched KMS only (--method kms)",
      ),
      text,
    );
    assert.ok(text.includes("HTTPS interception is off (no --host), so there is no CA certificate"), text);
    assert.ok(!text.includes("/ca.pem"));
  });

  it("lists the last logins, newest first, with their outcome", () => {
    const text = textOf(
      render({
        logins: [
          login({
            outcome: "denied",
            status: 403,
            reason: `The identity ${DEMO_IDENTITY.arn} is not allowed to use this app`,
          }),
          login({
            identity: undefined,
            method: undefined,
            outcome: "denied",
            code: "NO_CREDENTIALS",
            reason: "No usable AWS credentials",
          }),
          login({ outcome: "redirected", method: "kms", host: "old.internal" }),
          login({}),
        ],
      }),
    );
    assert.ok(text.includes("The last 4 sign-ins, newest first"), text);
    assert.ok(
      text.includes(
        // An identity in the proxy's own account is shown without the account (user/demo); a refusal's
        // reason is a row of its own, below its sign-in.
        "2030-01-02 02:20:00 UTC app.internal:3000 user/demo sts refused by the app " +
          `The identity ${DEMO_IDENTITY.arn} is not allowed to use this app ` +
          "2030-01-02 02:20:00 UTC app.internal:3000 unknown none refused by the proxy NO_CREDENTIALS: No usable AWS credentials " +
          "2030-01-02 02:20:00 UTC old.internal user/demo kms sent to the app's /auth " +
          "2030-01-02 02:20:00 UTC app.internal:3000 user/demo sts signed in",
      ),
      text,
    );
  });

  it("escapes every value: an app's reason or host cannot become markup", () => {
    const page = render({
      logins: [
        login({
          host: `<img src=x onerror=alert(1)>`,
          outcome: "denied",
          status: 403,
          reason: `"><script>alert(1)</script>`,
        }),
      ],
      credentials: {
        ...known,
        problem: "<b>bold</b> & 'quoted'",
        source: { kind: "profile", profile: `"><script>x</script>`, assumedRole: "<i>role</i>" },
      },
    });
    assert.ok(!page.includes("<script"), page);
    assert.ok(!page.includes("<img"), page);
    assert.ok(page.includes("&lt;img src=x onerror=alert(1)&gt;"));
    assert.ok(page.includes("&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert.ok(page.includes("&lt;b&gt;bold&lt;/b&gt; &amp; &#39;quoted&#39;"));
    assert.ok(page.includes("<code>&quot;&gt;&lt;script&gt;x&lt;/script&gt;</code>"));
    assert.ok(
      page.includes('<code class="value" title="&lt;i&gt;role&lt;/i&gt;">&lt;i&gt;role&lt;/i&gt;</code>'),
    );
    assert.ok(
      page.includes('title="&lt;img src=x onerror=alert(1)&gt;"'),
      "the title attribute is escaped too",
    );
  });

  it("links the PAC file, and the CA certificate with its fingerprint when interception is on", () => {
    const page = render({
      hostPatterns: [parseHostPattern("app.internal")],
      ca: { fingerprintSha256: "AB:CD", notAfter: new Date("2040-01-01T00:00:00Z") },
    });
    assert.ok(page.includes('<a href="/proxy.pac">'));
    assert.ok(page.includes('<a href="/ca.pem">'));
    assert.ok(textOf(page).includes("(SHA-256 AB:CD, valid until 2040-01-01 00:00:00 UTC)"));
  });
});

describe("the status page of a running proxy", () => {
  let app: RecordingApp;
  let proxy: ProxyServer;
  let port = 0;
  const developer = "arn:aws:iam::111122223333:role/Developer";
  const fake = createFakeAws({
    credentials: { ...ROLE_CREDENTIALS, source: { kind: "sso", profile: "work", assumedRole: developer } },
  });

  const statusPage = (): Promise<string> =>
    new Promise((resolve, reject) => {
      http
        .get({ host: "127.0.0.1", port, path: "/", agent: false }, (res) => {
          let body = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => (body += chunk));
          res.on("end", () => resolve(body));
        })
        .on("error", reject);
    });

  before(async () => {
    app = await startRecordingApp();
    app.respond = (req, res) => {
      if (req.url?.startsWith("/auth?") === true) {
        res.writeHead(302, { location: "/", "set-cookie": "sid=s1; Path=/" }).end();
      } else if (req.headers.cookie === "sid=s1") {
        res.end("hello");
      } else {
        sendChallenge(res, createStsChallengeHead(app.host));
      }
    };
    proxy = createProxyServer({
      bind: parseBindAddress("127.0.0.1:0"),
      login: fake.deps,
      logger: createMemoryLogger(),
      clock: () => now.getTime(),
    });
    const [url = ""] = await proxy.listen();
    port = Number(new URL(url).port);
  });
  after(async () => {
    await proxy.close();
    await app.close();
  });

  it("before anything happened: identity and source not known, no sign-ins", async () => {
    const text = textOf(await statusPage());
    assert.ok(text.includes("Identity (ARN) Not known yet"), text);
    assert.ok(text.includes("Credentials from Not looked up yet."), text);
    assert.ok(text.includes("No sign-ins since the proxy started."), text);
  });

  it("after the credential check and a sign-in: the identity, where from, the expiry and the sign-in", async () => {
    await proxy.checkCredentials();
    assert.equal((await requestThroughProxy(port, `http://${app.host}/`)).body, "hello");
    const text = textOf(await statusPage());
    assert.ok(
      text.includes(
        `Identity (ARN) ${DEMO_IDENTITY.arn} Account 111122223333 ` +
          "Credentials from SSO (IAM Identity Center), profile work " +
          `Role assumed ${developer} (--assume-role-arn), with the credentials above ` +
          "Credentials expire 2030-01-02 03:04:05 UTC (in 43 min)",
      ),
      text,
    );
    assert.ok(text.includes(`2030-01-02 02:21:05 UTC ${app.host} user/demo sts signed in`), text);
  });

  it("never shows a secret of the credentials", async () => {
    const page = await statusPage();
    for (const secret of [
      ROLE_CREDENTIALS.accessKeyId,
      ROLE_CREDENTIALS.secretAccessKey,
      ROLE_CREDENTIALS.sessionToken ?? "",
      USER_CREDENTIALS.secretAccessKey,
      "sid=s1",
    ]) {
      assert.ok(!page.includes(secret), secret);
    }
  });
});

describe("the status page of a running proxy with the redirect flow", () => {
  let app: RecordingApp;
  let proxy: ProxyServer;
  let port = 0;

  before(async () => {
    app = await startRecordingApp();
    proxy = createProxyServer({
      bind: parseBindAddress("127.0.0.1:0"),
      login: createFakeAws({ credentials: USER_CREDENTIALS }).deps,
      logger: createMemoryLogger(),
      loginFlow: "redirect",
      clock: () => now.getTime(),
    });
    const [url = ""] = await proxy.listen();
    port = Number(new URL(url).port);
  });
  after(async () => {
    await proxy.close();
    await app.close();
  });

  it("lists the redirects to /auth and the proxy's refusals, and never the token", async () => {
    app.respond = (_req, res) => sendChallenge(res, createStsChallengeHead(app.host));
    const redirected = await requestThroughProxy(port, `http://${app.host}/`);
    assert.equal(redirected.status, 302);
    const token = new URL(String(redirected.headers.location), "http://any").searchParams.get("token") ?? "";
    assert.ok(token.startsWith("sts1."), token);
    // A challenge for another app's server-id: the proxy refuses to make a proof for it.
    app.respond = (_req, res) => sendChallenge(res, createStsChallengeHead("elsewhere.internal:443"));
    assert.equal((await requestThroughProxy(port, `http://${app.host}/`)).status, 403);
    const page = await new Promise<string>((resolve, reject) => {
      http
        .get({ host: "127.0.0.1", port, path: "/", agent: false }, (res) => {
          let body = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => (body += chunk));
          res.on("end", () => resolve(body));
        })
        .on("error", reject);
    });
    const text = textOf(page);
    assert.ok(text.includes("The last 2 sign-ins, newest first"), text);
    assert.ok(
      text.includes(
        `2030-01-02 02:21:05 UTC ${app.host} unknown none refused by the proxy SERVER_ID_MISMATCH: ` +
          `Refusing to sign in: the app at ${app.host} asked for a proof for server-id elsewhere.internal:443 ` +
          "(a proof for another server would let this app sign in there as you) " +
          // No credential check ran, and the STS method calls no AWS: whose proof it was is not known.
          `2030-01-02 02:21:05 UTC ${app.host} unknown sts sent to the app's /auth`,
      ),
      text,
    );
    assert.ok(!page.includes(token.slice(5, 40)), "the token is not on the page");
  });
});
