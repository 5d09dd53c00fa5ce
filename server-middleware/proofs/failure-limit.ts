import type { RequestHandler } from "express";
import { rateLimit, type RateLimitInfo } from "express-rate-limit";
import type { AuditRecorder } from "../operations/audit.js";
import { sendIamAuthError } from "../pages/error-response.js";
import { IamAuthError } from "../errors.js";

/** Requests whose proof was accepted, though their answer (the app's) may be any status. */
const acceptedProofs = new WeakSet<object>();

/** Marks a request whose header proof was accepted: the limiter gives its count back whatever the app answers. */
export function markProofAccepted(req: object): void {
  acceptedProofs.add(req);
}

/** What createFailedSignInLimiter needs: the limit (validated). */
export interface FailedSignInLimitSettings {
  readonly maxFailures: number;
  readonly windowSeconds: number;
}

/**
 * Limits failed sign-ins per client address at `authPath`, with express-rate-limit: after
 * `maxFailures` failures within `windowSeconds`, the address gets
 * `429 Too many failed sign-ins from this address; try again in N seconds` with `Retry-After`
 * until the window ends. Each failing proof can make this server call STS or KMS, so without
 * a limit anyone could make it call them at will (and, before nonces were spent only on
 * accepted proofs, lock everyone out).
 *
 * Counting: an attempt is counted when it arrives and the count is given back when it signs in
 * (a 302) or when this server, not the client, failed (a 5xx), so what stays counted is exactly
 * the failures. Counting on arrival, not only once the answer is known, is what bounds a burst of
 * junk sent in parallel: otherwise every request of the burst would be checked against a count
 * of zero and each would cost an STS call.
 *
 * A header proof's answer is the app's, whose 404 says nothing about the proof: a request whose
 * header proof was accepted is marked (markProofAccepted) and counts as a success whatever it answers.
 *
 * The address is Express's `req.ip`, so an app behind a load balancer must set `trust proxy`
 * (or every client counts as the balancer). IPv6 addresses are grouped by /56, as
 * express-rate-limit does by default. The counts live in this process's memory.
 *
 * @example router.use(authPath, createFailedSignInLimiter({ maxFailures: 20, windowSeconds: 60 }, log))
 */
export function createFailedSignInLimiter(
  settings: FailedSignInLimitSettings,
  audit: AuditRecorder,
): RequestHandler {
  return rateLimit({
    windowMs: settings.windowSeconds * 1000,
    limit: settings.maxFailures,
    skipSuccessfulRequests: true,
    requestWasSuccessful: (req, res) =>
      acceptedProofs.has(req) || res.statusCode < 400 || res.statusCode >= 500,
    // Only Retry-After on the 429 (set below); no RateLimit headers on every /auth answer.
    standardHeaders: false,
    legacyHeaders: false,
    handler: (req, res) => {
      const info = (req as typeof req & { rateLimit?: RateLimitInfo }).rateLimit;
      const resetTime = info?.resetTime?.getTime() ?? Date.now() + settings.windowSeconds * 1000;
      const seconds = Math.max(1, Math.ceil((resetTime - Date.now()) / 1000));
      const error = new IamAuthError(
        "SIGN_IN_RATE_LIMITED",
        `Too many failed sign-ins from this address; try again in ${seconds} seconds`,
      );
      audit(req, {
        action: "sign-in",
        outcome: "refused",
        status: error.status,
        reason: error.code,
        message: error.message,
      });
      res.set("Retry-After", String(seconds));
      sendIamAuthError(req, res, error);
    },
  });
}
