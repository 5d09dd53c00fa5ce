import type { RequestHandler, Response } from "express";
import type { AuditRecorder } from "../operations/audit.js";
import { sendErrorLine } from "../pages/error-response.js";
import { IamAuthError } from "../errors.js";
import { homePathOf } from "../mount-path.js";
import { describeCrossSite } from "./same-origin.js";
import { endSession } from "./session.js";
import type { RevocationCheck } from "../stores/index.js";

/**
 * POST <signOutPath>: ends the session (the response clears the cookie) and redirects 303 to
 * the mount's "/" ("/admin/" under `app.use("/admin", …)`). Only POST: a GET would let any page sign people out with an <img>. A request another
 * site's page made (`Sec-Fetch-Site: cross-site`, or an `Origin` — without it a `Referer` —
 * of another origin; see describeCrossSite) is refused with 403 SIGN_OUT_CROSS_SITE, so another
 * site's form cannot either, also on a plain-http app where browsers send no Sec-Fetch-Site.
 * Answers the same whether or not anyone was signed in.
 *
 * The session is also revoked (`revocation`) until it would have expired, so a copy of its
 * cookie stops working at every instance sharing the store, not only in this browser. When the
 * store fails, the cookie is still cleared and the session revoked in this process; the log
 * says `revoked=false` (other instances accept copies of the cookie until it expires).
 */
export function createSignOutRoute(
  audit: AuditRecorder,
  revocation: RevocationCheck,
  clock: () => Date,
): RequestHandler {
  return (req, res, next) => {
    if (req.method !== "POST") {
      sendMethodNotAllowed(res, req.method, "POST");
      return;
    }
    const crossSite = describeCrossSite(req);
    if (crossSite !== undefined) {
      const error = new IamAuthError("SIGN_OUT_CROSS_SITE", "Sign-out must come from this site");
      audit(req, {
        action: "sign-out",
        outcome: "refused",
        status: error.status,
        reason: error.code,
        message: crossSite,
      });
      sendErrorLine(res, error.status, error.message);
      return;
    }
    const session = req.iamSession;
    const revoking =
      session === undefined
        ? Promise.resolve(undefined)
        : revocation.revoke(session.sessionId, session.expiresAt, clock());
    revoking
      .then((revoked) => {
        audit(req, {
          action: "sign-out",
          outcome: "success",
          status: 303,
          identity: req.iamIdentity?.arn,
          ...(revoked === undefined ? {} : { revoked }),
        });
        endSession(req);
        req.iamIdentity = undefined;
        req.iamSession = undefined;
        res.set("Cache-Control", "no-store");
        res.redirect(303, homePathOf(req.baseUrl));
      })
      .catch(next);
  };
}

/**
 * GET <whoamiPath>: the signed-in caller as JSON,
 * `{"arn","account","userId","issuedAt","expiresAt"}` (times in ISO 8601), never cached. A request
 * proven by a header proof has no session: `{"arn","account","userId"}`. Without either it
 * answers like any protected path: with `challenge`.
 */
export function createWhoamiRoute(challenge: RequestHandler): RequestHandler {
  return (req, res, next) => {
    const identity = req.iamIdentity;
    const session = req.iamSession;
    if (identity === undefined) {
      challenge(req, res, next);
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      sendMethodNotAllowed(res, req.method, "GET, HEAD");
      return;
    }
    res.set({ "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff" });
    res.json({
      arn: identity.arn,
      account: identity.account,
      userId: identity.userId,
      ...(session === undefined
        ? {}
        : { issuedAt: session.issuedAt.toISOString(), expiresAt: session.expiresAt.toISOString() }),
    });
  };
}

function sendMethodNotAllowed(res: Response, method: string, allow: string): void {
  res.set("Allow", allow);
  sendErrorLine(res, 405, `${method} is not allowed here; use ${allow.split(",")[0] ?? allow}`);
}
