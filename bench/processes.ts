import { randomBytes } from "node:crypto";
import { demoAccount } from "../local-aws/demo-account.js";
import { awsEnvFor } from "../test/helpers/local-aws.js";
import { startService, type RunningService } from "../test/helpers/service.js";
import { spawnCommand, type CommandOptions } from "./spawn-command.js";

/*
 * Starting the real pieces a benchmark measures, each as its own process on 127.0.0.1, through
 * the test suite's startService (waits for `listening url=`, logs to test-logs/bench/<benchmark>/).
 */

export interface StartOptions {
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Anything the runner can stop. */
export interface Stoppable {
  stop(): Promise<void>;
}

/**
 * The processes one benchmark started. The runner stops them all when the benchmark ends,
 * however it ends, so a benchmark never has to clean up after itself.
 */
export class ProcessGroup {
  private readonly running = new Set<Stoppable>();

  constructor(private readonly benchmark: string) {}

  /**
   * Starts `dist/<script>` and resolves once it prints `listening url=…`; its log is
   * test-logs/bench/<benchmark>/<name>.log.
   */
  async start(name: string, script: string, options: StartOptions = {}): Promise<RunningService> {
    const service = await startService({
      script,
      args: options.args ?? [],
      env: options.env ?? {},
      logName: `bench/${this.benchmark}/${name}.log`,
    });
    this.running.add(service);
    return service;
  }

  /**
   * Starts a program that is not one of ours (see spawnCommand), resolved once its output
   * matches `listening`; its log is test-logs/bench/<benchmark>/<name>.log.
   */
  async startCommand(name: string, command: Omit<CommandOptions, "logName">): Promise<RunningService> {
    const service = await spawnCommand({ ...command, logName: `bench/${this.benchmark}/${name}.log` });
    this.running.add(service);
    return service;
  }

  /** Stops `started` (a program started some other way, e.g. nginx) with the others. */
  track<T extends Stoppable>(started: T): T {
    this.running.add(started);
    return started;
  }

  /** Stops one process (SIGTERM, SIGKILL after 3 s). */
  async stop(service: RunningService): Promise<void> {
    this.running.delete(service);
    await service.stop();
  }

  async stopAll(): Promise<void> {
    const all = [...this.running];
    this.running.clear();
    await Promise.all(all.map((service) => service.stop()));
  }
}

/** The local STS + KMS, with its counters and fault injection (local-aws/admin-api.ts). */
export interface BenchAws {
  readonly url: string;
  /** Calls per action since the last reset, e.g. { "kms:Encrypt": 1 }. */
  calls(): Promise<Record<string, number>>;
  resetCalls(): Promise<void>;
  /** Every following AWS call waits `ms` first; 0 removes the delay. */
  setLatency(ms: number): Promise<void>;
}

/**
 * Starts the local AWS serving the built-in demo account. Unlike the tests' startLocalAws it
 * keeps no secrets file: rewriting that file after every KMS login would cost the local AWS
 * CPU time during the login benchmarks (the bench's logs are not audited).
 */
export async function startBenchAws(group: ProcessGroup): Promise<BenchAws> {
  const service = await group.start("local-aws", "local-aws/main.js");
  const admin = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const response = await fetch(`${service.url}/__local-aws/${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(5000),
    });
    const parsed: unknown = await response.json();
    if (!response.ok)
      throw new Error(
        `local AWS ${method} /__local-aws/${path}: ${response.status} ${JSON.stringify(parsed)}`,
      );
    return parsed;
  };
  return {
    url: service.url,
    calls: async () => (await admin("GET", "calls")) as Record<string, number>,
    resetCalls: async () => void (await admin("POST", "calls/reset")),
    setLatency: async (ms) => {
      await admin("DELETE", "faults");
      if (ms > 0) await admin("POST", "faults", { action: "*", latencyMs: ms });
    },
  };
}

/**
 * The example server (example-server/main.js) for the demo account, signed in to the local
 * AWS as the `example-server` user. `sts`: the STS method only (no AWS call at start);
 * `sts kms`: both, the KMS key resolved at start.
 */
export function startExampleServer(
  group: ProcessGroup,
  name: string,
  aws: BenchAws,
  methods: "sts" | "sts kms",
): Promise<RunningService> {
  return group.start(name, "example-server/main.js", {
    env: {
      ...awsEnvFor(aws.url, demoAccount.users.exampleServer),
      AWS_ACCOUNT_ID: demoAccount.accountId,
      IAM_AUTH_METHODS: methods,
      IAM_AUTH_TEST_STS_ENDPOINT: aws.url,
      SECRET_KEY: randomBytes(32).toString("hex"),
      PORT: "0",
      ...(methods === "sts kms"
        ? { KMS_KEY_ID: demoAccount.keys.demo.alias, KMS_SALT: randomBytes(8).toString("hex") }
        : {}),
    },
  });
}

/** Our proxy (proxy/cli/main.js) on 127.0.0.1:0 with the demo user's credentials for the local AWS. */
export function startOurProxy(
  group: ProcessGroup,
  name: string,
  aws: BenchAws,
  args: readonly string[] = [],
): Promise<RunningService> {
  return group.start(name, "proxy/cli/main.js", {
    args: ["--bind", "127.0.0.1:0", ...args],
    env: awsEnvFor(aws.url, demoAccount.users.demo),
  });
}

/**
 * Waits until our proxy has logged its start-up credential check (`credentials …`): that check
 * calls sts:GetCallerIdentity in the background, and must not land in a login's AWS call counts.
 */
export async function waitForCredentialCheck(proxy: RunningService, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!/ credentials /.test(proxy.output())) {
    if (performance.now() > deadline)
      throw new Error(`the proxy logged no credential check within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The peer: the `proxy` npm package (bench/apps/reference-proxy.ts). */
export function startReferenceProxy(group: ProcessGroup, name = "proxy-package"): Promise<RunningService> {
  return group.start(name, "bench/apps/reference-proxy.js");
}

/** The minimal HTTP app (bench/apps/minimal-app.ts) and a reader of its served-requests counter. */
export async function startMinimalApp(
  group: ProcessGroup,
): Promise<{ readonly service: RunningService; readonly countServed: () => Promise<number> }> {
  const service = await group.start("minimal-app", "bench/apps/minimal-app.js");
  const countServed = async (): Promise<number> => {
    const response = await fetch(`${service.url}/__served`, { signal: AbortSignal.timeout(5000) });
    return ((await response.json()) as { served: number }).served;
  };
  return { service, countServed };
}
