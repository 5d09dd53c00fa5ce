import type { Request } from "express";
import { labelError } from "../proofs/aws-errors.js";
import { IamAuthError, type IamAuthErrorCode } from "../errors.js";
import type { EventLogger } from "./log.js";
import { NO_REASON, UNKNOWN_METHOD, type IamAuthMetrics } from "./metrics.js";
import type { AuthMethod } from "../options/options.js";
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
  /** The HTTP status answered; absent for an accepted header proof, whose answer is the app's. */
  readonly status?: number;
  /** Undefined on success. */
  readonly reason?: AuditReason;
  /** The method of the token, once it was read. */
  readonly method?: AuthMethod;
  /** Sign-in: how the proof came (`redirect`: at authPath; `header`: in a request header). */
  readonly via?: "redirect" | "header";
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
 * (`action`, `outcome`, `reason`, `status`, `method`, `via`, `identity`, `remote`, `requestId`,
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
      via: record.via,
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

/**
 * Records a sign-in that threw `error` and says how to answer: the IamAuthError (a 4xx is
 * `refused`, a 5xx `failed`), or undefined for anything else — a bug, recorded as INTERNAL_ERROR
 * with only the error's kind, to be answered 500 without details.
 */
export function auditSignInError(
  audit: AuditRecorder,
  req: Request,
  error: unknown,
  attempt: { readonly method: AuthMethod | undefined; readonly via: "redirect" | "header" },
  startedAt: bigint,
): IamAuthError | undefined {
  if (error instanceof IamAuthError) {
    audit(
      req,
      {
        action: "sign-in",
        outcome: error.status >= 500 ? "failed" : "refused",
        status: error.status,
        reason: error.code,
        ...attempt,
        message: error.message,
        cause: error.cause === undefined ? undefined : labelError(error.cause),
      },
      startedAt,
    );
    return error;
  }
  audit(
    req,
    {
      action: "sign-in",
      outcome: "failed",
      status: 500,
      reason: "INTERNAL_ERROR",
      ...attempt,
      cause: labelError(error),
    },
    startedAt,
  );
  return undefined;
}
