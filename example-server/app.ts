import type { KMSClient } from "@aws-sdk/client-kms";
import express, { type Express } from "express";
import { iamAuth, type StsClientFactory } from "../server-middleware/index.js";
import type { ExampleConfig } from "./config.js";

/** What tests (or another host) may inject; by default the middleware makes its own clients and logs to stdout. */
export interface ExampleAppDependencies {
  readonly kmsClient?: KMSClient;
  readonly createStsClient?: StsClientFactory;
  readonly clock?: () => Date;
  readonly logger?: (line: string) => void;
}

/**
 * The example app, the counterpart of example-server.py:
 * - `GET /`      the caller's ARN (text/plain, with a newline), or the IAM challenge;
 * - `GET /check` the caller's ARN, or `:(` when not signed in; always 200, never a challenge;
 * - `GET /auth`  sign-in, served by the middleware.
 *
 * @example createExampleApp(config).listen(3000, "127.0.0.1")
 */
export function createExampleApp(config: ExampleConfig, dependencies: ExampleAppDependencies = {}): Express {
  const app = express();
  app.disable("x-powered-by");
  app.use(
    iamAuth({
      accountId: config.accountId,
      kms: { keyId: config.kmsKeyArn, encryptionContext: config.encryptionContext },
      sessionSecrets: [config.secretKey],
      publicPaths: ["/check"],
      region: config.region,
      ...dependencies,
    }),
  );

  app.get("/", (req, res) => {
    // The middleware lets only signed-in requests reach a path that is not public.
    if (req.iamIdentity === undefined) throw new Error("iamAuth let an unauthenticated request through");
    res.type("text/plain").send(`${req.iamIdentity.arn}\n`);
  });
  app.get("/check", (req, res) => {
    res.type("text/plain").send(req.iamIdentity === undefined ? ":(\n" : `${req.iamIdentity.arn}\n`);
  });
  app.use((_req, res) => {
    res.status(404).type("text/plain").send("not found\n");
  });
  return app;
}
