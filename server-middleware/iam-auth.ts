import { KMSClient } from "@aws-sdk/client-kms";
import { STSClient } from "@aws-sdk/client-sts";
import express, { type Router } from "express";
import { createAuthRoute } from "./auth-route.js";
import { createChallengeHeaders, sendChallenge } from "./challenge-response.js";
import { createErrorHandler } from "./error-response.js";
import { createEventLogger } from "./log.js";
import { resolveOptions, type IamAuthOptions, type StsClientFactory } from "./options.js";
import { isPublicPath } from "./public-paths.js";
import { createCookieSession, createIdentityLoader } from "./session.js";

/**
 * Express middleware that signs people in with their AWS IAM identity (the iam-auth-proxy
 * protocol, KMS method). Mount it first, at the root: it serves `authPath` itself, sets
 * `req.iamIdentity` for signed-in requests, lets `publicPaths` through, and answers every
 * other unauthenticated request with the 401 challenge. Options are validated here, once:
 * a TypeError lists every problem.
 *
 * @example
 * app.use(iamAuth({
 *   accountId: "111122223333",
 *   kms: { keyId: "arn:aws:kms:us-east-1:111122223333:key/…", encryptionContext: { salt: "my-app" } },
 *   sessionSecrets: [process.env.SESSION_SECRET!],
 * }));
 * app.get("/", (req, res) => res.send(`Hello ${req.iamIdentity!.arn}`));
 */
export function iamAuth(options: IamAuthOptions): Router {
  const resolved = resolveOptions(options);
  const region = resolved.region === undefined ? {} : { region: resolved.region };
  const log = createEventLogger(resolved.logger, resolved.clock);
  const kmsClient = resolved.kmsClient ?? new KMSClient(region);
  const createStsClient: StsClientFactory =
    resolved.createStsClient ?? ((credentials) => new STSClient({ ...region, credentials }));
  const challengeHeaders = createChallengeHeaders(resolved.accountId, resolved.kms);
  const authRoute = createAuthRoute({ options: resolved, kmsClient, createStsClient, log });

  const router = express.Router();
  router.use(createCookieSession(resolved));
  router.use(createIdentityLoader(resolved, log));
  // Compared as a string rather than registered as a route: Express would read ":" or "*" in it as a pattern.
  router.use((req, res, next) => (req.path === resolved.authPath ? authRoute(req, res, next) : next()));
  router.use((req, res, next) => {
    if (req.iamIdentity !== undefined || isPublicPath(req.path, resolved.publicPaths)) {
      next();
      return;
    }
    sendChallenge(req, res, challengeHeaders, resolved.accountId);
  });
  router.use(createErrorHandler(log));
  return router;
}
