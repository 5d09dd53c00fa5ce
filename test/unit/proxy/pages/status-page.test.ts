import assert from "node:assert/strict";
import http from "node:http";
import { after, before, describe, it } from "node:test";
import {
  createProxyServer,
  parseHostPattern,
  parseBindAddress,
  type ProxyServer,
} from "../../../../proxy/index.js";
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
    .replace(/<\/?(?:code|a|strong|span|time)\b[^>]*>/g, "")
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

  it("names the credentials: ARN, account, profile, role, and when they expire", () => {
    const text = textOf(
      render({
        credentialSource: {
          profile: "work",
          roleArn: "arn:aws:iam::111122223333:role/Developer",
        },
      }),
    );
    assert.ok(text.includes(`Identity (ARN) ${DEMO_IDENTITY.arn}`), text);
    assert.ok(text.includes("Account 111122223333"), text);
    assert.ok(text.includes("Profile work"), text);
    assert.ok(text.includes("Role assumed arn:aws:iam::111122223333:role/Developer"), text);
    assert.ok(text.includes("Credentials expire 2030-01-02 03:04:05 UTC (in 43 min)"), text);
  });

  it("says when the credentials are unknown, long-term, or missing, and why", () => {
    assert.ok(
      textOf(render({ credentials: { ...known, identity: undefined, checkedAt: undefined } })).includes(
        "Identity (ARN) Not known yet: it is looked up at start-up and named by each sign-in. " +
          "Credentials expire Not looked up yet.",
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
          expiration: undefined,
          checkedAt: now,
          problem: "Could not load credentials from any providers",
        },
      }),
    );
    assert.ok(
      missing.includes(
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
        `2030-01-02 02:20:00 UTC app.internal:3000 ${DEMO_IDENTITY.arn} sts the app refused (HTTP 403): ` +
          `The identity ${DEMO_IDENTITY.arn} is not allowed to use this app ` +
          "2030-01-02 02:20:00 UTC app.internal:3000 unknown none the proxy refused (NO_CREDENTIALS): No usable AWS credentials " +
          `2030-01-02 02:20:00 UTC old.internal ${DEMO_IDENTITY.arn} kms sent to the app's /auth ` +
          `2030-01-02 02:20:00 UTC app.internal:3000 ${DEMO_IDENTITY.arn} sts signed in`,
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
      credentials: { ...known, problem: "<b>bold</b> & 'quoted'" },
      credentialSource: { profile: `"><script>x</script>` },
    });
    assert.ok(!page.includes("<script"), page);
    assert.ok(!page.includes("<img"), page);
    assert.ok(page.includes("&lt;img src=x onerror=alert(1)&gt;"));
    assert.ok(page.includes("&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert.ok(page.includes("&lt;b&gt;bold&lt;/b&gt; &amp; &#39;quoted&#39;"));
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
  const fake = createFakeAws({ credentials: ROLE_CREDENTIALS });

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

  it("before anything happened: identity not known, no sign-ins", async () => {
    const text = textOf(await statusPage());
    assert.ok(text.includes("Identity (ARN) Not known yet"), text);
    assert.ok(text.includes("No sign-ins since the proxy started."), text);
  });

  it("after the credential check and a sign-in: the identity, the expiry and the sign-in", async () => {
    await proxy.checkCredentials();
    assert.equal((await requestThroughProxy(port, `http://${app.host}/`)).body, "hello");
    const text = textOf(await statusPage());
    assert.ok(text.includes(`Identity (ARN) ${DEMO_IDENTITY.arn} Account 111122223333`), text);
    assert.ok(text.includes("Credentials expire 2030-01-02 03:04:05 UTC (in 43 min)"), text);
    assert.ok(text.includes(`2030-01-02 02:21:05 UTC ${app.host} ${DEMO_IDENTITY.arn} sts signed in`), text);
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
