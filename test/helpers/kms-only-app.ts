import { randomBytes } from "node:crypto";
import { demoAccount } from "../../local-aws/demo-account.js";
import { awsEnvFor } from "./local-aws.js";
import { startService, type RunningService } from "./service.js";

/**
 * Starts the example server as a KMS-only app of the demo account (the original's protocol,
 * tokens bound to its server-id), signed in to the local AWS at `localAwsUrl` as the
 * example-server user, the only one who may decrypt with the demo key. Log: test-logs/<suite>/kms-app.log.
 *
 * @example const app = await startKmsOnlyApp("proxy-doctor", aws.url)
 */
export function startKmsOnlyApp(suite: string, localAwsUrl: string): Promise<RunningService> {
  return startService({
    script: "example-server/main.js",
    env: {
      ...awsEnvFor(localAwsUrl, demoAccount.users.exampleServer),
      IAM_AUTH_METHODS: "kms",
      KMS_KEY_ID: demoAccount.keys.demo.alias,
      KMS_SALT: randomBytes(8).toString("hex"),
      SECRET_KEY: randomBytes(32).toString("hex"),
      HOST: "127.0.0.1",
      PORT: "0",
    },
    logName: `${suite}/kms-app.log`,
  });
}
