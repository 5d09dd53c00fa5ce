import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { html } from "../../../protocol/html.js";
import {
  PAGE_CONTENT_SECURITY_POLICY,
  READ_ONLY_PAGE_CONTENT_SECURITY_POLICY,
  renderHtmlPage,
} from "../../../protocol/html-page.js";

describe("renderHtmlPage (the page shell both sides share)", () => {
  it("adds a page's own CSS after the shared style, and escapes a footer of its own", () => {
    const page = renderHtmlPage({
      title: "Status",
      main: html`<p>x</p>`,
      style: "body{max-width:72rem}",
      footer: `<b>bold</b> & "quoted"`,
    });
    assert.match(page, /<style>body\{font:16px\/1\.5 system-ui[^<]*\}body\{max-width:72rem\}<\/style>/);
    assert.ok(
      page.includes("<footer><p>&lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot;</p></footer>"),
      page,
    );
  });

  it("names iam-auth-proxy in the footer by default", () => {
    const page = renderHtmlPage({ title: "T", main: html`` });
    assert.ok(
      page.includes("<footer><p>iam-auth-proxy: sign in to web apps with your AWS identity.</p></footer>"),
    );
  });

  it("has a read-only CSP for pages that only show something: no script, no form, no framing, no <base>", () => {
    assert.equal(
      READ_ONLY_PAGE_CONTENT_SECURITY_POLICY,
      `${PAGE_CONTENT_SECURITY_POLICY}; form-action 'none'; frame-ancestors 'none'; base-uri 'none'`,
    );
    assert.doesNotMatch(READ_ONLY_PAGE_CONTENT_SECURITY_POLICY, /script-src/);
  });
});
