import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runInNewContext } from "node:vm";
import { after, before, describe, it } from "node:test";
import {
  createDirectRequestHandler,
  type DirectRequestOptions,
} from "../../../../proxy/pages/direct-request.js";
import {
  createProxyServer,
  loadOrCreateCa,
  parseHostPattern,
  type LocalCa,
  type ProxyServer,
} from "../../../../proxy/index.js";
import { httpRequest, type HttpResult } from "../../../helpers/http-client.js";
import { createFakeAws, createMemoryLogger, listenOnLoopback } from "../fakes.js";
import { parseBindAddress } from "../../../../proxy/http/bind-address.js";

/** An origin-form request to the proxy itself, as a browser fetching its PAC file sends it. */
function requestProxyItself(
  port: number,
  path: string,
  options: { method?: string; host?: string } = {},
): Promise<HttpResult> {
  return httpRequest(`http://127.0.0.1:${port}${path}`, {
    method: options.method ?? "GET",
    headers: options.host === undefined ? {} : { host: options.host },
  });
}

describe("requests addressed to the proxy itself (createProxyServer)", () => {
  let proxy: ProxyServer;
  let port = 0;
  before(async () => {
    proxy = createProxyServer({
      bind: parseBindAddress("127.0.0.1:0"),
      login: createFakeAws().deps,
      logger: createMemoryLogger(),
    });
    const [url = ""] = await proxy.listen();
    port = Number(new URL(url).port);
  });
  after(() => proxy.close());

  describe("GET /proxy.pac without --host", () => {
    it("sends every http:// URL through the proxy and everything else DIRECT", async () => {
      const response = await requestProxyItself(port, "/proxy.pac?v=2");
      assert.equal(response.status, 200);
      assert.equal(response.headers["content-type"], "application/x-ns-proxy-autoconfig");
      const findProxy = (url: string, host: string): unknown =>
        runInNewContext(`${response.body}\nFindProxyForURL(${JSON.stringify(url)}, ${JSON.stringify(host)})`);
      assert.equal(findProxy("http://app.internal:3000/", "app.internal"), `PROXY 127.0.0.1:${port}`);
      assert.equal(findProxy("https://app.internal/", "app.internal"), "DIRECT");
    });

    it("answers HEAD without a body and other methods with 405", async () => {
      const head = await requestProxyItself(port, "/proxy.pac", { method: "HEAD" });
      assert.equal(head.status, 200);
      assert.equal(head.body, "");
      assert.notEqual(head.headers["content-length"], "0");
      const post = await requestProxyItself(port, "/proxy.pac", { method: "POST" });
      assert.equal(post.status, 405);
      assert.equal(post.headers.allow, "GET, HEAD");
      assert.equal(post.body, "/proxy.pac answers GET and HEAD only\n");
    });
  });

  it("serves the status page at /", async () => {
    const response = await requestProxyItself(port, "/");
    assert.equal(response.status, 200);
    assert.equal(response.headers["content-type"], "text/html; charset=utf-8");
    assert.match(response.body, /<h1>iam-auth-proxy status<\/h1>/);
  });

  it("answers /ca.pem with 404 when HTTPS interception is off (no --host)", async () => {
    const response = await requestProxyItself(port, "/ca.pem");
    assert.equal(response.status, 404);
    assert.equal(
      response.body,
      "HTTPS interception is off (no --host), so there is no CA certificate to trust\n",
    );
  });

  it("answers any other path with 400 NOT_A_PROXY_REQUEST, as before", async () => {
    const response = await requestProxyItself(port, "/reports");
    assert.equal(response.status, 400);
    assert.equal(response.headers["iam-auth-proxy-error"], "NOT_A_PROXY_REQUEST");
    assert.equal(
      response.body,
      `NOT_A_PROXY_REQUEST: This is an HTTP proxy: configure it as your proxy (e.g. curl -x http://127.0.0.1:${port} …)\n`,
    );
  });
});

describe("createDirectRequestHandler", () => {
  let dir = "";
  let ca: LocalCa;
  let server: http.Server | undefined;
  let port = 0;

  async function serve(options: DirectRequestOptions): Promise<void> {
    if (server !== undefined) await new Promise((resolve) => server?.close(resolve));
    server = http.createServer(createDirectRequestHandler(options));
    port = await listenOnLoopback(server);
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "iam-auth-proxy-direct-"));
    ca = await loadOrCreateCa(join(dir, "ca"), { hostname: "test" });
  });
  after(async () => {
    if (server !== undefined) await new Promise((resolve) => server?.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  describe("GET /ca.pem with HTTPS interception on", () => {
    before(() => serve({ hostPatterns: [parseHostPattern("*.corp.example.com")], ca }));

    it("serves the CA certificate, and only the certificate", async () => {
      const response = await requestProxyItself(port, "/ca.pem");
      assert.equal(response.status, 200);
      assert.equal(response.headers["content-type"], "application/x-x509-ca-cert");
      assert.equal(response.headers["x-content-type-options"], "nosniff");
      assert.equal(response.body, ca.certPem);
      assert.ok(!response.body.includes("PRIVATE KEY"), "never the key");
    });

    it("links it from the status page with its fingerprint", async () => {
      const response = await requestProxyItself(port, "/");
      assert.ok(response.body.includes(`<a href="/ca.pem">The proxy's CA certificate</a>`));
      // Colons are the only places it may wrap (<wbr>), never inside a byte.
      assert.ok(
        response.body.includes(
          `<code class="fingerprint">${ca.fingerprintSha256.replaceAll(":", ":<wbr />")}</code>`,
        ),
      );
    });
  });

  describe("GET / (the status page)", () => {
    before(() =>
      serve({
        hostPatterns: [],
        boundHostNames: ["devbox.lan"],
        method: "sts",
        loginFlow: "redirect",
        clock: () => Date.parse("2030-01-01T00:00:00Z"),
      }),
    );

    it("is HTML that no cache keeps, no script runs in and no other site frames", async () => {
      const response = await requestProxyItself(port, "/");
      assert.equal(response.status, 200);
      assert.equal(response.headers["content-type"], "text/html; charset=utf-8");
      assert.equal(response.headers["cache-control"], "no-store");
      assert.equal(
        response.headers["content-security-policy"],
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
      );
      assert.equal(response.headers["x-frame-options"], "DENY");
      assert.equal(response.headers["referrer-policy"], "no-referrer");
      assert.equal(response.headers["content-length"], String(Buffer.byteLength(response.body)));
      assert.ok(response.body.includes("<td>STS only (--method sts)</td>"));
      assert.ok(response.body.includes(`<code class="value">http://127.0.0.1:${port}/proxy.pac</code>`));
      assert.ok(response.body.includes("<p>No sign-ins since the proxy started.</p>"));
    });

    it("answers HEAD without a body, and POST with 405", async () => {
      const head = await requestProxyItself(port, "/", { method: "HEAD" });
      assert.equal(head.status, 200);
      assert.equal(head.body, "");
      const post = await requestProxyItself(port, "/", { method: "POST" });
      assert.equal(post.status, 405);
      assert.equal(post.body, "/ answers GET and HEAD only\n");
    });

    it("answers to IP addresses, localhost and the bound host name in Host", async () => {
      for (const host of [
        `127.0.0.1:${port}`,
        `localhost:${port}`,
        "[::1]:8080",
        "app.localhost",
        "devbox.lan:1",
      ]) {
        assert.equal((await requestProxyItself(port, "/", { host })).status, 200, host);
      }
    });

    it("refuses any other Host with 403: a DNS-rebinding page must not read it (nor the PAC file or CA)", async () => {
      for (const path of ["/", "/proxy.pac", "/ca.pem"]) {
        const response = await requestProxyItself(port, path, { host: `attacker.example:${port}` });
        assert.equal(response.status, 403, path);
        assert.equal(response.headers["iam-auth-proxy-error"], "HOST_NOT_ALLOWED", path);
        assert.equal(
          response.body,
          `HOST_NOT_ALLOWED: Refusing a request for host "attacker.example:${port}": the proxy's own pages answer only to ` +
            "localhost, *.localhost, IP addresses and the host it is bound to " +
            "(a web page may be trying to read them through DNS rebinding)\n",
        );
      }
    });
  });
});
