/*
 * HTML escaping for the pages both sides serve: the middleware's challenge and refusal pages
 * and the proxy's status page. Here because proxy/ and server-middleware/ share only
 * protocol/: every interpolated value is escaped unless it is markup made by `html`.
 */

const brand = Symbol("SafeHtml");

/** Markup made by `html` (every interpolated value escaped), safe to insert as is. Only `html` makes one. */
export interface SafeHtml {
  readonly [brand]: string;
}

/** What `html` accepts between `${}`: text is escaped, markup from `html` is inserted, lists are joined. */
export type HtmlValue = string | number | SafeHtml | readonly SafeHtml[];

const escapes: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/**
 * Escapes text for HTML element content and quoted attribute values.
 *
 * @example escapeHtml(`<script>"x"</script>`) // "&lt;script&gt;&quot;x&quot;&lt;/script&gt;"
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => escapes[character] ?? character);
}

/**
 * A template tag for markup: every interpolated value is HTML-escaped unless it is itself the
 * result of `html` (or a list of them), so text from a request, an ARN, a host name or an error
 * message can never become markup. Put attribute values in double quotes. Escaping does not
 * make a URL safe in `href`: check its scheme first, or put only fixed paths there.
 *
 * @example html`<p>Signed in as <code>${arn}</code></p>`
 */
export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): SafeHtml {
  let out = strings[0] ?? "";
  values.forEach((value, index) => {
    out += renderValue(value) + (strings[index + 1] ?? "");
  });
  return { [brand]: out };
}

/** Anything that is not markup from `html` (or a list of it) is text, whatever its type says. */
function renderValue(value: unknown): string {
  if (typeof value === "object" && value !== null) {
    if (Object.hasOwn(value, brand)) return (value as SafeHtml)[brand];
    if (Array.isArray(value)) return value.map(renderValue).join("");
  }
  return escapeHtml(String(value));
}

/**
 * The markup as a string, e.g. to `res.send()` it.
 *
 * @example toHtmlString(html`<b>${"<i>"}</b>`) // "<b>&lt;i&gt;</b>"
 */
export function toHtmlString(markup: SafeHtml): string {
  return markup[brand];
}
