import type { NextFunction, Request, Response } from "express";
import { isIamProofValue, readProofHeader } from "../../protocol/index.js";
import { auditSignInError, type AuditRecorder } from "../operations/audit.js";
import { sendErrorLine, sendIamAuthError } from "../pages/error-response.js";
import { markProofAccepted } from "./failure-limit.js";
import type { AuthMethod, ResolvedHeaderProof } from "../options/options.js";
import { proofMethodOf, readProofPart, type ProofCheck } from "./proof-check.js";
import { startSession } from "../session/session.js";

/** What a header proof depends on. */
export interface HeaderProofContext {
  /** The header and whether a proof there starts a session too (not `false`: off is the caller's decision). */
  readonly settings: Exclude<ResolvedHeaderProof, false>;
  /** Verifies the token and checks the identity may use the app (createProofCheck, as at authPath). */
  readonly checkProof: ProofCheck;
  readonly clock: () => Date;
  readonly audit: AuditRecorder;
}

/** A handler that serves the request as the proven identity (next) or answers the refusal itself. */
export type HeaderProofHandler = (req: Request, res: Response, next: NextFunction) => void;

/**
 * Whether the request carries a proof in `header` (a value in the IAM scheme). Cheap: every
 * request is asked. `Authorization: Bearer …` is someone else's and is left alone.
 */
export function hasHeaderProof(req: Request, header: string): boolean {
  // headersDistinct is built on first use; most requests have no such header and skip it.
  if (req.headers[header] === undefined) return false;
  return req.headersDistinct[header]?.some(isIamProofValue) ?? false;
}

/**
 * `Authorization: IAM <token>` on any request: the token is read (one value, no spaces, at most
 * MAX_TOKEN_LENGTH), verified with the very check the auth path uses (one-time, nonce from this
 * app, bound to this app's server-id) except for the nonce cookie (see ProofDelivery), and on
 * success the request goes on as the proven identity (`req.iamIdentity`; `req.iamSession` only
 * belongs to cookie sessions), with the spent proof removed from its headers so the app behind
 * never holds it. With `startSession` the response also starts a cookie session.
 * A refused proof is answered like a refused hand-over at the auth path (its 4xx/5xx and one-line
 * reason) and never falls back to a cookie session the request may also carry: the client asked
 * to be this identity and was refused. Every outcome is one audit event with `via: "header"`.
 */
export function createHeaderProofHandler(context: HeaderProofContext): HeaderProofHandler {
  const { header, startSession: startsSession } = context.settings;
  const headerName = header === "authorization" ? "Authorization" : header;
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    let method: AuthMethod | undefined;
    const prove = async (): Promise<void> => {
      const token = readProofPart(() => readProofHeader(req.headersDistinct[header], headerName));
      if (token === undefined) return;
      method = proofMethodOf(token);
      const now = context.clock();
      const { identity } = await context.checkProof(token, now, { via: "header" });
      delete req.headers[header];
      markProofAccepted(req);
      req.iamIdentity = identity;
      req.iamSession = undefined;
      if (startsSession) startSession(req, identity, now, req.baseUrl);
      context.audit(
        req,
        { action: "sign-in", outcome: "success", method, via: "header", identity: identity.arn },
        started,
      );
    };
    prove().then(
      () => next(),
      (error: unknown) => {
        const refusal = auditSignInError(context.audit, req, error, { method, via: "header" }, started);
        if (refusal === undefined) sendErrorLine(res, 500, "internal error");
        else sendIamAuthError(req, res, refusal);
      },
    );
  };
}
