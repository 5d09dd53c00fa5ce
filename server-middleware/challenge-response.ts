import type { Request, Response } from "express";
import {
  encodeEncryptionContext,
  formatIamChallenge,
  KMS_ENCRYPTION_CONTEXT_HEADER,
  KMS_KEY_ID_HEADER,
  WWW_AUTHENTICATE_HEADER,
  type EncryptionContext,
} from "../protocol/index.js";
import type { NonceIssuer } from "./nonce.js";
import type { AuthMethod } from "./options.js";

/** The header fields of one challenge. */
export type ChallengeHeaders = Readonly<Record<string, string>>;

/** Makes the challenge headers for one 401 (a fresh nonce each time when STS is offered). */
export type ChallengeFactory = (now: Date) => ChallengeHeaders;

/** What the challenge announces. */
export interface ChallengeSettings {
  readonly accountId: string;
  readonly methods: readonly AuthMethod[];
  readonly kms: { readonly keyId: string; readonly encryptionContext: EncryptionContext } | undefined;
  readonly sts: { readonly serverId: string } | undefined;
}

const PROXY_COMMAND = "iam-auth-proxy --bind :8080";

/**
 * Builds the 401's fields:
 * `WWW-Authenticate: IAM realm="<account>", methods="sts kms", server-id="<id>", nonce="<nonce>"`.
 * The realm comes first (the original client finds it with `IAM realm="([^"]+)"`); `methods`
 * lists what this server accepts; server-id and nonce are there only when STS is accepted.
 * When KMS is accepted the Iam-Auth-Kms-Key-Id and Iam-Auth-Kms-Encryption-Context fields
 * (standard base64 of the context's JSON) are there too, so the original proxy still signs in.
 *
 * @example createChallengeFactory({ accountId, methods: ["sts"], kms: undefined, sts: { serverId: "app:3000" } }, nonces)(new Date())
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
  return (now) => {
    const params = new Map([["methods", settings.methods.join(" ")]]);
    if (sts !== undefined && nonces !== undefined) {
      params.set("server-id", sts.serverId);
      params.set("nonce", nonces.issue(now));
    }
    return Object.freeze({
      [WWW_AUTHENTICATE_HEADER]: formatIamChallenge({ realm: settings.accountId, params }),
      ...kmsHeaders,
    });
  };
}

/**
 * Answers 401 with the challenge. The headers are what the proxy reads; the body is for a
 * person who opened the app without the proxy: a short page for browsers (clients that
 * accept HTML before plain text), one line for everything else.
 */
export function sendChallenge(
  req: Request,
  res: Response,
  headers: ChallengeHeaders,
  accountId: string,
): void {
  res.status(401);
  res.set(headers);
  res.set({ "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff" });
  res.vary("Accept");
  if (req.accepts(["html", "text"]) === "html") {
    // Nothing from the request goes into the page; the CSP keeps it that way if someone edits it.
    res.set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
    res.type("html").send(renderChallengePage(accountId));
  } else {
    res
      .type("text/plain")
      .send(
        `This app signs you in with your AWS identity: run \`${PROXY_COMMAND}\` and use it as your HTTP proxy.\n`,
      );
  }
}

function renderChallengePage(accountId: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in with your AWS identity</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}code{background:#eee;padding:.1em .3em;border-radius:3px}</style>
</head>
<body>
<h1>Sign in with your AWS identity</h1>
<p>This app signs you in with your AWS identity (an IAM user or role of account ${accountId}); it has no password form.</p>
<p>Run <code>${PROXY_COMMAND}</code> on your computer and use it as your HTTP proxy (<code>http://127.0.0.1:8080</code>), then reload this page.</p>
</body>
</html>
`;
}
