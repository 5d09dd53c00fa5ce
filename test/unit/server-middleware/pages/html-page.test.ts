import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import express from "express";
import { html } from "../../../../protocol/html.js";
import {
  PAGE_CONTENT_SECURITY_POLICY,
  prefersHtml,
  renderHtmlPage,
} from "../../../../server-middleware/pages/html-page.js";
import { send } from "../test-app.js";

const hostile = `<script>alert("x")</script>&'`;
const escapedHostile = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;";

describe("renderHtmlPage", () => {
  const page = renderHtmlPage({ title: `Signed in as ${hostile}`, main: html`<p>${hostile}</p>` });

  it("is a complete English document with the title, one h1, a main and a footer", () => {
    assert.match(page, /^<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">/);
    assert.equal(page.match(/<h1>/g)?.length, 1);
    assert.equal(page.match(/<main>/g)?.length, 1);
    assert.equal(page.match(/<footer>/g)?.length, 1);
    assert.match(page, /<\/html>\n$/);
  });

  it("escapes the title in <title> and in <h1>", () => {
    assert.ok(page.includes(`<title>Signed in as ${escapedHostile}</title>`));
    assert.ok(page.includes(`<h1>Signed in as ${escapedHostile}</h1>`));
    assert.ok(page.includes(`<p>${escapedHostile}</p>`));
    assert.ok(!page.includes("<script"));
  });

  it("loads nothing: no scripts, no external stylesheets, images or fonts", () => {
    assert.doesNotMatch(page, /<script|<link|<img|src=|url\(|@import/i);
  });

  it("has a CSP that lets nothing load or run but inline styles", () => {
    assert.equal(PAGE_CONTENT_SECURITY_POLICY, "default-src 'none'; style-src 'unsafe-inline'");
  });
});

describe("prefersHtml", () => {
  let url: string;
  let close: () => void;
  before(async () => {
    const app = express();
    app.get("/", (req, res) => res.type("text/plain").send(String(prefersHtml(req))));
    const server = app.listen(0, "127.0.0.1");
    await new Promise<void>((resolve) => server.once("listening", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => server.close();
  });
  after(() => close());

  const cases: readonly (readonly [string, string | undefined, boolean])[] = [
    [
      "Chromium's navigation",
      "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7",
      true,
    ],
    ["Firefox's navigation", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", true],
    ["HTML and text equally, HTML first", "text/html, text/plain", true],
    ["no Accept field", undefined, false],
    ["curl's */*", "*/*", false],
    ["the proxy's text/plain, */*", "text/plain, */*", false],
    ["text first", "text/plain, text/html;q=0.5", false],
    ["HTML and text equally, text first", "text/plain, text/html", false],
    ["JSON only", "application/json", false],
  ];
  for (const [name, accept, expected] of cases) {
    it(`${expected ? "prefers" : "does not prefer"} HTML for ${name}`, async () => {
      const result = await send(url, "/", accept === undefined ? {} : { headers: { accept } });
      assert.equal(result.body, String(expected));
    });
  }
});
