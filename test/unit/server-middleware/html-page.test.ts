import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import express from "express";
import {
  escapeHtml,
  html,
  PAGE_CONTENT_SECURITY_POLICY,
  prefersHtml,
  renderHtmlPage,
  toHtmlString,
} from "../../../server-middleware/html-page.js";
import { send } from "./test-app.js";

const hostile = `<script>alert("x")</script>&'`;
const escapedHostile = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;";

describe("escapeHtml", () => {
  it("escapes the five characters that can end text or a quoted attribute", () => {
    assert.equal(escapeHtml(hostile), escapedHostile);
  });

  it("leaves other text as it is", () => {
    assert.equal(
      escapeHtml("arn:aws:iam::111122223333:user/alice é"),
      "arn:aws:iam::111122223333:user/alice é",
    );
  });
});

describe("html", () => {
  it("escapes every interpolated string and number", () => {
    assert.equal(
      toHtmlString(html`<p title="${hostile}">${hostile} ${42}</p>`),
      `<p title="${escapedHostile}">${escapedHostile} 42</p>`,
    );
  });

  it("inserts markup made by html as is, and joins lists of it", () => {
    const items = ["a<b", "c"].map((text) => html`<li>${text}</li>`);
    // The formatter would re-indent this markup, and the exact output is the point here.
    // prettier-ignore
    const list = html`<ul>${items}</ul>${html`<br>`}`;
    assert.equal(toHtmlString(list), "<ul><li>a&lt;b</li><li>c</li></ul><br>");
  });

  it("escapes an object that only looks like markup (no forging through a cast)", () => {
    const forged = { value: "<b>" } as unknown as string;
    assert.equal(toHtmlString(html`${forged}`), "[object Object]");
  });
});

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
