import { ProtocolError } from "./errors.js";

/** Longest return_url accepted; longer values are refused rather than truncated. */
export const MAX_RETURN_URL_LENGTH = 2048;

const printableAscii = /^[\x21-\x7e]*$/;
const noControlCharacters = /^[^\x00-\x1f\x7f]*$/;
const probeOrigin = "http://return-url.invalid";

/**
 * Checks that `value` is a path on the app's own origin and returns it unchanged, or throws
 * ProtocolError RETURN_URL_UNSAFE. A browser must not be able to resolve it elsewhere, and
 * only the path (up to the first "?" or "#") decides where a browser goes:
 *
 * - the whole value is printable ASCII: browsers silently drop tab and newline (`/\t/evil`
 *   becomes `//evil`), and a raw CR or LF has no place in a Location header;
 * - the path starts with exactly one "/" (`//evil` and `/\evil` are network-path references);
 * - no backslash in the path (browsers read "\" as "/" in http paths);
 * - percent-decoding the path once or twice must not produce any of the above, nor control
 *   characters (apps and frameworks that decode before redirecting turn `/%2F%2Fevil` into
 *   `//evil`), and it must decode;
 * - and the WHATWG URL parser must resolve the whole value to the same origin.
 *
 * The query and fragment are data for the app, not a place to go: like the original server,
 * they may carry anything percent-encoded (`?p=C%3A%5CUsers`, `?q=line1%0Aline2`, `?q=50%25off`),
 * a raw backslash, or even a stray "%" (`?q=100%`), which is passed on unchanged.
 *
 * @example checkReturnUrl("/reports?q=1") // "/reports?q=1"
 */
export function checkReturnUrl(value: string): string {
  const unsafe = (why: string): ProtocolError =>
    new ProtocolError("RETURN_URL_UNSAFE", `return_url must be a path on this site: ${why}`);
  if (value.length > MAX_RETURN_URL_LENGTH) throw unsafe(`longer than ${MAX_RETURN_URL_LENGTH} characters`);
  const pathEnd = value.search(/[?#]/);
  let candidate = pathEnd === -1 ? value : value.slice(0, pathEnd);
  // The first round also checks the whole raw value: printable ASCII everywhere.
  const rawProblem = describePathProblem(candidate, printableAscii) ?? describeRawProblem(value);
  if (rawProblem !== undefined) throw unsafe(rawProblem);
  for (let round = 0; round < 3; round++) {
    if (round > 0) {
      const problem = describePathProblem(candidate, noControlCharacters);
      if (problem !== undefined) throw unsafe(problem);
    }
    let decoded: string;
    try {
      decoded = decodeURIComponent(candidate);
    } catch {
      throw unsafe("it has an invalid percent-encoding");
    }
    if (decoded === candidate) break;
    candidate = decoded;
  }
  const resolved = new URL(value, `${probeOrigin}/`);
  if (resolved.origin !== probeOrigin) throw unsafe("it resolves to another origin");
  return value;
}

function describeRawProblem(value: string): string | undefined {
  return printableAscii.test(value) ? undefined : "it contains whitespace, control or non-ASCII characters";
}

// Checks one form of the path. The raw form must be printable ASCII; decoded forms may hold
// spaces and non-ASCII text (a search for "a b" is fine) but never control characters.
function describePathProblem(path: string, allowed: RegExp): string | undefined {
  if (!path.startsWith("/")) return 'it does not start with "/"';
  if (path.startsWith("//")) return 'it starts with "//"';
  if (path.includes("\\")) return "it contains a backslash";
  if (!allowed.test(path)) return "it contains whitespace, control or non-ASCII characters";
  return undefined;
}
