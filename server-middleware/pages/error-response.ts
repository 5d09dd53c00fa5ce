import type { ErrorRequestHandler, Request, Response } from "express";
import { labelError } from "../proofs/aws-errors.js";
import { renderErrorPage } from "./error-page.js";
import { IamAuthError } from "../errors.js";
import { PAGE_CONTENT_SECURITY_POLICY, prefersHtml } from "./html-page.js";
import { homePathOf } from "../mount-path.js";
import type { EventLogger } from "../operations/log.js";

/** Answers with a status and one line of plain text; nothing is cached. */
export function sendErrorLine(res: Response, status: number, message: string): void {
  res.status(status);
  res.set({ "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff" });
  res.type("text/plain").send(`${message}\n`);
}

/**
 * Answers an IamAuthError with its status: a page naming the reason for browsers (clients that
 * rank HTML above plain text), the one-line message for everyone else (the proxy, curl, scripts).
 */
export function sendIamAuthError(req: Request, res: Response, error: IamAuthError): void {
  if (error.code === "METHOD_NOT_ALLOWED") res.set("Allow", "GET, HEAD");
  res.vary("Accept");
  if (!prefersHtml(req)) {
    sendErrorLine(res, error.status, error.message);
    return;
  }
  res.status(error.status);
  res.set({
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": PAGE_CONTENT_SECURITY_POLICY,
  });
  res.type("html").send(renderErrorPage(error, homePathOf(req.baseUrl)));
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
      sendIamAuthError(req, res, error);
      return;
    }
    log("request", { outcome: "error", status: 500, path: req.path, cause: labelError(error) });
    sendErrorLine(res, 500, "internal error");
  };
}
