import type { Request, Response } from "express";
import {
  AUTH_PATH,
  encodeEncryptionContext,
  formatIamChallenge,
  KMS_ENCRYPTION_CONTEXT_HEADER,
  KMS_KEY_ID_HEADER,
  WWW_AUTHENTICATE_HEADER,
  type EncryptionContext,
} from "../../protocol/index.js";
import { challengeTextLine, renderChallengePage, type ChallengePageSettings } from "./challenge-page.js";
import { PAGE_CONTENT_SECURITY_POLICY, prefersHtml } from "./html-page.js";
import type { NonceIssuer } from "../proofs/nonce.js";
import type { AuthMethod } from "../options/options.js";

/** The header fields of one challenge. */
export type ChallengeHeaders = Readonly<Record<string, string>>;

/** One 401's challenge: its header fields and, when STS is offered, its fresh nonce. */
export interface Challenge {
  readonly headers: ChallengeHeaders;
  readonly nonce: string | undefined;
}

/**
 * Makes the challenge for one 401 (a fresh nonce each time when STS is offered). `authPath`: where
 * this request's proof goes, the mount path included (`/admin/auth` under `app.use("/admin", …)`).
 */
export type ChallengeFactory = (now: Date, authPath: string) => Challenge;

/** What the challenge announces. */
export interface ChallengeSettings {
  readonly accountId: string;
  readonly methods: readonly AuthMethod[];
  readonly kms:
    | {
        readonly keyId: string;
        readonly encryptionContext: EncryptionContext;
        /** The server-id KMS tokens are bound to (advertised even when STS is not accepted). */
        readonly serverId: string | undefined;
      }
    | undefined;
  readonly sts: { readonly serverId: string } | undefined;
}

/**
 * Builds the 401's fields:
 * `WWW-Authenticate: IAM realm="<account>", methods="sts kms", server-id="<id>", nonce="<nonce>"`.
 * The realm comes first (the original client finds it with `IAM realm="([^"]+)"`); `methods`
 * lists what this server accepts; the nonce is there only when STS is accepted, the server-id when
 * STS is accepted or KMS tokens are bound to it (a client binds a KMS token to the server-id it sees),
 * and `auth-path` only when the proof goes elsewhere than `/auth` (a mount path, another `authPath`):
 * the default challenge stays exactly the original's.
 * When KMS is accepted the Iam-Auth-Kms-Key-Id and Iam-Auth-Kms-Encryption-Context fields
 * (standard base64 of the context's JSON) are there too, so the original proxy still signs in.
 *
 * @example createChallengeFactory({ accountId, methods: ["sts"], kms: undefined, sts: { serverId: "app:3000" } }, nonces)(new Date(), "/auth").headers
 */
export function createChallengeFactory(
  settings: ChallengeSettings,
  nonces: NonceIssuer | undefined,
): ChallengeFactory {
  const kmsHeaders: Record<string, string> =
    settings.kms === undefined
      ? {}
      : {
          [KMS_KEY_ID_HEADER]: settings.kms.keyId,
          [KMS_ENCRYPTION_CONTEXT_HEADER]: encodeEncryptionContext(settings.kms.encryptionContext),
        };
  const { sts } = settings;
  if (sts !== undefined && nonces === undefined) throw new TypeError("the STS method needs a NonceIssuer");
  return (now, authPath) => {
    const params = new Map([["methods", settings.methods.join(" ")]]);
    const nonce = sts !== undefined && nonces !== undefined ? nonces.issue(now) : undefined;
    if (sts !== undefined && nonce !== undefined) {
      params.set("server-id", sts.serverId);
      params.set("nonce", nonce);
    } else if (settings.kms?.serverId !== undefined) {
      params.set("server-id", settings.kms.serverId);
    }
    const headers = Object.freeze({
      [WWW_AUTHENTICATE_HEADER]: formatIamChallenge({
        realm: settings.accountId,
        params,
        authPath: authPath === AUTH_PATH ? undefined : authPath,
      }),
      ...kmsHeaders,
    });
    return Object.freeze({ headers, nonce });
  };
}

/**
 * Answers 401 with the challenge. The headers are what the proxy reads; the body is for a
 * person who opened the app without the proxy: a short page for browsers (clients that rank
 * HTML above plain text), one line for everything else (curl, scripts, API clients).
 */
export function sendChallenge(
  req: Request,
  res: Response,
  headers: ChallengeHeaders,
  page: ChallengePageSettings,
): void {
  res.status(401);
  res.set(headers);
  res.set({ "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff" });
  res.vary("Accept");
  if (prefersHtml(req)) {
    // Nothing from the request goes into the page; the CSP keeps it that way if someone edits it.
    res.set("Content-Security-Policy", PAGE_CONTENT_SECURITY_POLICY);
    res.type("html").send(renderChallengePage(page));
  } else {
    res.type("text/plain").send(challengeTextLine(page.proxyAddress));
  }
}
