import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Repository root (this file compiles to dist/test/helpers/service.js). */
export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
/** Every log a test process writes lands under here; test/audit greps it for secrets. */
export const testLogsDir = join(repoRoot, "test-logs");

export interface RunningService {
  /** First URL the service reported in its `listening url=…` line. */
  readonly url: string;
  readonly process: ChildProcess;
  readonly logFile: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Sends SIGTERM and waits for exit (SIGKILL after 3 s). */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Script path relative to dist/, e.g. "local-aws/main.js". */
  readonly script: string;
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Log file name under test-logs/, e.g. "login-e2e/proxy.log". */
  readonly logName: string;
  readonly startTimeoutMs?: number;
}

const listeningLine = /\blistening url=(\S+)/;

/**
 * Starts one of the project's executables as a real process and resolves once it
 * prints `listening url=<url>`. Its output is kept in memory and written to test-logs/.
 * The child gets a minimal environment: only what `env` gives plus PATH and HOME,
 * so the developer's own AWS settings never leak into a test.
 */
export async function startService(options: StartOptions): Promise<RunningService> {
  const logFile = join(testLogsDir, options.logName);
  mkdirSync(dirname(logFile), { recursive: true });
  const log = createWriteStream(logFile, { flags: "a" });
  const env: Record<string, string> = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp" };
  for (const [key, value] of Object.entries(options.env ?? {})) if (value !== undefined) env[key] = value;
  const child = spawn(process.execPath, [join(repoRoot, "dist", options.script), ...(options.args ?? [])], {
    env,
    stdio: ["pipe", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const collect = (chunk: Buffer): void => {
    output += chunk.toString("utf8");
    log.write(chunk);
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`${options.script} did not report listening within timeout; output:\n${output}`));
    }, options.startTimeoutMs ?? 15_000);
    const check = (): void => {
      const match = listeningLine.exec(output);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on("data", check);
    child.stderr.on("data", check);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${options.script} exited (${code ?? signal}) before listening; output:\n${output}`));
    });
  });

  return {
    url,
    process: child,
    logFile,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
        await exited;
        clearTimeout(timer);
      }
      await new Promise<void>((resolve) => log.end(resolve));
    },
  };
}
