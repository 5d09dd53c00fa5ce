import { join } from "node:path";
import { demoAccount } from "../../local-aws/demo-account.js";
import { startService, testLogsDir, type RunningService } from "./service.js";

/** A fault the local AWS applies to matching calls (see local-aws/admin-api.ts). */
export interface Fault {
  readonly action: string;
  readonly latencyMs?: number;
  readonly error?: { readonly status: number; readonly code: string; readonly message?: string };
  readonly count?: number;
}

export interface LocalAws {
  readonly url: string;
  readonly service: RunningService;
  /** Calls per action since the last reset, e.g. { "kms:Encrypt": 1 }. */
  calls(): Promise<Record<string, number>>;
  resetCalls(): Promise<void>;
  addFault(fault: Fault): Promise<void>;
  clearFaults(): Promise<void>;
  /** Makes an issued session (by its ASIA… access key id) expire now. */
  expireSession(accessKeyId: string): Promise<void>;
  stop(): Promise<void>;
}

interface DemoUser {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/**
 * Environment for a child process that should reach the local AWS as `user`: the SDK's
 * standard variables, with the shared config files pointed away from the developer's own.
 */
export function awsEnvFor(localAwsUrl: string, user: DemoUser | undefined): Record<string, string> {
  const env: Record<string, string> = {
    AWS_ENDPOINT_URL: localAwsUrl,
    AWS_REGION: demoAccount.region,
    AWS_DEFAULT_REGION: demoAccount.region,
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_MAX_ATTEMPTS: "1",
  };
  if (user !== undefined) {
    env.AWS_ACCESS_KEY_ID = user.accessKeyId;
    env.AWS_SECRET_ACCESS_KEY = user.secretAccessKey;
  }
  return env;
}

/**
 * Starts the local AWS as a real process for one test suite. It records every secret it
 * knows or issues in test-logs/<suite>/aws-secrets.json for the log audit.
 */
export async function startLocalAws(suite: string): Promise<LocalAws> {
  const service = await startService({
    script: "local-aws/main.js",
    args: ["--secrets-file", join(testLogsDir, suite, "aws-secrets.json")],
    logName: `${suite}/local-aws.log`,
  });
  const admin = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const response = await fetch(`${service.url}/__local-aws/${path}`, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const parsed: unknown = await response.json();
    if (!response.ok)
      throw new Error(`local AWS admin ${method} ${path}: ${response.status} ${JSON.stringify(parsed)}`);
    return parsed;
  };
  return {
    url: service.url,
    service,
    calls: async () => (await admin("GET", "calls")) as Record<string, number>,
    resetCalls: async () => void (await admin("POST", "calls/reset")),
    addFault: async (fault) => void (await admin("POST", "faults", fault)),
    clearFaults: async () => void (await admin("DELETE", "faults")),
    expireSession: async (accessKeyId) => void (await admin("POST", "sessions/expire", { accessKeyId })),
    stop: () => service.stop(),
  };
}
