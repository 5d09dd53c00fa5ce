import type { KMSClient } from "@aws-sdk/client-kms";
import express, { type Express } from "express";
import type { Health } from "../gateway/index.js";
import {
  iamAuth,
  prefersHtml,
  type IamAuthMetricsOptions,
  type LoggerOption,
  type ReplayStore,
  type RevocationStore,
  type StsClientFactory,
} from "../server-middleware/index.js";
import type { ExampleConfig } from "./config.js";
import { HOME_PAGE_CONTENT_SECURITY_POLICY, renderHomePage } from "./home-page.js";

/** What tests (or another host) may inject; by default the middleware makes its own clients and logs to stdout. */
export interface ExampleAppDependencies {
  /** KMS method only. */
  readonly kmsClient?: KMSClient;
  /** KMS method only. */
  readonly createStsClient?: StsClientFactory;
  readonly clock?: () => Date;
  readonly logger?: LoggerOption;
  /** Where the middleware's metrics go. */
  readonly metrics?: IamAuthMetricsOptions;
  /** /healthz and /readyz, answered before sign-in. */
  readonly health?: Health;
  /** Shared stores (main makes them from REDIS_URL); default the middleware's in-memory ones. */
  readonly replayStore?: ReplayStore;
  readonly sessionRevocation?: RevocationStore;
}

/**
 * The example app, the counterpart of example-server.py:
 * - `GET /`      the caller's ARN (text/plain, with a newline), or for browsers a page with the
 *                ARN, the account, the session's expiry and a sign-out button; or the IAM challenge;
 * - `GET /check` the caller's ARN, or `:(` when not signed in; always 200, never a challenge;
 * - `GET /auth` (or IAM_AUTH_PATH), `POST /auth/sign-out`, `GET /auth/whoami`: served by the middleware.
 * `config.sts.serverId` must be set (see defaultServerId) when STS is on.
 *
 * @example createExampleApp(config).listen(3000, "127.0.0.1")
 */
export function createExampleApp(config: ExampleConfig, dependencies: ExampleAppDependencies = {}): Express {
  const app = express();
  app.disable("x-powered-by");
  // Behind a load balancer, whose X-Forwarded-For names each client: the failed sign-in limit
  // and the audit log's `remote` are then per person, not per balancer.
  app.set("trust proxy", config.trustProxy ?? false);
  const { kms, sts } = config;
  const { health, ...middlewareDependencies } = dependencies;
  if (health !== undefined) app.use((req, res, next) => void (health.answer(req, res) || next()));
  app.use(
    iamAuth({
      accountId: config.accountId,
      ...(kms === undefined
        ? {}
        : {
            kms: {
              keyId: kms.keyArn,
              encryptionContext: kms.encryptionContext,
              // With STS on, the middleware binds KMS tokens to sts.serverId.
              ...(sts === undefined && kms.serverId !== undefined ? { serverId: kms.serverId } : {}),
              acceptUnboundTokens: kms.acceptUnboundTokens,
            },
            region: kms.region,
          }),
      ...(sts === undefined
        ? {}
        : {
            sts: {
              serverId: sts.serverId as string,
              ...(sts.testStsEndpoint === undefined ? {} : { testStsEndpoint: sts.testStsEndpoint }),
            },
          }),
      sessionSecrets: [config.secretKey],
      ...(config.allowedAccounts === undefined ? {} : { allowedAccounts: config.allowedAccounts }),
      ...(config.allowedPrincipals === undefined ? {} : { allowedPrincipals: config.allowedPrincipals }),
      publicPaths: ["/check"],
      ...(config.authPath === undefined ? {} : { authPath: config.authPath }),
      ...(config.helpUrl === undefined ? {} : { helpUrl: config.helpUrl }),
      ...(config.proxyAddress === undefined ? {} : { proxyAddress: config.proxyAddress }),
      ...middlewareDependencies,
    }),
  );

  app.get("/", (req, res) => {
    // The middleware lets only signed-in requests reach a path that is not public.
    const identity = req.iamIdentity;
    if (identity === undefined) throw new Error("iamAuth let an unauthenticated request through");
    // Who is signed in differs per caller: no cache may keep it.
    res.set("Cache-Control", "no-store");
    res.vary("Accept");
    if (prefersHtml(req)) {
      res.set("Content-Security-Policy", HOME_PAGE_CONTENT_SECURITY_POLICY);
      // A header proof (a script's) proves the identity for this request only: no session.
      res.type("html").send(renderHomePage(identity, req.iamSession));
      return;
    }
    // What example-server.py answers, and what scripts and curl read.
    res.type("text/plain").send(`${identity.arn}\n`);
  });
  app.get("/check", (req, res) => {
    res.type("text/plain").send(req.iamIdentity === undefined ? ":(\n" : `${req.iamIdentity.arn}\n`);
  });
  app.use((_req, res) => {
    res.status(404).type("text/plain").send("not found\n");
  });
  return app;
}
