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

// Text lines end the URL at a space, JSON lines ("msg":"listening url=…") at the quote.
const listeningLine = /\blistening url=([^\s"]+)/;

/**
 * Starts one of the project's executables as a real process and resolves once it
 * prints `listening url=<url>`. Its output is kept in memory and written to test-logs/.
 * The child gets a minimal environment: only what `env` gives plus PATH and HOME,
 * so the developer's own AWS settings never leak into a test.
 */
export function startService(options: StartOptions): Promise<RunningService> {
  return spawnService({
    command: process.execPath,
    args: [join(repoRoot, "dist", options.script), ...(options.args ?? [])],
    env: options.env,
    logName: options.logName,
    name: options.script,
    listening: listeningLine,
    toUrl: (url) => url,
    startTimeoutMs: options.startTimeoutMs ?? 15_000,
  });
}

/** How spawnService starts a program and tells that it is ready. */
export interface SpawnOptions {
  /** The executable: a path, or a name looked up in PATH. */
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
  /** Log file name under test-logs/. */
  readonly logName: string;
  /** What error messages call it. */
  readonly name: string;
  /** Matches the output that says it is ready; the first group goes to `toUrl`. */
  readonly listening: RegExp;
  readonly toUrl: (matched: string) => string;
  readonly startTimeoutMs: number;
}

/**
 * Starts any program the way startService starts ours (minimal environment, output kept and
 * logged) and resolves once its output matches `listening`. Rejects with the spawn error (code
 * ENOENT when the program is not installed), or when it exits or stays silent first; the
 * process is then killed and its log closed.
 *
 * @example await spawnService({ command: "socat", args, logName, name: "socat", listening: /listening on AF=2 (\S+)/, toUrl: (a) => `tcp://${a}`, startTimeoutMs: 10_000 })
 */
export async function spawnService(options: SpawnOptions): Promise<RunningService> {
  const logFile = join(testLogsDir, options.logName);
  mkdirSync(dirname(logFile), { recursive: true });
  const log = createWriteStream(logFile, { flags: "a" });
  const env: Record<string, string> = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp" };
  for (const [key, value] of Object.entries(options.env ?? {})) if (value !== undefined) env[key] = value;
  const child = spawn(options.command, [...options.args], { env, stdio: ["pipe", "pipe", "pipe"] });
  let output = "";
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  const collect = (chunk: Buffer): void => {
    output += chunk.toString("utf8");
    log.write(chunk);
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  const closeLog = (): Promise<void> => new Promise((resolve) => log.end(resolve));
  const running = (): boolean => child.exitCode === null && child.signalCode === null;

  try {
    const matched = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`${options.name} did not report listening within timeout; output:\n${output}`));
      }, options.startTimeoutMs);
      const check = (): void => {
        const match = options.listening.exec(output);
        if (match?.[1] !== undefined) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      };
      child.stdout.on("data", check);
      child.stderr.on("data", check);
      child.once("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${options.name} exited (${code ?? signal}) before listening; output:\n${output}`));
      });
    });
    return {
      url: options.toUrl(matched),
      process: child,
      logFile,
      output: () => output,
      async stop() {
        if (running()) {
          child.kill("SIGTERM");
          const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
          await exited;
          clearTimeout(timer);
        }
        await closeLog();
      },
    };
  } catch (error) {
    if (running() && child.pid !== undefined) child.kill("SIGKILL");
    await closeLog();
    throw error;
  }
}
