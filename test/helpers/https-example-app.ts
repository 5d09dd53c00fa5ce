import { randomBytes } from "node:crypto";
import { createWriteStream, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { demoAccount } from "../../local-aws/demo-account.js";
import { createExampleApp } from "../../example-server/app.js";
import { testLogsDir } from "./service.js";
import { createTestCa, startTlsApp, type TlsApp } from "./tls-app.js";

/** The example app behind TLS, and the CA its certificate comes from. */
export interface HttpsExampleApp extends TlsApp {
  /** The app's CA certificate, written to a file: what the proxy gets as `--upstream-ca`. */
  readonly caFile: string;
}

export interface HttpsExampleAppOptions {
  /** Log file under test-logs/, e.g. `browser-https/example-app.log` (the log audit reads it). */
  readonly logName: string;
  /** Where its CA certificate file is written. */
  readonly dir: string;
  /** The local AWS whose STS the app sends proofs to. */
  readonly localAwsUrl: string;
}

/**
 * Starts the example app (STS method only, no AWS credentials needed) over HTTPS on
 * 127.0.0.1, port 0, with a certificate for 127.0.0.1 from a CA made for this run. It is
 * addressed by IP (`https://127.0.0.1:PORT`), its STS server-id: the browser helper sends only
 * IP addresses through a proxy.
 *
 * @example const app = await startHttpsExampleApp({ logName: "suite/app.log", dir, localAwsUrl: aws.url })
 */
export async function startHttpsExampleApp(options: HttpsExampleAppOptions): Promise<HttpsExampleApp> {
  const ca = await createTestCa();
  const caFile = join(options.dir, "app-ca.pem");
  writeFileSync(caFile, ca.certPem);
  const app = await startTlsApp(ca, "127.0.0.1");
  const logFile = join(testLogsDir, options.logName);
  mkdirSync(dirname(logFile), { recursive: true });
  const log = createWriteStream(logFile, { flags: "a" });
  app.setHandler(
    createExampleApp(
      {
        accountId: demoAccount.accountId,
        secretKey: randomBytes(32).toString("hex"),
        methods: ["sts"],
        kms: undefined,
        sts: { serverId: app.authority, testStsEndpoint: options.localAwsUrl },
        allowedAccounts: undefined,
        allowedPrincipals: undefined,
        host: "127.0.0.1",
        port: app.port,
      },
      { logger: (line) => void log.write(`${line}\n`) },
    ),
  );
  return {
    ...app,
    caFile,
    async close() {
      await app.close();
      await new Promise<void>((resolve) => log.end(resolve));
    },
  };
}
