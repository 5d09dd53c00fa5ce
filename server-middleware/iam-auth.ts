import { KMSClient } from "@aws-sdk/client-kms";
import { STSClient } from "@aws-sdk/client-sts";
import express, { type Request, type RequestHandler, type Router } from "express";
import { createAuditRecorder } from "./operations/audit.js";
import { createAuthRoute } from "./proofs/auth-route.js";
import { createChallengeFactory, sendChallenge } from "./pages/challenge-response.js";
import { createErrorHandler, sendErrorLine } from "./pages/error-response.js";
import { IamAuthError } from "./errors.js";
import { createFailedSignInLimiter } from "./proofs/failure-limit.js";
import { createHeaderProofHandler, hasHeaderProof } from "./proofs/header-proof.js";
import { verifyKmsToken } from "./proofs/kms-proof.js";
import { createEventLogger } from "./operations/log.js";
import { MemoryReplayStore } from "./stores/memory-replay-store.js";
import { createIamAuthMetrics, type IamAuthMetrics } from "./operations/metrics.js";
import {
  countReplayStoreErrors,
  timeKmsClient,
  timeStsClientFactory,
  timeStsFetch,
} from "./operations/metrics-aws.js";
import { describeUnsafePath } from "./mount-path.js";
import { createNonceIssuer, type NonceIssuer } from "./proofs/nonce.js";
import { createNonceCookies, type NonceCookies } from "./proofs/nonce-cookie.js";
import { createNonceRoute } from "./proofs/nonce-route.js";
import { NONCE_PATH_SUFFIX } from "../protocol/index.js";
import {
  resolveOptions,
  type AuthMethod,
  type IamAuthOptions,
  type ResolvedIamAuthOptions,
  type StsClientFactory,
} from "./options/options.js";
import { createProofCheck, type TokenVerifier } from "./proofs/proof-check.js";
import { isPublicPath } from "./public-paths.js";
import type { ReplayStore } from "./stores/replay-store.js";
import { createSessionLoader } from "./session/session-loader.js";
import { createSignOutRoute, createWhoamiRoute } from "./session/session-routes.js";
import { createRevocationCheck, MemoryRevocationStore } from "./stores/index.js";
import { verifyStsProof } from "./proofs/sts-proof.js";

/**
 * Express middleware that signs people in with their AWS IAM identity (the iam-auth-proxy
 * protocol: the STS method, the KMS method or both). Mount it before the routes it protects, at
 * the root or under a path (`app.use("/admin", iamAuth(…))`): it serves `authPath`, `signOutPath`
 * and `whoamiPath` under its mount path itself, sets `req.iamIdentity` for signed-in requests,
 * lets `publicPaths` (relative to the mount) through, and answers every other unauthenticated
 * request with the 401 challenge, whose `auth-path` names the mounted auth path. A session is
 * scoped to the mount (cookie Path, and checked on the server; see checkStoredSession).
 * Options are validated here, once: a TypeError lists every problem.
 * With only the STS method no AWS SDK client is made and no AWS credentials are needed.
 *
 * @example
 * app.use(iamAuth({
 *   accountId: "111122223333",
 *   sts: { serverId: "reports.example.com" },
 *   allowedPrincipals: ["arn:aws:iam::111122223333:role/Dev*"],
 *   sessionSecrets: [process.env.SESSION_SECRET!],
 * }));
 * app.get("/", (req, res) => res.send(`Hello ${req.iamIdentity!.arn}`));
 */
export function iamAuth(options: IamAuthOptions): Router {
  const resolved = resolveOptions(options);
  const log = createEventLogger(resolved.logger, resolved.clock);
  const metrics = createIamAuthMetrics(resolved.metrics?.registry);
  const audit = createAuditRecorder(log, metrics);
  const replayStore = countReplayStoreErrors(
    resolved.replayStore ?? new MemoryReplayStore({ clock: resolved.clock }),
    metrics,
  );
  const nonces =
    resolved.sts === undefined
      ? undefined
      : createNonceIssuer({
          secrets:
            resolved.sts.nonceSecret === undefined ? resolved.sessionSecrets : [resolved.sts.nonceSecret],
          maxAgeSeconds: resolved.sts.proofMaxAgeSeconds,
        });
  const nonceCookies =
    resolved.sts === undefined
      ? undefined
      : createNonceCookies({
          secrets: resolved.sessionSecrets,
          cookieName: resolved.cookieName,
          maxAgeSeconds: resolved.sts.proofMaxAgeSeconds,
        });
  const createChallenge = createChallengeFactory(resolved, nonces);
  const challenge: RequestHandler = (req, res) => {
    const authPath = req.baseUrl + resolved.authPath;
    const { headers, nonce } = createChallenge(resolved.clock(), authPath);
    if (nonce !== undefined) nonceCookies?.set(res, nonce, req.secure, authPath);
    sendChallenge(req, res, headers, resolved);
  };
  const checkProof = createProofCheck(
    createVerifiers(resolved, replayStore, nonces, nonceCookies, metrics),
    resolved,
  );
  const authRoute = createAuthRoute({ checkProof, clock: resolved.clock, audit });
  const { headerProof } = resolved;
  const byHeader =
    headerProof === false
      ? undefined
      : {
          header: headerProof.header,
          prove: createHeaderProofHandler({
            settings: headerProof,
            checkProof,
            clock: resolved.clock,
            audit,
          }),
        };
  const noncePath = resolved.authPath + NONCE_PATH_SUFFIX;
  const nonceRoute = createNonceRoute({ ...resolved, clock: resolved.clock }, nonces);
  const limitFailures =
    resolved.failedSignInLimit === false
      ? undefined
      : createFailedSignInLimiter(resolved.failedSignInLimit, audit);
  const revocation = createRevocationCheck(
    resolved.sessionRevocation ?? new MemoryRevocationStore({ clock: resolved.clock }),
    log,
  );
  const signOutRoute = createSignOutRoute(audit, revocation, resolved.clock);
  const whoamiRoute = createWhoamiRoute(challenge);

  const router = express.Router();
  // Everything below puts the mount path into the challenge, cookie Paths and redirects; a mount
  // written as a pattern (app.use("/:team", …)) could match a path no client would accept there.
  // A plain mount ("/admin") is the same on every request: checked once, remembered.
  let checkedMountPath = "";
  router.use((req, res, next) => {
    if (req.baseUrl === checkedMountPath) return next();
    const problem = describeUnsafePath(req.baseUrl);
    if (problem === undefined) {
      checkedMountPath = req.baseUrl;
      return next();
    }
    const error = new IamAuthError("BAD_REQUEST", `The path this app's sign-in is mounted at ${problem}`);
    log("request", { outcome: "refused", code: error.code, status: error.status, reason: error.message });
    return sendErrorLine(res, error.status, error.message);
  });
  // Sign-in and sign-out write the session: cookie-session always runs there.
  const writesSession = (req: Request): boolean =>
    req.path === resolved.authPath ||
    req.path === resolved.signOutPath ||
    (headerProof !== false && headerProof.startSession && hasHeaderProof(req, headerProof.header));
  router.use(createSessionLoader(resolved, log, { writesSession, revocation }));
  // Compared as strings rather than registered as routes: Express would read ":" or "*" in them as patterns.
  router.use((req, res, next) => {
    const path = req.path;
    if (path === resolved.authPath) {
      if (limitFailures === undefined) return authRoute(req, res, next);
      return limitFailures(req, res, () => authRoute(req, res, next));
    }
    if (path === resolved.signOutPath) return signOutRoute(req, res, next);
    if (headerProof !== false && path === noncePath) return nonceRoute(req, res, next);
    const letIn = (): void => {
      if (path === resolved.whoamiPath) void whoamiRoute(req, res, next);
      else if (req.iamIdentity !== undefined || isPublicPath(path, resolved.publicPaths)) next();
      else void challenge(req, res, next);
    };
    // A proof in a header is checked before anything else lets the request in, and counted by
    // the failed sign-in limit exactly as a hand-over at the auth path is.
    if (byHeader === undefined || !hasHeaderProof(req, byHeader.header)) return letIn();
    const prove = (): void => byHeader.prove(req, res, letIn);
    return limitFailures === undefined ? prove() : limitFailures(req, res, prove);
  });
  router.use(createErrorHandler(log));
  return router;
}

/** One verifier per configured method; SDK clients exist only when KMS is configured. */
function createVerifiers(
  resolved: ResolvedIamAuthOptions,
  replayStore: ReplayStore,
  nonces: NonceIssuer | undefined,
  nonceCookies: NonceCookies | undefined,
  metrics: IamAuthMetrics,
): Partial<Record<AuthMethod, TokenVerifier>> {
  const verifiers: Partial<Record<AuthMethod, TokenVerifier>> = {};
  const { kms } = resolved;
  const sts =
    resolved.sts === undefined
      ? undefined
      : { ...resolved.sts, fetch: timeStsFetch(resolved.sts.fetch, metrics) };
  if (sts !== undefined && nonces !== undefined && nonceCookies !== undefined) {
    verifiers.sts = async (token, now, delivery) => {
      const { identity, nonce } = await verifyStsProof(token, {
        sts,
        nonces,
        replayStore,
        nonceCookies,
        delivery,
        now,
      });
      if (delivery.via === "header") return { identity };
      return {
        identity,
        onSignedIn: (res) => nonceCookies.clear(res, nonce, delivery.secure, delivery.authPath),
      };
    };
  }
  if (kms !== undefined) {
    const region = resolved.region === undefined ? {} : { region: resolved.region };
    const kmsClient = timeKmsClient(resolved.kmsClient ?? new KMSClient(region), metrics);
    const createStsClient: StsClientFactory = timeStsClientFactory(
      resolved.createStsClient ?? ((credentials) => new STSClient({ ...region, credentials })),
      metrics,
    );
    verifiers.kms = async (token, now) => ({
      identity: await verifyKmsToken(token, { ...kms, kmsClient, createStsClient, replayStore, now }),
    });
  }
  return verifiers;
}
