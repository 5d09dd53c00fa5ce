import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { demoAccount } from "../../local-aws/demo-account.js";
import { startService, type RunningService } from "./service.js";

/** A running `iam-auth-gateway` process; `stop()` also removes its session secret. */
export interface GatewayProcess {
  readonly service: RunningService;
  readonly url: string;
  /** The session secret it signs cookies with (hex), for the log audit or to forge cookies. */
  readonly secret: string;
  stop(): Promise<void>;
}

export interface GatewayProcessOptions {
  /** The app behind it (`--upstream`). */
  readonly upstream: string;
  /** The local STS proofs are checked against (`--test-sts-endpoint`). */
  readonly stsEndpoint: string;
  /** More flags: `--skip-auth`, `--redis-url`, `--metrics-bind`, … */
  readonly args?: readonly string[];
  /** Log file name under test-logs/. */
  readonly logName: string;
}

/**
 * Starts the real gateway CLI for the demo account on 127.0.0.1 (port 0) with a new session
 * secret in a file of its own, the STS method only, checked against `stsEndpoint`.
 *
 * @example const gateway = await startGatewayProcess({ upstream: app.url, stsEndpoint: aws.url, logName: "suite/gateway.log" })
 */
export async function startGatewayProcess(options: GatewayProcessOptions): Promise<GatewayProcess> {
  const dir = mkdtempSync(join(tmpdir(), "iam-auth-gateway-"));
  const secret = randomBytes(32).toString("hex");
  const secretFile = join(dir, "session-secret");
  writeFileSync(secretFile, secret, { mode: 0o600 });
  let service: RunningService;
  try {
    service = await startService({
      script: "gateway/cli/main.js",
      args: [
        ...["--bind", "127.0.0.1:0", "--upstream", options.upstream, "--account", demoAccount.accountId],
        ...["--session-secret-file", secretFile, "--test-sts-endpoint", options.stsEndpoint],
        ...(options.args ?? []),
      ],
      logName: options.logName,
    });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    service,
    url: service.url,
    secret,
    async stop() {
      await service.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
