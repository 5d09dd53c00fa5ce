import type { Request, RequestHandler, Response } from "express";
import { isStsProofToken, ProtocolError, readAuthQuery, type AuthQuery } from "../protocol/index.js";
import type { AuditRecorder } from "./audit.js";
import { checkIdentityAllowed, type AccessRules } from "./authorization.js";
import { labelError } from "./aws-errors.js";
import { sendErrorLine, sendIamAuthError } from "./error-response.js";
import { IamAuthError, type IamAuthErrorCode } from "./errors.js";
import type { IamIdentity } from "./identity.js";
import type { AuthMethod } from "./options.js";
import { homePathOf, isUnderMount } from "./mount-path.js";
import { startSession } from "./session.js";

/** What a verifier may read of the /auth request besides the token. */
export interface ProofRequest {
  /** The request's Cookie header (the STS method's nonce cookie is in it). */
  readonly cookieHeader: string | undefined;
  /** Whether the request came over https (`req.secure`), for the cookies a sign-in clears. */
  readonly secure: boolean;
  /** The path this request came to, mount path included: the Path of the cookies a sign-in clears. */
  readonly authPath: string;
}

/** What a verified token proves, and what the response must do besides starting the session. */
export interface VerifiedProof {
  readonly identity: IamIdentity;
  /** Called on the response of a successful sign-in (the STS method clears its nonce cookie). */
  readonly onSignedIn?: (res: Response) => void;
}

/** Verifies one method's token and says who it proves the caller is; throws IamAuthError. */
export type TokenVerifier = (token: string, now: Date, request: ProofRequest) => Promise<VerifiedProof>;

/** What GET /auth depends on. */
export interface AuthRouteContext {
  /** One verifier per accepted method; a token of another method is refused. */
  readonly verifiers: Readonly<Partial<Record<AuthMethod, TokenVerifier>>>;
  readonly access: AccessRules;
  readonly clock: () => Date;
  /** Records the outcome: one audit event and the sign-in metrics. */
  readonly audit: AuditRecorder;
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
      method = isStsProofToken(query.token) ? "sts" : "kms";
      const verify = context.verifiers[method];
      if (verify === undefined) {
        throw new IamAuthError(
          "AUTH_METHOD_NOT_ACCEPTED",
          `This app does not accept the ${method.toUpperCase()} method; it accepts: ${Object.keys(context.verifiers).join(" ")}`,
        );
      }
      const now = context.clock();
      const proof = await verify(query.token, now, {
        cookieHeader: req.headers.cookie,
        secure: req.secure,
        authPath: mountPath + req.path,
      });
      const { identity } = proof;
      checkIdentityAllowed(identity, context.access);
      startSession(req, identity, now, mountPath);
      proof.onSignedIn?.(res);
      // Recorded before the answer goes out, so whoever has the answer finds the event logged.
      audit(
        req,
        { action: "sign-in", outcome: "success", status: 302, method, identity: identity.arn },
        started,
      );
      res.set("Cache-Control", "no-store");
      res.redirect(302, returnUrl);
    } catch (error) {
      if (error instanceof IamAuthError) {
        audit(
          req,
          {
            action: "sign-in",
            outcome: error.status >= 500 ? "failed" : "refused",
            status: error.status,
            reason: error.code,
            method,
            message: error.message,
            cause: error.cause === undefined ? undefined : labelError(error.cause),
          },
          started,
        );
        sendIamAuthError(req, res, error);
        return;
      }
      // A bug, not a bad request: no details to the client, the error's kind to the log.
      audit(
        req,
        {
          action: "sign-in",
          outcome: "failed",
          status: 500,
          reason: "INTERNAL_ERROR",
          method,
          cause: labelError(error),
        },
        started,
      );
      sendErrorLine(res, 500, "internal error");
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
  try {
    return readAuthQuery(search);
  } catch (error) {
    const code = error instanceof ProtocolError ? protocolCodes[error.code] : undefined;
    if (code === undefined) throw error;
    throw new IamAuthError(code, (error as ProtocolError).message, { cause: error });
  }
}
