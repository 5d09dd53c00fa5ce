import { spawnService, type RunningService } from "../test/helpers/service.js";

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
export function spawnCommand(options: CommandOptions): Promise<RunningService> {
  return spawnService({
    command: options.command,
    args: options.args,
    logName: options.logName,
    name: options.command,
    listening: options.listening,
    toUrl: (address) => `${options.scheme}://${address}`,
    startTimeoutMs: options.startTimeoutMs ?? 10_000,
  });
}
