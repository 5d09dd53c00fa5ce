/*
 * Markup for the proxy's own pages (the status page at `/`). The same rules as the middleware's
 * pages (server-middleware/html-page.ts), kept separate because proxy/ and server-middleware/
 * share only protocol/: every interpolated value is escaped unless it is markup made here.
 */

const brand = Symbol("Markup");

/** Markup made by `html` (every interpolated value escaped), safe to insert as is. Only `html` makes one. */
export interface Markup {
  readonly [brand]: string;
}

/** What `html` accepts between `${}`: text is escaped, markup from `html` is inserted, lists are joined. */
export type MarkupValue = string | number | Markup | readonly Markup[];

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
 * @example escapeHtml(`<b title="x">`) // "&lt;b title=&quot;x&quot;&gt;"
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => escapes[character] ?? character);
}

/**
 * A template tag for markup: an ARN, a host name or an app's refusal reason interpolated here
 * can never become markup. Put attribute values in double quotes; escaping does not make a URL
 * safe in `href`, so only put the proxy's own fixed paths there.
 *
 * @example html`<td>${entry.reason}</td>`
 */
export function html(strings: TemplateStringsArray, ...values: readonly MarkupValue[]): Markup {
  let out = strings[0] ?? "";
  values.forEach((value, index) => {
    out += renderValue(value) + (strings[index + 1] ?? "");
  });
  return { [brand]: out };
}

/** Anything that is not markup from `html` (or a list of it) is text, whatever its type says. */
function renderValue(value: unknown): string {
  if (typeof value === "object" && value !== null) {
    if (Object.hasOwn(value, brand)) return (value as Markup)[brand];
    if (Array.isArray(value)) return value.map(renderValue).join("");
  }
  return escapeHtml(String(value));
}

/**
 * The markup as a string.
 *
 * @example toHtmlString(html`<b>${"<i>"}</b>`) // "<b>&lt;i&gt;</b>"
 */
export function toHtmlString(markup: Markup): string {
  return markup[brand];
}
