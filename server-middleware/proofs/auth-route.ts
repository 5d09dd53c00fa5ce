import type { Request, RequestHandler } from "express";
import { readAuthQuery, type AuthQuery } from "../../protocol/index.js";
import { auditSignInError, type AuditRecorder } from "../operations/audit.js";
import { sendErrorLine, sendIamAuthError } from "../pages/error-response.js";
import { IamAuthError } from "../errors.js";
import type { AuthMethod } from "../options/options.js";
import { homePathOf, isUnderMount } from "../mount-path.js";
import { proofMethodOf, readProofPart, type ProofCheck } from "./proof-check.js";
import { startSession } from "../session/session.js";

/** What GET /auth depends on. */
export interface AuthRouteContext {
  /** Verifies the token and checks the identity may use the app (createProofCheck). */
  readonly checkProof: ProofCheck;
  readonly clock: () => Date;
  /** Records the outcome: one audit event and the sign-in metrics. */
  readonly audit: AuditRecorder;
}

/**
 * GET /auth?token=…&return_url=…: reads both parameters (return_url must be a path on this
 * site and, under a mount, under the mount path — "/" or none means the mount's own "/" —
 * checked before anything else), picks the method from the token (`sts1.` prefix: STS;
 * otherwise KMS, whose base64 never contains "."), verifies it, checks the identity against
 * allowedAccounts / allowedPrincipals, starts a session and redirects (302) to return_url.
 * Every outcome is one audit event and one response: 302, a 4xx with a one-line reason (never a
 * session), or a 5xx when AWS or the replay store fails. It never rejects.
 */
export function createAuthRoute(context: AuthRouteContext): RequestHandler {
  const { audit } = context;
  return async (req, res) => {
    const started = process.hrtime.bigint();
    let method: AuthMethod | undefined;
    try {
      if (req.method !== "GET" && req.method !== "HEAD") {
        throw new IamAuthError("METHOD_NOT_ALLOWED", `${req.method} is not allowed here; use GET`);
      }
      const mountPath = req.baseUrl;
      const query = readQuery(req);
      const returnUrl = returnUrlUnder(query.returnUrl, mountPath);
      method = proofMethodOf(query.token);
      const now = context.clock();
      const proof = await context.checkProof(query.token, now, {
        via: "redirect",
        cookieHeader: req.headers.cookie,
        secure: req.secure,
        authPath: mountPath + req.path,
      });
      const { identity } = proof;
      startSession(req, identity, now, mountPath);
      proof.onSignedIn?.(res);
      // Recorded before the answer goes out, so whoever has the answer finds the event logged.
      audit(
        req,
        {
          action: "sign-in",
          outcome: "success",
          status: 302,
          method,
          via: "redirect",
          identity: identity.arn,
        },
        started,
      );
      res.set("Cache-Control", "no-store");
      res.redirect(302, returnUrl);
    } catch (error) {
      const refusal = auditSignInError(audit, req, error, { method, via: "redirect" }, started);
      if (refusal === undefined) sendErrorLine(res, 500, "internal error");
      else sendIamAuthError(req, res, refusal);
    }
  };
}

/**
 * Where a sign-in under `mountPath` may go back to: "/" (the default) means the mount's own start;
 * anything else must lie under the mount, where the session is sent and accepted.
 */
function returnUrlUnder(returnUrl: string, mountPath: string): string {
  if (mountPath === "") return returnUrl;
  if (returnUrl === "/") return homePathOf(mountPath);
  if (isUnderMount(returnUrl, mountPath)) return returnUrl;
  throw new IamAuthError(
    "RETURN_URL_UNSAFE",
    `return_url must be a path under ${mountPath}, where this sign-in applies`,
  );
}

/**
 * Reads token and return_url from the raw query string, whatever query parser the app set:
 * each must be there once, and as a plain value (`token[]=…` is an array to some parsers).
 */
function readQuery(req: Request): AuthQuery {
  const url = req.originalUrl;
  const search = url.includes("?") ? url.slice(url.indexOf("?") + 1) : "";
  for (const key of new URLSearchParams(search).keys()) {
    const name = /^(token|return_url)\[/.exec(key)?.[1];
    if (name !== undefined)
      throw new IamAuthError("BAD_REQUEST", `The ${name} query parameter must be a single value`);
  }
  return readProofPart(() => readAuthQuery(search));
}
