import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  PROXY_INSTALL_COMMAND,
  renderChallengePage,
} from "../../../../server-middleware/pages/challenge-page.js";
import { resolveOptions } from "../../../../server-middleware/options/options.js";
import { ACCOUNT_ID, KEY_ARN, SERVER_ID } from "../fake-aws.js";
import { repoRoot } from "../../../helpers/service.js";
import { send, SECRET_A, startTestApp } from "../test-app.js";

const browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
/** Pages are compared as a person reads them: runs of whitespace are one space. */
const flat = (markup: string): string => markup.replace(/\s+/g, " ");
const textLine =
  "This app signs you in with your AWS identity: run `iam-auth-proxy --bind 127.0.0.1:8080` and use http://127.0.0.1:8080 as your HTTP proxy (curl -x http://127.0.0.1:8080 …).\n";
const proxyAddress = "127.0.0.1:8080";

describe("the challenge page", () => {
  const page = flat(renderChallengePage({ accountId: ACCOUNT_ID, helpUrl: undefined, proxyAddress }));

  it("is titled, with one h1 saying the same", () => {
    assert.ok(page.includes("<title>Sign in with your AWS identity</title>"));
    assert.equal(page.match(/<h1>[^<]*<\/h1>/g)?.join(), "<h1>Sign in with your AWS identity</h1>");
    assert.match(page, /<html lang="en">/);
    assert.match(page, /<main>[\s\S]*<\/main>/);
  });

  it("says the app signs you in with your AWS identity, of the app's account", () => {
    assert.ok(
      page.includes(
        `This app signs you in with your AWS identity (an IAM user or role of account ${ACCOUNT_ID}); it has no password form.`,
      ),
    );
  });

  it("says how to install the proxy, first", () => {
    assert.ok(
      page.includes(
        "<li> Install the proxy once (Node.js 20.19 or newer): in a copy of the <code>iam-auth-proxy</code> source, run <code>npm ci &amp;&amp; npm run build &amp;&amp; npm link</code>, which puts the <code>iam-auth-proxy</code> command on your PATH. </li>",
      ),
      page,
    );
    assert.ok(page.indexOf("Install the proxy") < page.indexOf("Start it"));
  });

  it("installs the way the README says, so the page and the README never disagree", () => {
    const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
    const install = readme.slice(
      readme.indexOf("\n## Install\n"),
      readme.indexOf("\n## ", readme.indexOf("\n## Install\n") + 1),
    );
    assert.ok(
      install.includes(`from the clone, without a tarball: \`${PROXY_INSTALL_COMMAND}\``),
      "README's install line changed",
    );
    // Not on the npm registry: the page must never send people to whatever takes that name there.
    assert.doesNotMatch(page, /npm install -g/);
  });

  it("gives the exact command that starts the proxy", () => {
    assert.ok(
      page.includes("Start it: run <code>iam-auth-proxy --bind 127.0.0.1:8080</code> on your computer."),
    );
  });

  it("gives the PAC URL the proxy serves, and the proxy address for browsers and curl", () => {
    assert.ok(page.includes("<code>http://127.0.0.1:8080/proxy.pac</code>"));
    assert.ok(page.includes("the HTTP proxy to <code>http://127.0.0.1:8080</code>"));
    assert.ok(page.includes("<code>curl -x http://127.0.0.1:8080 …</code>"));
  });

  it("with proxyAddress, names that address everywhere and 8080 nowhere", () => {
    const elsewhere = flat(
      renderChallengePage({ accountId: ACCOUNT_ID, helpUrl: undefined, proxyAddress: "127.0.0.1:18081" }),
    );
    assert.ok(elsewhere.includes("<code>iam-auth-proxy --bind 127.0.0.1:18081</code>"));
    assert.ok(elsewhere.includes("<code>http://127.0.0.1:18081/proxy.pac</code>"));
    assert.ok(elsewhere.includes("the HTTP proxy to <code>http://127.0.0.1:18081</code>"));
    assert.doesNotMatch(elsewhere, /8080/);
  });

  it("without helpUrl, names the package's README as text and links nowhere", () => {
    assert.ok(
      page.includes("the README (<code>README.md</code>) of the <code>iam-auth-proxy</code> package."),
    );
    assert.doesNotMatch(page, /<a /);
  });

  it("with helpUrl, links to it, escaped", () => {
    const linked = flat(
      renderChallengePage({
        accountId: ACCOUNT_ID,
        helpUrl: 'https://wiki.example.com/sign-in?team=a&x="y"',
        proxyAddress,
      }),
    );
    assert.ok(
      linked.includes(
        '<a href="https://wiki.example.com/sign-in?team=a&amp;x=&quot;y&quot;">how to sign in with iam-auth-proxy</a>',
      ),
    );
    assert.doesNotMatch(linked, /README\.md/);
  });

  it("escapes what it shows (a value with markup stays text)", () => {
    const hostile = flat(
      renderChallengePage({ accountId: "<script>alert(1)</script>", helpUrl: undefined, proxyAddress }),
    );
    assert.ok(hostile.includes("account &lt;script&gt;alert(1)&lt;/script&gt;)"));
    assert.ok(!hostile.includes("<script>"));
  });
});

describe("the challenge, as a page or a line", () => {
  it("when a browser asks, is the page, with the challenge headers exactly as before", async () => {
    const app = await startTestApp({ options: { helpUrl: "/docs/sign-in" } });
    try {
      const result = await send(app.url, "/docs", { headers: { accept: browserAccept } });
      assert.equal(result.status, 401);
      assert.equal(
        result.headers["www-authenticate"],
        `IAM realm="${ACCOUNT_ID}", methods="kms", server-id="${SERVER_ID}"`,
      );
      assert.equal(result.headers["iam-auth-kms-key-id"], KEY_ARN);
      assert.equal(result.headers["iam-auth-kms-encryption-context"], "eyJzYWx0IjoidW5pdC10ZXN0LXNhbHQifQ==");
      assert.equal(result.headers["cache-control"], "no-store");
      assert.equal(result.headers["x-content-type-options"], "nosniff");
      assert.equal(
        result.headers["content-security-policy"],
        "default-src 'none'; style-src 'unsafe-inline'",
      );
      assert.equal(result.headers.vary, "Accept");
      assert.equal(result.headers["content-type"], "text/html; charset=utf-8");
      assert.ok(result.body.includes("<title>Sign in with your AWS identity</title>"));
      assert.ok(result.body.includes('<a href="/docs/sign-in">'));
    } finally {
      await app.close();
    }
  });

  for (const [name, headers] of [
    ["no Accept field", {}],
    ["curl's */*", { accept: "*/*" }],
    ["the proxy's text/plain, */*", { accept: "text/plain, */*" }],
  ] as const) {
    it(`when the client sends ${name}, is the one text line`, async () => {
      const app = await startTestApp();
      try {
        const result = await send(app.url, "/", { headers });
        assert.equal(result.status, 401);
        assert.equal(result.headers["content-type"], "text/plain; charset=utf-8");
        assert.equal(result.headers["content-security-policy"], undefined);
        assert.equal(result.headers.vary, "Accept");
        assert.equal(result.body, textLine);
        assert.equal(
          result.headers["www-authenticate"],
          `IAM realm="${ACCOUNT_ID}", methods="kms", server-id="${SERVER_ID}"`,
        );
      } finally {
        await app.close();
      }
    });
  }
});

describe("option proxyAddress", () => {
  const base = { accountId: ACCOUNT_ID, sts: { serverId: "app.test" }, sessionSecrets: [SECRET_A] };

  it("defaults to the proxy's own default, 127.0.0.1:8080", () => {
    assert.equal(resolveOptions(base).proxyAddress, "127.0.0.1:8080");
  });

  it("accepts HOST:PORT, [IPV6]:PORT and a host name", () => {
    for (const proxyAddress of ["127.0.0.1:8081", "[::1]:8080", "localhost:3128"]) {
      assert.equal(resolveOptions({ ...base, proxyAddress }).proxyAddress, proxyAddress);
    }
  });

  for (const [name, proxyAddress, shown] of [
    ["a URL", "http://127.0.0.1:8080", '"http://127.0.0.1:8080"'],
    ["no port", "127.0.0.1", '"127.0.0.1"'],
    ["port 0", "127.0.0.1:0", '"127.0.0.1:0"'],
    ["a port over 65535", "127.0.0.1:65536", '"127.0.0.1:65536"'],
    ["markup", '127.0.0.1:80"><script>', '"127.0.0.1:80\\"><script>"'],
    ["a number", 8080, "8080"],
  ] as const) {
    it(`refuses ${name}, naming the option and the value`, () => {
      assert.throws(() => resolveOptions({ ...base, proxyAddress: proxyAddress as string }), {
        name: "TypeError",
        message: `iamAuth: invalid options:\n  - proxyAddress: must be HOST:PORT where people run the proxy, such as "127.0.0.1:8080" (got ${shown})`,
      });
    });
  }
});

describe("option helpUrl", () => {
  const base = { accountId: ACCOUNT_ID, sts: { serverId: "app.test" }, sessionSecrets: [SECRET_A] };

  it("defaults to none", () => {
    assert.equal(resolveOptions(base).helpUrl, undefined);
  });

  it("accepts an https: or http: URL and a path on this site", () => {
    for (const helpUrl of [
      "https://wiki.example.com/iam-sign-in#proxy",
      "http://intranet/help",
      "/docs/sign-in",
    ]) {
      assert.equal(resolveOptions({ ...base, helpUrl }).helpUrl, helpUrl);
    }
  });

  for (const [name, helpUrl, shown] of [
    ["a javascript: URL", "javascript:alert(1)", '"javascript:alert(1)"'],
    ["another scheme", "file:///etc/passwd", '"file:///etc/passwd"'],
    ["a network-path reference", "//evil.example.com/", '"//evil.example.com/"'],
    ["a backslash path", "/\\evil.example.com", '"/\\\\evil.example.com"'],
    ["a relative path", "docs/sign-in", '"docs/sign-in"'],
    ["whitespace", "https://wiki.example.com/a b", '"https://wiki.example.com/a b"'],
    ["a number", 42, "42"],
  ] as const) {
    it(`refuses ${name}, naming the option and the value`, () => {
      assert.throws(() => resolveOptions({ ...base, helpUrl: helpUrl as string }), {
        name: "TypeError",
        message: `iamAuth: invalid options:\n  - helpUrl: must be an https: or http: URL, or a path on this site such as "/docs/sign-in" (got ${shown})`,
      });
    });
  }
});
