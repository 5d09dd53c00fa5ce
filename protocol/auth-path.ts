import { ProtocolError } from "./errors.js";

/** The challenge's auth-param that names where the proof is handed over (section 1 of docs/protocol.md). */
export const AUTH_PATH_PARAM = "auth-path";

/** Longest auth-path accepted; a longer one is refused, not cut. */
export const MAX_AUTH_PATH_LENGTH = 1024;

// RFC 3986 pchar without ";": a path parameter (`/..;/`) is read as a dot segment by some servers.
const segmentCharacters = /^[A-Za-z0-9\-._~!$&'()*+,=:@%]*$/;
// What a decoded segment may not hold: a separator, a path parameter, control characters.
const decodedForbidden = /[/\\;\x00-\x1f\x7f]/;

/**
 * Checks that `value` is a path on the app's own origin where a client may send its proof, and
 * returns it unchanged, or throws ProtocolError AUTH_PATH_UNSAFE. The path comes from the app's
 * 401, so it must never be able to send the proof anywhere but that app, nor be read by a server
 * or framework as another path than it says:
 *
 * - it starts with one "/" and has no empty segment (`//evil` is another host; `/a//b` is refused too);
 * - every character is an RFC 3986 path character other than ";" (no query, fragment, backslash,
 *   whitespace, control or non-ASCII characters, no path parameters);
 * - no segment is "." or "..", and percent-decoding a segment (once, twice, as some frameworks do)
 *   gives neither those nor "/", "\", ";" or control characters, and always decodes.
 *
 * @example checkAuthPath("/admin/auth") // "/admin/auth"
 */
export function checkAuthPath(value: string): string {
  const unsafe = (why: string): ProtocolError =>
    new ProtocolError(
      "AUTH_PATH_UNSAFE",
      `auth-path must be a path on the app's own site: ${why} (got ${JSON.stringify(value.slice(0, 100))})`,
    );
  if (value.length === 0 || value.length > MAX_AUTH_PATH_LENGTH) {
    throw unsafe(`it must be 1 to ${MAX_AUTH_PATH_LENGTH} characters`);
  }
  if (!value.startsWith("/")) throw unsafe('it does not start with "/"');
  const segments = value.slice(1).split("/");
  segments.forEach((segment, index) => {
    // Only the last segment may be empty: "/" itself, or a trailing slash.
    if (segment === "" && index < segments.length - 1) throw unsafe('it has an empty segment ("//")');
    if (!segmentCharacters.test(segment)) {
      throw unsafe(
        "it has a character that is not a plain path character (query, fragment, backslash, ';', whitespace, control or non-ASCII)",
      );
    }
    let form = segment;
    for (let round = 0; ; round++) {
      if (form === "." || form === "..") throw unsafe('it has a "." or ".." segment');
      if (round > 0 && decodedForbidden.test(form)) {
        throw unsafe('it has a percent-encoded "/", "\\", ";" or control character');
      }
      // Decoded three times over, what is left is a name, whatever it says.
      if (round === 3) break;
      let decoded: string;
      try {
        decoded = decodeURIComponent(form);
      } catch {
        throw unsafe("it has an invalid percent-encoding");
      }
      if (decoded === form) break;
      form = decoded;
    }
  });
  return value;
}
