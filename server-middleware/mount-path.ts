import { checkAuthPath, ProtocolError } from "../protocol/index.js";

/*
 * Where iamAuth() is mounted, per request: "" at the root, "/admin" under
 * `app.use("/admin", iamAuth(…))`. Express gives it as `req.baseUrl`, the part of the request's own
 * path (as sent, not decoded) that the mount matched, so a mount written as a pattern
 * (`app.use("/:team", …)`) gives each team its own mount path. Everything the middleware tells
 * a client or a browser about places is under it: the challenge's auth-path, the nonce and
 * session cookies' Path, the return_url a sign-in may go back to, where sign-out and
 * "Try again" lead.
 */

/**
 * Why a path cannot be advertised in the challenge (a client accepts only a plain path on the
 * app: checkAuthPath), as "must be … (got …)", or undefined when it can. Used for the `authPath`
 * option at start-up and for each mount path: only a mount written as a pattern can give a bad
 * one, from a request path such as `/a;b/…`.
 *
 * @example describeUnsafePath("/a;b") // 'must be a path on the app\'s own site: it has a character … (got "/a;b")'
 */
export function describeUnsafePath(path: string): string | undefined {
  try {
    checkAuthPath(path);
    return undefined;
  } catch (error) {
    if (error instanceof ProtocolError) return error.message.replace(/^auth-path /, "");
    throw error;
  }
}

/** Where the app's own start page is for this mount: "/" at the root, "/admin/" under "/admin". */
export function homePathOf(mountPath: string): string {
  return `${mountPath}/`;
}

/**
 * Whether `returnUrl` (already checked by checkReturnUrl) lies under the mount: its path is the
 * mount path or starts with it and "/". A session made here is sent (cookie Path) and accepted
 * only there, so a sign-in that led elsewhere would only be asked to sign in again.
 *
 * @example isUnderMount("/admin/reports?q=1", "/admin") // true
 */
export function isUnderMount(returnUrl: string, mountPath: string): boolean {
  if (mountPath === "") return true;
  const pathEnd = returnUrl.search(/[?#]/);
  const path = pathEnd === -1 ? returnUrl : returnUrl.slice(0, pathEnd);
  return path === mountPath || path.startsWith(`${mountPath}/`);
}
