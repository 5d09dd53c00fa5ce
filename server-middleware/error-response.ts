import type { ErrorRequestHandler, Response } from "express";
import { labelError } from "./aws-errors.js";
import { IamAuthError } from "./errors.js";
import type { EventLogger } from "./log.js";

/** Answers with a status and one line of plain text; nothing is cached. */
export function sendErrorLine(res: Response, status: number, message: string): void {
  res.status(status);
  res.set({ "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff" });
  res.type("text/plain").send(`${message}\n`);
}

/** Answers an IamAuthError with its status and message. */
export function sendIamAuthError(res: Response, error: IamAuthError): void {
  if (error.code === "METHOD_NOT_ALLOWED") res.set("Allow", "GET, HEAD");
  sendErrorLine(res, error.status, error.message);
}

/**
 * The router's last handler: errors raised inside the middleware (Express 5 forwards rejected
 * promises here too) become a response instead of a crash. An IamAuthError gets its status
 * and message; anything else is a bug, answered 500 "internal error" with no details.
 */
export function createErrorHandler(log: EventLogger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    if (error instanceof IamAuthError) {
      log("request", { outcome: "refused", code: error.code, status: error.status, reason: error.message });
      sendIamAuthError(res, error);
      return;
    }
    log("request", { outcome: "error", status: 500, path: req.path, cause: labelError(error) });
    sendErrorLine(res, 500, "internal error");
  };
}
