import type { KMSClient } from "@aws-sdk/client-kms";
import type { Request, RequestHandler } from "express";
import { ProtocolError, readAuthQuery, type AuthQuery } from "../protocol/index.js";
import { labelError } from "./aws-errors.js";
import { sendErrorLine, sendIamAuthError } from "./error-response.js";
import { IamAuthError, type IamAuthErrorCode } from "./errors.js";
import { verifyKmsToken } from "./kms-proof.js";
import type { EventLogger } from "./log.js";
import type { ResolvedIamAuthOptions, StsClientFactory } from "./options.js";
import { startSession } from "./session.js";

/** What GET /auth depends on. */
export interface AuthRouteContext {
  readonly options: Pick<ResolvedIamAuthOptions, "accountId" | "kms" | "clock">;
  readonly kmsClient: KMSClient;
  readonly createStsClient: StsClientFactory;
  readonly log: EventLogger;
}

const protocolCodes: Readonly<Partial<Record<ProtocolError["code"], IamAuthErrorCode>>> = {
  TOKEN_MISSING: "TOKEN_MISSING",
  TOKEN_REPEATED: "BAD_REQUEST",
  RETURN_URL_REPEATED: "BAD_REQUEST",
  TOKEN_TOO_LARGE: "TOKEN_INVALID",
  TOKEN_NOT_BASE64: "TOKEN_INVALID",
  RETURN_URL_UNSAFE: "RETURN_URL_UNSAFE",
  CREDENTIALS_INVALID: "CREDENTIALS_INVALID",
};

/**
 * GET /auth?token=…&return_url=…: verifies the token, starts a session and redirects
 * (302) to return_url. Every outcome is one log line and one response: 302, a 4xx with a
 * one-line reason (never a session), or a 5xx when AWS fails. It never rejects.
 */
export function createAuthRoute(context: AuthRouteContext): RequestHandler {
  const { options, log } = context;
  return async (req, res) => {
    const remote = req.ip;
    try {
      if (req.method !== "GET" && req.method !== "HEAD") {
        throw new IamAuthError("METHOD_NOT_ALLOWED", `${req.method} is not allowed here; use GET`);
      }
      const query = readQuery(req);
      const now = options.clock();
      const identity = await verifyKmsToken(query.token, {
        accountId: options.accountId,
        keyId: options.kms.keyId,
        encryptionContext: options.kms.encryptionContext,
        kmsClient: context.kmsClient,
        createStsClient: context.createStsClient,
        now,
      });
      startSession(req, identity, now);
      log("auth", { outcome: "signed-in", arn: identity.arn, remote });
      res.set("Cache-Control", "no-store");
      res.redirect(302, query.returnUrl);
    } catch (error) {
      if (error instanceof IamAuthError) {
        log("auth", {
          outcome: error.status >= 500 ? "failed" : "denied",
          code: error.code,
          status: error.status,
          reason: error.message,
          cause: error.cause === undefined ? undefined : labelError(error.cause),
          remote,
        });
        sendIamAuthError(res, error);
        return;
      }
      // A bug, not a bad request: no details to the client, the error's kind to the log.
      log("auth", { outcome: "error", status: 500, cause: labelError(error), remote });
      sendErrorLine(res, 500, "internal error");
    }
  };
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
  try {
    return readAuthQuery(search);
  } catch (error) {
    const code = error instanceof ProtocolError ? protocolCodes[error.code] : undefined;
    if (code === undefined) throw error;
    throw new IamAuthError(code, (error as ProtocolError).message, { cause: error });
  }
}
