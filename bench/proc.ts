import { readFile } from "node:fs/promises";
import type { RunningService } from "../test/helpers/service.js";

/*
 * Readings of a running process from /proc (Linux): CPU time and resident memory.
 */

/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in these ticks (100 on every mainstream architecture). */
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * CPU time (user + system) a running process has used so far, in seconds, from /proc/<pid>/stat
 * (Linux), to the nearest 10 ms.
 *
 * @example const before = await readCpuSeconds(proxy.process.pid!)
 */
export async function readCpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name, which is in parentheses and may contain spaces: utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime))
    throw new Error(`cannot read CPU times from /proc/${pid}/stat`);
  return (utime + stime) / CLOCK_TICKS_PER_SECOND;
}

/** A reader of the CPU seconds `service` has used so far. */
export function cpuReaderOf(service: RunningService): () => Promise<number> {
  const { pid } = service.process;
  if (pid === undefined) throw new Error(`${service.url}: the process has no pid`);
  return () => readCpuSeconds(pid);
}

/**
 * VmRSS of a running process, in MB (10^6 bytes), from /proc/<pid>/status (Linux).
 *
 * @example await readRssMegabytes(proxy.process.pid!)
 */
export async function readRssMegabytes(
  pid: number,
): Promise<{ readonly rss: number; readonly peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const field = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB$`, "m").exec(status);
    if (match?.[1] === undefined) throw new Error(`/proc/${pid}/status has no ${name} line`);
    return (Number(match[1]) * 1024) / 1e6;
  };
  return { rss: field("VmRSS"), peak: field("VmHWM") };
}
