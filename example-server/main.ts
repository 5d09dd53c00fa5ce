#!/usr/bin/env node
/*
 * The example server: `node dist/example-server/main.js`, configured by environment variables
 * (see config.ts): AWS_ACCOUNT_ID, AWS_DEFAULT_REGION / AWS_REGION, SECRET_KEY, KMS_KEY_ID,
 * KMS_SALT, HOST (127.0.0.1), PORT (3000). AWS credentials and AWS_ENDPOINT_URL are the SDK's.
 *
 * Prints one `<time> listening url=http://<host>:<port>` line once ready, then one line per
 * sign-in. Exits 2 when the environment is incomplete, 1 when the start-up AWS lookups fail;
 * SIGTERM / SIGINT close the server and exit 0.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { KMSClient } from "@aws-sdk/client-kms";
import { STSClient } from "@aws-sdk/client-sts";
import { formatLogLine } from "../protocol/index.js";
import { createExampleApp } from "./app.js";
import {
  ExampleConfigError,
  ExampleStartError,
  readExampleEnv,
  resolveExampleConfig,
  type ExampleEnv,
} from "./config.js";

function exit(code: number, message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  let env: ExampleEnv;
  try {
    env = readExampleEnv(process.env);
  } catch (error) {
    if (error instanceof ExampleConfigError) exit(2, error.message);
    throw error;
  }

  const kms = new KMSClient({ region: env.region });
  const sts = new STSClient({ region: env.region });
  let config;
  try {
    config = await resolveExampleConfig(env, { kms, sts });
  } catch (error) {
    if (error instanceof ExampleStartError) exit(1, formatLogLine("start-failed", { reason: error.message }));
    throw error;
  } finally {
    sts.destroy();
  }

  const server = createServer(createExampleApp(config, { kmsClient: kms }));
  server.on("error", (error) => exit(1, formatLogLine("start-failed", { reason: error.message })));
  server.listen(config.port, config.host, () => {
    const { port } = server.address() as AddressInfo;
    const host = config.host.includes(":") ? `[${config.host}]` : config.host;
    process.stdout.write(`${formatLogLine("listening", { url: `http://${host}:${port}` })}\n`);
  });

  const stop = (): void => {
    server.close(() => {
      kms.destroy();
      process.exit(0);
    });
    // Keep-alive connections would hold close() open; nothing is in flight that matters for an example.
    server.closeAllConnections();
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

main().catch((error: unknown) => {
  exit(1, formatLogLine("start-failed", { reason: error instanceof Error ? error.message : String(error) }));
});
