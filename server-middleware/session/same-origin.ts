import type { Request } from "express";

/**
 * Why a state-changing request (sign-out) looks like another site's, or undefined when nothing
 * says so. In order:
 * - `Sec-Fetch-Site: cross-site` (browsers that send it say so themselves);
 * - an `Origin` that is not this app's own origin (`null`, from sandboxed frames and some
 *   redirects, is not this app's either). Browsers send Origin on every cross-origin POST,
 *   also to plain-http apps, where they send no Sec-Fetch-Site;
 * - without Origin, a `Referer` whose origin is not this app's.
 * A request with neither (curl, scripts, old browsers on same-origin forms) is let through: a
 * browser never drops both on a cross-site form post.
 *
 * The app's origin is `req.protocol://req.host`, so an app behind a TLS-terminating proxy must
 * set `trust proxy` (as it must for Secure cookies).
 *
 * @example describeCrossSite(req) // 'Origin "http://evil.example" is not this app\'s'
 */
export function describeCrossSite(req: Request): string | undefined {
  if (req.headers["sec-fetch-site"] === "cross-site") return "Sec-Fetch-Site is cross-site";
  const own = `${req.protocol}://${req.host}`.toLowerCase();
  const origin = req.headers.origin;
  if (origin !== undefined) {
    return origin.toLowerCase() === own ? undefined : `Origin ${quote(origin)} is not this app's`;
  }
  const referer = req.headers.referer;
  if (referer === undefined) return undefined;
  let refererOrigin: string;
  try {
    refererOrigin = new URL(referer).origin.toLowerCase();
  } catch {
    return "Referer is not a URL";
  }
  return refererOrigin === own ? undefined : `Referer ${quote(refererOrigin)} is not this app's`;
}

/** A header value for a log line: short, and JSON-quoted so it cannot forge fields. */
function quote(value: string): string {
  return JSON.stringify(value.slice(0, 100));
}
