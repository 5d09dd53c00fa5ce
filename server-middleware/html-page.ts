import type { Request } from "express";
import { escapeHtml, toHtmlString, type SafeHtml } from "../protocol/index.js";

/*
 * The pages a person sees (the challenge, sign-in refusals, the example app's home) are built
 * here: one page shell around markup from protocol/html.ts. They are small, self-contained (no
 * scripts, no external assets: the CSP below forbids both), and readable without their CSS.
 */

/**
 * The Content-Security-Policy of every page: nothing may load or run, inline styles excepted.
 * If an escaping mistake ever let markup into a page, no script in it would run.
 */
export const PAGE_CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'";

/** What one page shows. */
export interface HtmlPageContent {
  /** The document title; also what the page's one `<h1>` says. */
  readonly title: string;
  /** The content of `<main>`, after the heading. */
  readonly main: SafeHtml;
}

// Colours meet WCAG AA contrast: text 17:1, links and the button 8:1, the footer 7.4:1 (on white).
const style = [
  "body{font:16px/1.5 system-ui,sans-serif;color:#1a1a1a;background:#fff;max-width:42rem;margin:3rem auto;padding:0 1rem}",
  "code{background:#eee;padding:.1em .3em;border-radius:3px;overflow-wrap:anywhere}",
  "a{color:#0b4f9c}",
  "button{font:inherit;color:#fff;background:#0b4f9c;border:0;border-radius:4px;padding:.4em 1.2em;cursor:pointer}",
  "button:focus-visible,a:focus-visible{outline:3px solid #1a1a1a;outline-offset:2px}",
  "dt{font-weight:600}dd{margin:0 0 .75rem}",
  "footer{margin-top:3rem;border-top:1px solid #ccc;padding-top:.5rem;color:#555;font-size:.875rem}",
].join("");

/**
 * A complete page: `<html lang="en">`, the title, one `<h1>` with the same words, the content
 * in `<main>` and a `<footer>` naming iam-auth-proxy.
 *
 * @example res.type("html").send(renderHtmlPage({ title: "Signed in", main: html`<p>${arn}</p>` }))
 */
export function renderHtmlPage(content: HtmlPageContent): string {
  // A plain template, not `html`, so the formatter leaves the document's layout alone: the
  // title is the one value in it, escaped here; main is markup from `html`.
  const title = escapeHtml(content.title);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>${style}</style>
</head>
<body>
<main>
<h1>${title}</h1>
${toHtmlString(content.main)}
</main>
<footer><p>iam-auth-proxy: sign in to web apps with your AWS identity.</p></footer>
</body>
</html>
`;
}

/**
 * Whether to answer with a page rather than one line of text: only when the client ranks
 * text/html above text/plain, as browsers do. A client that sends no Accept field, only a
 * wildcard (curl) or text/plain first (the proxy's own requests) gets the one line of text.
 *
 * @example prefersHtml(req) // true for a browser's "text/html,application/xhtml+xml,…"
 */
export function prefersHtml(req: Request): boolean {
  return req.accepts(["text/plain", "text/html"]) === "text/html";
}
