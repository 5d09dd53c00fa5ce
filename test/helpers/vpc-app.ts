/*
 * The example server with a websocket echo at /ws, and optionally HTTPS as well: the app the
 * SOCKS end-to-end test runs inside a private network namespace (a stand-in for a VPC).
 *
 *   node dist/test/helpers/vpc-app.js
 *
 * Configured as the example server (example-server/main.ts: AWS_ACCOUNT_ID, SECRET_KEY,
 * KMS_KEY_ID, KMS_SALT, IAM_AUTH_*, HOST, PORT, the SDK's variables; IAM_AUTH_SERVER_ID is
 * required, as both listeners share it), plus:
 *   TLS_PORT, TLS_CERT_FILE, TLS_KEY_FILE   also serve the same app over HTTPS on TLS_PORT
 * Prints `listening url=http://<host>:<port>` once both listeners are up.
 */
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { KMSClient } from "@aws-sdk/client-kms";
import { createExampleApp } from "../../example-server/app.js";
import { resolveExampleConfig, type ExampleConfig } from "../../example-server/config.js";
import { readExampleEnv } from "../../example-server/env.js";
import { formatLogLine } from "../../protocol/index.js";
import { iamAuth } from "../../server-middleware/index.js";
import { attachWebsocketEcho } from "./websocket-app.js";

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
}

/**
 * The sign-in in front of /ws: the example app's own middleware settings (its app ends in a 404
 * for unknown paths, so it cannot be the gate itself). Same session secret, so the sessions it
 * issues are valid here.
 */
function createGate(config: ExampleConfig, kms: KMSClient | undefined) {
  const { sts } = config;
  return iamAuth({
    accountId: config.accountId,
    ...(config.kms === undefined
      ? {}
      : {
          kms: { keyId: config.kms.keyArn, encryptionContext: config.kms.encryptionContext },
          region: config.kms.region,
        }),
    ...(sts?.serverId === undefined
      ? {}
      : {
          sts: {
            serverId: sts.serverId,
            ...(sts.testStsEndpoint === undefined ? {} : { testStsEndpoint: sts.testStsEndpoint }),
          },
        }),
    sessionSecrets: [config.secretKey],
    ...(kms === undefined ? {} : { kmsClient: kms }),
  });
}

async function main(): Promise<void> {
  const env = readExampleEnv(process.env);
  const kms = env.kms === undefined ? undefined : new KMSClient({ region: env.region });
  const config = await resolveExampleConfig(env, { kms });
  const app = createExampleApp(config, kms === undefined ? {} : { kmsClient: kms });
  const servers: Server[] = [createServer(app)];
  const tlsPort = process.env.TLS_PORT;
  if (tlsPort !== undefined && tlsPort !== "") {
    const tls = {
      cert: readFileSync(process.env.TLS_CERT_FILE ?? ""),
      key: readFileSync(process.env.TLS_KEY_FILE ?? ""),
    };
    const secure = createHttpsServer(tls, app);
    await listen(secure, Number(tlsPort), config.host);
    servers.push(secure);
  }
  const [plain] = servers;
  if (plain === undefined) throw new Error("no server");
  await listen(plain, config.port, config.host);
  const gate = createGate(config, kms);
  for (const server of servers) attachWebsocketEcho(server, gate);
  process.stdout.write(`${formatLogLine("listening", { url: `http://${config.host}:${config.port}` })}\n`);
  const stop = (): void => {
    for (const server of servers) {
      server.closeAllConnections();
      server.close();
    }
    kms?.destroy();
    process.exit(0);
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`${formatLogLine("start-failed", { reason: String(error) })}\n`);
  process.exit(1);
});
