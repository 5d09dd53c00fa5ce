import { subscribe, unsubscribe } from "node:diagnostics_channel";
import type { ChildProcess } from "node:child_process";

/** How a child process started while watching ended: never its stdout (a credential_process prints keys there). */
export interface ChildProcessRun {
  /** The command it ran: the last argument (`sh -c <command>` for the SDK's exec). */
  readonly command: string;
  /** Its exit code; null when a signal ended it, undefined while it still runs. */
  readonly exitCode: number | null | undefined;
  readonly signal: NodeJS.Signals | null | undefined;
  /** The first line of its stderr, at most 200 characters (the message it goes into stays one line of 500); "" when it wrote none. */
  readonly firstStderrLine: string;
}

/** Watches the child processes started until stop() (see watchChildProcesses). */
export interface ChildProcessWatch {
  /** Stops watching; the runs seen, in the order they started. */
  stop(): readonly ChildProcessRun[];
}

const MAX_STDERR_BYTES = 4096;

/**
 * Notes every child process this Node.js process starts from now until stop(): its command, exit
 * code or signal, and the first line of its stderr. The AWS SDK runs a profile's
 * `credential_process` with child_process.exec and, when it fails, keeps only "Command failed"
 * and the stderr text — not the exit code the person needs. Node's `child_process` diagnostics
 * channel (documented, Node 16.18+) tells of each child as it is made, so the SDK's own runs are
 * observed: the command is never run a second time just to learn why it failed (it may prompt
 * for MFA, or send a push to a phone).
 *
 * @example const watch = watchChildProcesses(); try { await chain() } finally { runs = watch.stop() }
 */
export function watchChildProcesses(): ChildProcessWatch {
  const runs: { child: ChildProcess; stderr: Buffer[]; size: number }[] = [];
  const onChild = (message: unknown): void => {
    const child = (message as { process?: ChildProcess }).process;
    if (child === undefined) return;
    const run = { child, stderr: [] as Buffer[], size: 0 };
    runs.push(run);
    // The channel speaks while the child is being made, before its pipes exist.
    child.once("spawn", () => {
      child.stderr?.on("data", (chunk: Buffer | string) => {
        if (run.size >= MAX_STDERR_BYTES) return;
        const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
        run.stderr.push(bytes);
        run.size += bytes.length;
      });
    });
  };
  subscribe("child_process", onChild);
  let stopped = false;
  return {
    stop() {
      if (!stopped) unsubscribe("child_process", onChild);
      stopped = true;
      return runs.map(({ child, stderr }) => ({
        command: child.spawnargs.at(-1) ?? "",
        exitCode: child.exitCode ?? (child.signalCode === null ? undefined : null),
        signal: child.signalCode ?? undefined,
        firstStderrLine: firstLine(Buffer.concat(stderr).toString("utf8")),
      }));
    },
  };
}

function firstLine(text: string): string {
  const line = text.split(/\r?\n/).find((candidate) => candidate.trim() !== "") ?? "";
  const trimmed = line.trim();
  return trimmed.length > 200 ? `${trimmed.slice(0, 199)}…` : trimmed;
}
