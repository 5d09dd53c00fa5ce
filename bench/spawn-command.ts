import { spawn } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { testLogsDir, type RunningService } from "../test/helpers/service.js";

export interface CommandOptions {
  /** The executable, looked up in PATH, e.g. "socat". */
  readonly command: string;
  readonly args: readonly string[];
  /** Log file under test-logs/, e.g. "bench/connect/socat.log". */
  readonly logName: string;
  /** Matches the line that says it is ready; its first group is the address, e.g. "127.0.0.1:4000". */
  readonly listening: RegExp;
  /** The scheme of the `url` made from that address. */
  readonly scheme: string;
  readonly startTimeoutMs?: number;
}

/**
 * Starts a program that is not one of ours (startService runs only our dist/ scripts and waits
 * for our `listening url=` line) and resolves once its output matches `listening`. It gets only
 * PATH and HOME from the environment. Rejects with the spawn error (code ENOENT when the
 * program is not installed), or when it exits or stays silent first.
 *
 * @example await spawnCommand({ command: "socat", args, logName, listening: /listening on AF=2 (\S+)/, scheme: "tcp" })
 */
export async function spawnCommand(options: CommandOptions): Promise<RunningService> {
  const logFile = join(testLogsDir, options.logName);
  mkdirSync(dirname(logFile), { recursive: true });
  const log = createWriteStream(logFile, { flags: "a" });
  const child = spawn(options.command, [...options.args], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  const collect = (chunk: Buffer): void => {
    output += chunk.toString("utf8");
    log.write(chunk);
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  const closeLog = (): Promise<void> => new Promise((resolve) => log.end(resolve));

  try {
    const address = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${options.command} did not say it is listening; output:\n${output}`)),
        options.startTimeoutMs ?? 10_000,
      );
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
        reject(
          new Error(`${options.command} exited (${code ?? signal}) before listening; output:\n${output}`),
        );
      });
    });
    return {
      url: `${options.scheme}://${address}`,
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
        await closeLog();
      },
    };
  } catch (error) {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined)
      child.kill("SIGKILL");
    await closeLog();
    throw error;
  }
}
