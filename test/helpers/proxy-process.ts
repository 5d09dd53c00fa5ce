import { readFileSync } from "node:fs";
import { join } from "node:path";
import { demoAccount } from "../../local-aws/demo-account.js";
import { awsEnvFor } from "./local-aws.js";
import { startService, type RunningService } from "./service.js";

/** A running `iam-auth-proxy` process and what it printed at start. */
export interface ProxyProcess {
  readonly service: RunningService;
  /** Its forward-proxy URL (the first `listening url=`). */
  readonly url: string;
  /** Reverse mode: the local URL serving each `--upstream` app, by the app's origin. */
  readonly reverseUrls: ReadonlyMap<string, string>;
}

/**
 * Starts the real proxy CLI with `args` (which say where it listens: `--bind 127.0.0.1:0`, or
 * `--upstream URL=127.0.0.1:0`) and the demo user's credentials
 * for the local AWS at `awsUrl`; resolves once its start-up credential check is done (that check
 * is an sts:GetCallerIdentity of its own, which must not land in a test's AWS call counts) and
 * every reverse listener has been reported.
 *
 * @example const proxy = await startProxyProcess("suite/proxy.log", aws.url, ["--upstream", `${origin}=127.0.0.1:0`])
 */
export async function startProxyProcess(
  logName: string,
  awsUrl: string,
  args: string[],
): Promise<ProxyProcess> {
  const service = await startService({
    script: "proxy/cli/main.js",
    args,
    env: awsEnvFor(awsUrl, demoAccount.users.demo),
    logName,
  });
  const reverseUrls = new Map<string, string>();
  try {
    await waitForOutput(service, /\bcredentials (identity=|outcome=)/);
    const upstreams = args
      .filter((_arg, i) => args[i - 1] === "--upstream")
      .map((arg) => arg.split("=", 1)[0] ?? "");
    for (const upstream of upstreams) {
      const origin = new URL(upstream).origin;
      const escaped = origin.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      const line = await waitForOutput(service, new RegExp(` reverse url=(\\S+) upstream=${escaped}\\n`));
      reverseUrls.set(origin, line[1] ?? "");
    }
  } catch (error) {
    await service.stop();
    throw error;
  }
  return { service, url: service.url, reverseUrls };
}

/**
 * Resolves with the first match of `pattern` in what the process printed, waiting for it (10 s at most).
 *
 * @example await waitForOutput(proxy, /\bcredentials identity=/)
 */
export async function waitForOutput(
  service: RunningService,
  pattern: RegExp,
  timeoutMs = 10_000,
): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = pattern.exec(service.output());
    if (match !== null) return match;
    if (Date.now() > deadline)
      throw new Error(`no output matching ${String(pattern)}; output:\n${service.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The local CA certificate a proxy started with `--ca-dir dir` created: what an intercepted client trusts. */
export function readProxyCa(caDir: string): string {
  return readFileSync(join(caDir, "ca-cert.pem"), "utf8");
}
