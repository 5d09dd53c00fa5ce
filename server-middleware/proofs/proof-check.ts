import type { Response } from "express";
import { isStsProofToken, ProtocolError } from "../../protocol/index.js";
import { checkIdentityAllowed, type AccessRules } from "../session/authorization.js";
import { IamAuthError, type IamAuthErrorCode } from "../errors.js";
import type { IamIdentity } from "../identity.js";
import type { AuthMethod } from "../options/options.js";

/**
 * How a proof reached the app, and so what it must be bound to:
 * - `redirect`: handed over at `authPath` by a browser's navigation. Another site's page can send
 *   a browser there, so an STS proof counts only with the nonce cookie of the challenge it answers
 *   (nonce-cookie.ts); `secure` and `authPath` are where the sign-in clears that cookie.
 * - `header`: in a request header (`Authorization: IAM …`). A page on another site cannot set
 *   that header without the app's CORS consent, and nothing is stored in the browser, so no
 *   nonce cookie is asked for.
 */
export type ProofDelivery =
  | {
      readonly via: "redirect";
      /** The request's Cookie header (the STS method's nonce cookie is in it). */
      readonly cookieHeader: string | undefined;
      /** Whether the request came over https (`req.secure`), for the cookies a sign-in clears. */
      readonly secure: boolean;
      /** The path this request came to, mount path included: the Path of the cookies a sign-in clears. */
      readonly authPath: string;
    }
  | { readonly via: "header" };

/** What a verified token proves, and what the response must do besides letting the caller in. */
export interface VerifiedProof {
  readonly identity: IamIdentity;
  /** Called on the response of a successful sign-in (the STS method clears its nonce cookie). */
  readonly onSignedIn?: (res: Response) => void;
}

/** Verifies one method's token and says who it proves the caller is; throws IamAuthError. */
export type TokenVerifier = (token: string, now: Date, delivery: ProofDelivery) => Promise<VerifiedProof>;

/** Verifies a token of any accepted method and checks the identity may use the app; throws IamAuthError. */
export type ProofCheck = (token: string, now: Date, delivery: ProofDelivery) => Promise<VerifiedProof>;

/**
 * The method a token is for: `sts1.` starts an STS proof; anything else is read as a KMS token,
 * whose base64 never contains ".".
 */
export function proofMethodOf(token: string): AuthMethod {
  return isStsProofToken(token) ? "sts" : "kms";
}

/**
 * The one check of a proof, wherever it arrives (at `authPath`, in a header): the token's method
 * must be accepted, its verifier must prove an identity, and the identity must be allowed
 * (allowedAccounts / allowedPrincipals).
 */
export function createProofCheck(
  verifiers: Readonly<Partial<Record<AuthMethod, TokenVerifier>>>,
  access: AccessRules,
): ProofCheck {
  const accepted = Object.keys(verifiers).join(" ");
  return async (token, now, delivery) => {
    const method = proofMethodOf(token);
    const verify = verifiers[method];
    if (verify === undefined) {
      throw new IamAuthError(
        "AUTH_METHOD_NOT_ACCEPTED",
        `This app does not accept the ${method.toUpperCase()} method; it accepts: ${accepted}`,
      );
    }
    const proof = await verify(token, now, delivery);
    checkIdentityAllowed(proof.identity, access);
    return proof;
  };
}

const protocolCodes: Readonly<Partial<Record<ProtocolError["code"], IamAuthErrorCode>>> = {
  TOKEN_MISSING: "TOKEN_MISSING",
  TOKEN_REPEATED: "BAD_REQUEST",
  RETURN_URL_REPEATED: "BAD_REQUEST",
  PROOF_HEADER_REPEATED: "BAD_REQUEST",
  PROOF_HEADER_MALFORMED: "BAD_REQUEST",
  TOKEN_TOO_LARGE: "TOKEN_INVALID",
  TOKEN_NOT_BASE64: "TOKEN_INVALID",
  RETURN_URL_UNSAFE: "RETURN_URL_UNSAFE",
  CREDENTIALS_INVALID: "CREDENTIALS_INVALID",
};

/**
 * Runs `read` (a parser of the request's proof: query or header) and turns the protocol's errors
 * about the request into the IamAuthError the client gets; anything else is rethrown.
 */
export function readProofPart<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    const code = error instanceof ProtocolError ? protocolCodes[error.code] : undefined;
    if (code === undefined) throw error;
    throw new IamAuthError(code, (error as ProtocolError).message, { cause: error });
  }
}
