import assert from "node:assert/strict";
import http, { type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { ProxyError } from "../../../../proxy/common/errors.js";
import { sendProxyError } from "../../../../proxy/http/http-messages.js";
import {
  formatProxyErrorLine,
  isBrowserRequest,
  renderProxyErrorPage,
} from "../../../../proxy/http/proxy-error-page.js";

const chromiumNavigation =
  "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8";
const hostile = `app<script>alert("x")</script>.example`;

describe("isBrowserRequest", () => {
  const cases: readonly (readonly [string, IncomingHttpHeaders, boolean])[] = [
    ["Chromium's navigation", { accept: chromiumNavigation }, true],
    ["Firefox's navigation", { accept: "text/html,application/xhtml+xml,*/*;q=0.8" }, true],
    ["an upper-case Accept", { accept: "TEXT/HTML" }, true],
    ["a document load without text/html in Accept", { "sec-fetch-dest": "document" }, true],
    ["a frame", { accept: "*/*", "sec-fetch-dest": "iframe" }, true],
    ["curl", { accept: "*/*" }, false],
    ["no Accept at all", {}, false],
    ["the proxy's own requests", { accept: "text/plain, */*" }, false],
    ["fetch() from a page", { accept: "*/*", "sec-fetch-dest": "empty" }, false],
    ["a JSON client", { accept: "application/json" }, false],
  ];
  for (const [name, headers, expected] of cases) {
    it(`${name}: ${expected ? "a page" : "one line of text"}`, () => {
      assert.equal(isBrowserRequest(headers), expected);
    });
  }
});

describe("renderProxyErrorPage", () => {
  it("says what happened in the title, what to do, the reason and the code", () => {
    const page = renderProxyErrorPage(
      new ProxyError("NO_CREDENTIALS", "No usable AWS credentials: run aws sso login"),
    );
    assert.ok(page.includes("<title>The proxy has no AWS credentials to sign you in with</title>"));
    assert.ok(page.includes("<h1>The proxy has no AWS credentials to sign you in with</h1>"));
    assert.ok(page.includes("<p><strong>Reason:</strong> No usable AWS credentials: run aws sso login</p>"));
    assert.match(page, /Error <code>NO_CREDENTIALS<\/code> \(HTTP 503\), answered by iam-auth-proxy/);
    assert.match(page, /<code>aws sso login<\/code>/);
  });

  it("escapes the message: a host name an attacker chose cannot become markup", () => {
    const page = renderProxyErrorPage(new ProxyError("UPSTREAM_UNREACHABLE", `Cannot reach ${hostile}:80`));
    assert.ok(!page.includes("<script"), page);
    assert.ok(page.includes("app&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;.example:80"));
  });

  it("is the same page shell as the app's pages: no script, no external asset", () => {
    const page = renderProxyErrorPage(new ProxyError("INTERNAL_ERROR", "x"));
    assert.match(page, /^<!doctype html>\n<html lang="en">/);
    assert.doesNotMatch(page, /<script|<link|<img|src=|url\(|@import/i);
    assert.match(
      page,
      /<footer><p>iam-auth-proxy: sign in to web apps with your AWS identity.<\/p><\/footer>/,
    );
  });
});

describe("formatProxyErrorLine", () => {
  it("is the code, then the message", () => {
    assert.equal(
      formatProxyErrorLine({ code: "KMS_APP_NOT_NAMED", message: "Refusing to give app:1 a KMS proof" }),
      "KMS_APP_NOT_NAMED: Refusing to give app:1 a KMS proof",
    );
  });
});

describe("sendProxyError", () => {
  let server: http.Server;
  let port = 0;
  const error = new ProxyError("UPSTREAM_TIMEOUT", `${hostile} did not answer within 30 s`);

  before(async () => {
    server = http.createServer((_req, res) => sendProxyError(res, error));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  function request(method: string, headers: Record<string, string>) {
    return new Promise<{ status: number; headers: IncomingHttpHeaders; body: string }>((resolve, reject) => {
      http
        .request({ host: "127.0.0.1", port, method, path: "/", headers, agent: false }, (res) => {
          let body = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => (body += chunk));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        })
        .on("error", reject)
        .end();
    });
  }

  it("gives a browser the page, never cached or sniffed, with a CSP that lets no script run", async () => {
    const response = await request("GET", { accept: chromiumNavigation });
    assert.equal(response.status, 504);
    assert.equal(response.headers["iam-auth-proxy-error"], "UPSTREAM_TIMEOUT");
    assert.equal(response.headers["content-type"], "text/html; charset=utf-8");
    assert.equal(response.headers["cache-control"], "no-store");
    assert.equal(response.headers["x-content-type-options"], "nosniff");
    assert.equal(
      response.headers["content-security-policy"],
      "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
    );
    assert.equal(response.headers["content-length"], String(Buffer.byteLength(response.body)));
    assert.equal(response.body, renderProxyErrorPage(error));
  });

  it("gives everyone else one line of text with the code", async () => {
    const response = await request("GET", { accept: "*/*" });
    assert.equal(response.status, 504);
    assert.equal(response.headers["iam-auth-proxy-error"], "UPSTREAM_TIMEOUT");
    assert.equal(response.headers["content-type"], "text/plain; charset=utf-8");
    assert.equal(response.headers["x-content-type-options"], "nosniff");
    assert.equal(response.body, `UPSTREAM_TIMEOUT: ${hostile} did not answer within 30 s\n`);
  });

  it("answers HEAD with the fields only, and the length GET would have", async () => {
    const response = await request("HEAD", { accept: chromiumNavigation });
    assert.equal(response.status, 504);
    assert.equal(response.body, "");
    assert.equal(response.headers["content-length"], String(Buffer.byteLength(renderProxyErrorPage(error))));
    assert.equal(response.headers["iam-auth-proxy-error"], "UPSTREAM_TIMEOUT");
  });
});
