import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { escapeHtml, html, toHtmlString } from "../../../protocol/html.js";

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
