import type { Request, Response } from "express";
import {
  encodeEncryptionContext,
  formatIamChallenge,
  KMS_ENCRYPTION_CONTEXT_HEADER,
  KMS_KEY_ID_HEADER,
  WWW_AUTHENTICATE_HEADER,
  type EncryptionContext,
} from "../protocol/index.js";

/** The three challenge header fields, computed once. */
export type ChallengeHeaders = Readonly<Record<string, string>>;

const PROXY_COMMAND = "iam-auth-proxy --bind :8080";

/**
 * The fields a 401 carries for the KMS method: `WWW-Authenticate: IAM realm="<account>"`
 * (realm first: the original client finds it with `IAM realm="([^"]+)"`), the key to
 * encrypt under and the encryption context (standard base64 of its JSON).
 *
 * @example createChallengeHeaders("111122223333", { keyId: "arn:aws:kms:…", encryptionContext: { salt: "s" } })
 */
export function createChallengeHeaders(
  accountId: string,
  kms: { readonly keyId: string; readonly encryptionContext: EncryptionContext },
): ChallengeHeaders {
  return Object.freeze({
    [WWW_AUTHENTICATE_HEADER]: formatIamChallenge({ realm: accountId, params: new Map() }),
    [KMS_KEY_ID_HEADER]: kms.keyId,
    [KMS_ENCRYPTION_CONTEXT_HEADER]: encodeEncryptionContext(kms.encryptionContext),
  });
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
