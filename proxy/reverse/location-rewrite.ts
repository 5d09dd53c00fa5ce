/** An upstream's origin and the local origin the browser reaches it at. */
export interface OriginMapping {
  /** e.g. `https://app.internal.example.com` (URL#origin form: lower case, no default port). */
  readonly upstream: string;
  /** e.g. `http://localhost:8080`. */
  readonly local: string;
}

// An absolute URL ("https://…") or a scheme-relative one ("//…"; browsers read "\" as "/").
const absoluteOrSchemeRelative = /^(?:[A-Za-z][A-Za-z0-9+.-]*:)?[\\/]{2}[^\\/?#]*(.*)$/s;

/**
 * Rewrites a `Location` the app at `base` sent so the browser stays on the local proxy: an
 * absolute or scheme-relative URL on one of the upstream origins becomes the same path on that
 * upstream's local origin. Relative locations (`/x`, `x`, `?y`) already resolve against the
 * local origin and are returned unchanged, as are locations on any other origin. The path,
 * query and fragment are kept byte for byte.
 *
 * @example rewriteLocation("https://app.example.com/x?y", "https://app.example.com", [{ upstream: "https://app.example.com", local: "http://localhost:8080" }])
 * // "http://localhost:8080/x?y"
 */
export function rewriteLocation(location: string, base: string, mappings: readonly OriginMapping[]): string {
  // Browsers drop tabs and newlines from URLs before parsing (WHATWG URL), so decide on what they see.
  const seen = location.replace(/[\t\n\r]/g, "");
  const match = absoluteOrSchemeRelative.exec(seen);
  if (match === null) return location;
  let target: URL;
  try {
    // A scheme-relative location means the app's own scheme (https), not the local http.
    target = new URL(seen, base);
  } catch {
    return location;
  }
  const mapping = mappings.find((each) => each.upstream === target.origin);
  if (mapping === undefined) return location;
  const raw = match[1] ?? "";
  const rest = raw.startsWith("/") ? raw : `/${raw}`;
  // Keep the app's own bytes unless the URL parser reads them differently ("https:///host/x").
  const parsed = `${target.pathname}${target.search}${target.hash}`;
  return `${mapping.local}${new URL(rest, target.origin).href === target.href ? rest : parsed}`;
}
