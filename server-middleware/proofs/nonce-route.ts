import type { RequestHandler } from "express";
import type { NonceAnswer } from "../../protocol/index.js";
import { sendErrorLine, sendIamAuthError } from "../pages/error-response.js";
import { IamAuthError } from "../errors.js";
import type { NonceIssuer } from "./nonce.js";
import type { AuthMethod } from "../options/options.js";

/** What `GET <authPath>/nonce` announces. */
export interface NonceRouteSettings {
  readonly accountId: string;
  readonly methods: readonly AuthMethod[];
  /** The STS method's server-id and nonce lifetime; undefined when the app does not accept STS. */
  readonly sts: { readonly serverId: string; readonly proofMaxAgeSeconds: number } | undefined;
  readonly clock: () => Date;
}

/**
 * `GET <authPath>/nonce`: a fresh STS nonce for a client that proves itself in a header and so
 * never sees a challenge it did not ask for (a script, a service), as JSON (NonceAnswer), never
 * cached. Nonces are stateless (nonce.ts), so handing them out costs nothing to store. No nonce
 * cookie is set: a header proof needs none, and a proof made with this nonce is refused at the
 * auth path for want of one. 403 AUTH_METHOD_NOT_ACCEPTED when the app does not accept STS (the
 * KMS method needs no nonce); 405 for anything but GET and HEAD.
 */
export function createNonceRoute(
  settings: NonceRouteSettings,
  nonces: NonceIssuer | undefined,
): RequestHandler {
  return (req, res) => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.set("Allow", "GET, HEAD");
      sendErrorLine(res, 405, `${req.method} is not allowed here; use GET`);
      return;
    }
    if (settings.sts === undefined || nonces === undefined) {
      const error = new IamAuthError(
        "AUTH_METHOD_NOT_ACCEPTED",
        `This app does not accept the STS method, the one that needs a nonce; it accepts: ${settings.methods.join(" ")}`,
      );
      sendIamAuthError(req, res, error);
      return;
    }
    const now = settings.clock();
    const nonce = nonces.issue(now);
    const answer: NonceAnswer = {
      realm: settings.accountId,
      methods: settings.methods,
      serverId: settings.sts.serverId,
      nonce,
      expiresAt: new Date(now.getTime() + settings.sts.proofMaxAgeSeconds * 1000).toISOString(),
    };
    res.set({ "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff" });
    res.json(answer);
  };
}
