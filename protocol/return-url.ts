import { ProtocolError } from "./errors.js";

/** Longest return_url accepted; longer values are refused rather than truncated. */
export const MAX_RETURN_URL_LENGTH = 2048;

const printableAscii = /^[\x21-\x7e]*$/;
const noControlCharacters = /^[^\x00-\x1f\x7f]*$/;
const probeOrigin = "http://return-url.invalid";

/**
 * Checks that `value` is a path on the app's own origin and returns it unchanged, or throws
 * ProtocolError RETURN_URL_UNSAFE. A browser must not be able to resolve it elsewhere:
 *
 * - it must start with exactly one "/" (`//evil` and `/\evil` are network-path references);
 * - no backslash anywhere (browsers read "\" as "/" in http URLs);
 * - only printable ASCII: browsers silently drop tab and newline (`/\t/evil` becomes `//evil`),
 *   and whitespace or control characters have no business in a path;
 * - percent-decoding once or twice must not produce any of the above (apps and frameworks
 *   that decode before redirecting turn `/%2F%2Fevil` into `//evil`);
 * - and the WHATWG URL parser must resolve it to the same origin.
 *
 * @example checkReturnUrl("/reports?q=1") // "/reports?q=1"
 */
export function checkReturnUrl(value: string): string {
  const unsafe = (why: string): ProtocolError =>
    new ProtocolError("RETURN_URL_UNSAFE", `return_url must be a path on this site: ${why}`);
  if (value.length > MAX_RETURN_URL_LENGTH) throw unsafe(`longer than ${MAX_RETURN_URL_LENGTH} characters`);
  let candidate = value;
  for (let round = 0; round < 3; round++) {
    const problem = describePathProblem(candidate, round === 0 ? printableAscii : noControlCharacters);
    if (problem !== undefined) throw unsafe(problem);
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

// Checks one form of the value. The raw form must be printable ASCII; decoded forms may hold
// spaces and non-ASCII text (a search for "a b" is fine) but never control characters.
function describePathProblem(path: string, allowed: RegExp): string | undefined {
  if (!path.startsWith("/")) return 'it does not start with "/"';
  if (path.startsWith("//")) return 'it starts with "//"';
  if (path.includes("\\")) return "it contains a backslash";
  if (!allowed.test(path)) return "it contains whitespace, control or non-ASCII characters";
  return undefined;
}
