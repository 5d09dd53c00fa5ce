import { join } from "node:path";
import { demoAccount } from "../../local-aws/demo-account.js";
import { startService, testLogsDir, type RunningService } from "./service.js";

/** A fault the local AWS applies to matching calls (see local-aws/admin-api.ts). */
export interface Fault {
  readonly action: string;
  readonly latencyMs?: number;
  readonly error?: { readonly status: number; readonly code: string; readonly message?: string };
  /** Answer 200 with an HTML body instead of the service's XML or JSON. */
  readonly malformed?: true;
  readonly count?: number;
}

export interface LocalAws {
  readonly url: string;
  /** The running process (a new one after `restart()`). */
  readonly service: RunningService;
  /** Calls per action since the last reset, e.g. { "kms:Encrypt": 1 }. */
  calls(): Promise<Record<string, number>>;
  resetCalls(): Promise<void>;
  addFault(fault: Fault): Promise<void>;
  clearFaults(): Promise<void>;
  /** Makes an issued session (by its ASIA… access key id) expire now. */
  expireSession(accessKeyId: string): Promise<void>;
  /** Kills the process (SIGKILL): its port is closed until `restart()`. */
  kill(): Promise<void>;
  /** Starts a fresh process on the same port after `kill()` (counters, faults and issued sessions are gone). */
  restart(): Promise<void>;
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
  let starts = 0;
  const start = (port: string): Promise<RunningService> => {
    starts += 1;
    return startService({
      script: "local-aws/main.js",
      // A restarted one writes its own secrets file: both are audited.
      args: [
        "--port",
        port,
        "--secrets-file",
        join(testLogsDir, suite, `aws-secrets${starts > 1 ? `-${starts}` : ""}.json`),
      ],
      logName: `${suite}/local-aws.log`,
    });
  };
  let service = await start("0");
  const url = service.url;
  const admin = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const response = await fetch(`${url}/__local-aws/${path}`, {
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
    url,
    get service() {
      return service;
    },
    calls: async () => (await admin("GET", "calls")) as Record<string, number>,
    resetCalls: async () => void (await admin("POST", "calls/reset")),
    addFault: async (fault) => void (await admin("POST", "faults", fault)),
    clearFaults: async () => void (await admin("DELETE", "faults")),
    expireSession: async (accessKeyId) => void (await admin("POST", "sessions/expire", { accessKeyId })),
    async kill() {
      const exited = new Promise((resolve) => service.process.once("close", resolve));
      service.process.kill("SIGKILL");
      await exited;
      await service.stop();
    },
    async restart() {
      service = await start(new URL(url).port);
    },
    stop: () => service.stop(),
  };
}
