import { escapeHtml, toHtmlString, type SafeHtml } from "./html.js";

/*
 * The one page shell of every page a person sees, from either side: the middleware's challenge
 * and refusal pages, the example app's home, and the proxy's status page and refusal pages. Here
 * because proxy/ and server-middleware/ share only protocol/, and so they all look the same. The
 * pages are small, self-contained (no scripts, no external assets: the CSPs below forbid both),
 * and readable without their CSS.
 */

/**
 * The Content-Security-Policy of every page: nothing may load or run, inline styles excepted.
 * If an escaping mistake ever let markup into a page, no script in it would run.
 */
export const PAGE_CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'";

/**
 * PAGE_CONTENT_SECURITY_POLICY for a page that only shows something (the proxy's status and
 * refusal pages): besides, no form may post from it, no other site may frame it, and no
 * `<base>` may redirect its links.
 */
export const READ_ONLY_PAGE_CONTENT_SECURITY_POLICY = `${PAGE_CONTENT_SECURITY_POLICY}; form-action 'none'; frame-ancestors 'none'; base-uri 'none'`;

/** What one page shows. */
export interface HtmlPageContent {
  /** The document title; also what the page's one `<h1>` says. */
  readonly title: string;
  /** The content of `<main>`, after the heading. */
  readonly main: SafeHtml;
  /** CSS added after the shared style (a wider page, tables). Never from a request. Default none. */
  readonly style?: string | undefined;
  /** The footer's one line. Default: "iam-auth-proxy: sign in to web apps with your AWS identity." */
  readonly footer?: string | undefined;
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

const defaultFooter = "iam-auth-proxy: sign in to web apps with your AWS identity.";

/**
 * A complete page: `<html lang="en">`, the title, one `<h1>` with the same words, the content
 * in `<main>` and a `<footer>` naming iam-auth-proxy.
 *
 * @example res.type("html").send(renderHtmlPage({ title: "Signed in", main: html`<p>${arn}</p>` }))
 */
export function renderHtmlPage(content: HtmlPageContent): string {
  // A plain template, not `html`, so the formatter leaves the document's layout alone: the
  // title and footer are the values in it, escaped here; main is markup from `html`.
  const title = escapeHtml(content.title);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>${style}${content.style ?? ""}</style>
</head>
<body>
<main>
<h1>${title}</h1>
${toHtmlString(content.main)}
</main>
<footer><p>${escapeHtml(content.footer ?? defaultFooter)}</p></footer>
</body>
</html>
`;
}
