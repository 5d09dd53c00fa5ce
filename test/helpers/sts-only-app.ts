import { randomBytes } from "node:crypto";
import { demoAccount } from "../../local-aws/demo-account.js";
import { startService, type RunningService } from "./service.js";

/**
 * Starts the example server as an STS-only app of the demo account that has no AWS credentials
 * of its own: it accepts proofs for the local AWS at `localAwsUrl` and knows its account from
 * AWS_ACCOUNT_ID. Its log goes to test-logs/<suite>/example-server.log.
 *
 * @example const app = await startStsOnlyApp("credentials-late", aws.url)
 */
export function startStsOnlyApp(
  suite: string,
  localAwsUrl: string,
  /** A known SECRET_KEY (to record for the log audit, or to sign cookies with); default a random one. */
  secretKey: string = randomBytes(32).toString("hex"),
  /** More variables, e.g. { MAX_CONNECTIONS: "5" }, or { PORT: "4321" } to start again where clients know it. */
  env: Readonly<Record<string, string>> = {},
): Promise<RunningService> {
  return startService({
    script: "example-server/main.js",
    env: {
      AWS_ACCOUNT_ID: demoAccount.accountId,
      SECRET_KEY: secretKey,
      PORT: "0",
      IAM_AUTH_METHODS: "sts",
      IAM_AUTH_TEST_STS_ENDPOINT: localAwsUrl,
      AWS_CONFIG_FILE: "/dev/null",
      AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
      AWS_EC2_METADATA_DISABLED: "true",
      ...env,
    },
    logName: `${suite}/example-server.log`,
  });
}
