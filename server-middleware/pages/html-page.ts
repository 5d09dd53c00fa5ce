import type { Request } from "express";

/*
 * The pages a person sees (the challenge, sign-in refusals, the example app's home) share one
 * page shell with the proxy's own pages: protocol/html-page.ts.
 */
export { renderHtmlPage, PAGE_CONTENT_SECURITY_POLICY, type HtmlPageContent } from "../../protocol/index.js";

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
