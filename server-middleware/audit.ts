import type { Request } from "express";
import type { IamAuthErrorCode } from "./errors.js";
import type { EventLogger } from "./log.js";
import { NO_REASON, UNKNOWN_METHOD, type IamAuthMetrics } from "./metrics.js";
import type { AuthMethod } from "./options.js";
import { requestIdOf } from "./request-id.js";

/** The `event` of every audit record: operators route on it. */
export const AUDIT_EVENT = "audit";

/** What was attempted: one audit event per sign-in attempt and per sign-out. */
export type AuditAction = "sign-in" | "sign-out";
/** success; refused: the client's fault (4xx); failed: AWS, the store or a bug (5xx). */
export type AuditOutcome = "success" | "refused" | "failed";
/** An error code, or INTERNAL_ERROR for a bug (answered 500 without details). */
export type AuditReason = IamAuthErrorCode | "INTERNAL_ERROR";

/** One audit event, as the caller describes it; the request adds remote, request id and time. */
export interface AuditRecord {
  readonly action: AuditAction;
  readonly outcome: AuditOutcome;
  /** The HTTP status answered. */
  readonly status: number;
  /** Undefined on success. */
  readonly reason?: AuditReason;
  /** The method of the token, once it was read. */
  readonly method?: AuthMethod;
  /** The ARN signed in or out (on success only: a refused proof proves no identity). */
  readonly identity?: string;
  /** The one-line reason the client was given; our own words, never the token. */
  readonly message?: string;
  /** The kind of an AWS, store or internal error (its name and code), never its text. */
  readonly cause?: string;
  /**
   * Sign-out: whether the shared revocation store took the session's id (false: the store
   * failed, so other instances accept copies of the cookie until it expires).
   */
  readonly revoked?: boolean;
}

/** Writes one audit event and counts it in the metrics. */
export type AuditRecorder = (req: Request, record: AuditRecord, startedAt?: bigint) => void;

/**
 * The one place a sign-in, refusal or sign-out is recorded: exactly one `audit` log event
 * (`action`, `outcome`, `reason`, `status`, `method`, `identity`, `remote`, `requestId`,
 * `durationMs`, `message`/`cause` on refusals, `revoked` on sign-outs) and the matching metrics, so the log and
 * /metrics can never disagree. Never give it a token, cookie, key or credential.
 *
 * @example audit(req, { action: "sign-in", outcome: "success", status: 302, method: "sts", identity: arn }, started)
 */
export function createAuditRecorder(log: EventLogger, metrics: IamAuthMetrics): AuditRecorder {
  return (req, record, startedAt) => {
    const seconds = startedAt === undefined ? undefined : Number(process.hrtime.bigint() - startedAt) / 1e9;
    const reason = record.reason ?? NO_REASON;
    if (record.action === "sign-in") {
      const method = record.method ?? UNKNOWN_METHOD;
      metrics.signIns.inc({ method, outcome: record.outcome, reason });
      if (seconds !== undefined) metrics.signInDuration.observe({ method, outcome: record.outcome }, seconds);
    } else {
      metrics.signOuts.inc({ outcome: record.outcome, reason });
    }
    log(AUDIT_EVENT, {
      action: record.action,
      outcome: record.outcome,
      reason: record.reason,
      status: record.status,
      method: record.method,
      identity: record.identity,
      remote: req.ip,
      requestId: requestIdOf(req),
      durationMs: seconds === undefined ? undefined : Math.round(seconds * 1e4) / 10,
      message: record.message,
      cause: record.cause,
      revoked: record.revoked,
    });
  };
}
