import { readdir, readFile } from "node:fs/promises";
import type { RunningService } from "../test/helpers/service.js";

/*
 * Readings of a running process from /proc (Linux): CPU time and resident memory.
 */

/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in these ticks (100 on every mainstream architecture). */
const CLOCK_TICKS_PER_SECOND = 100;

/** The fields of /proc/<pid>/stat the bench reads; CPU times in clock ticks. */
export interface ProcStat {
  readonly ppid: number;
  /** User and system time of the process itself. */
  readonly utime: number;
  readonly stime: number;
  /** User and system time of its children that have exited and been waited for. */
  readonly cutime: number;
  readonly cstime: number;
}

/**
 * Reads the text of /proc/<pid>/stat (proc(5)). Throws when a field is not a number.
 *
 * @example parseProcStat("42 (socat) S 7 42 7 0 -1 4194560 1 0 0 0 3 4 5 6 20 0 1 0 99 …").utime // 3
 */
export function parseProcStat(text: string): ProcStat {
  // The fields after the command name, which is in parentheses and may contain spaces and
  // parentheses itself: ppid is the 4th field of the line, utime … cstime the 14th to 17th.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const field = (lineField: number): number => {
    const value = Number(fields[lineField - 3]);
    if (fields[lineField - 3] === undefined || !Number.isFinite(value))
      throw new Error(`/proc stat line has no number in field ${lineField}: ${text.slice(0, 200)}`);
    return value;
  };
  return { ppid: field(4), utime: field(14), stime: field(15), cutime: field(16), cstime: field(17) };
}

/**
 * CPU time (user + system) a running process has used so far, in seconds, from /proc/<pid>/stat
 * (Linux), to the nearest 10 ms.
 *
 * @example const before = await readCpuSeconds(proxy.process.pid!)
 */
export async function readCpuSeconds(pid: number): Promise<number> {
  const stat = parseProcStat(await readFile(`/proc/${pid}/stat`, "utf8"));
  return (stat.utime + stat.stime) / CLOCK_TICKS_PER_SECOND;
}

/**
 * CPU time used so far by a process and all its direct children, those still running and those
 * it has waited for, in seconds: the whole cost of a server that forks a child per connection
 * (`socat … fork`). The sum only grows while the children do not fork themselves.
 *
 * @example const before = await readProcessTreeCpuSeconds(socat.process.pid!)
 */
export async function readProcessTreeCpuSeconds(pid: number): Promise<number> {
  const own = parseProcStat(await readFile(`/proc/${pid}/stat`, "utf8"));
  let ticks = own.utime + own.stime + own.cutime + own.cstime;
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry) || entry === String(pid)) continue;
    let text: string;
    try {
      text = await readFile(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // It exited while we looked: its times moved to its parent's cutime/cstime.
    }
    const child = parseProcStat(text);
    if (child.ppid === pid) ticks += child.utime + child.stime + child.cutime + child.cstime;
  }
  return ticks / CLOCK_TICKS_PER_SECOND;
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

/**
 * Resolves once no process has `pid` as its parent (its children exited and were waited for, so
 * their CPU time is in its cutime/cstime), or after `timeoutMs` whatever remains. A child that
 * has exited but was not yet waited for may show no CPU time at all in /proc.
 *
 * @example await waitForChildrenToExit(socat.process.pid!); await readProcessTreeCpuSeconds(socat.process.pid!)
 */
export async function waitForChildrenToExit(pid: number, timeoutMs = 3000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    let children = 0;
    for (const entry of await readdir("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        if (parseProcStat(await readFile(`/proc/${entry}/stat`, "utf8")).ppid === pid) children += 1;
      } catch {
        // It exited while we looked.
      }
    }
    if (children === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * How many file descriptors a running process has open: the entries of /proc/<pid>/fd (Linux;
 * readable for processes of the same user).
 *
 * @example await countOpenFds(proxy.process.pid!)
 */
export async function countOpenFds(pid: number): Promise<number> {
  return (await readdir(`/proc/${pid}/fd`)).length;
}

/**
 * Polls the open descriptors of `pid` every 100 ms until there are at most `atMost`, or
 * `timeoutMs` passed; resolves with the last count either way (`settled` says which). Sockets of
 * connections that just ended close on the peers' idle timeouts, so a count read at once can be high.
 *
 * @example const { count, settled } = await waitForOpenFds(pid, baseline, 30_000)
 */
export async function waitForOpenFds(
  pid: number,
  atMost: number,
  timeoutMs: number,
): Promise<{ readonly count: number; readonly settled: boolean }> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const count = await countOpenFds(pid);
    if (count <= atMost) return { count, settled: true };
    if (performance.now() >= deadline) return { count, settled: false };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * How many TCP sockets in TIME_WAIT the machine has (the `tw` of `/proc/net/sockstat`), or
 * undefined where there is no such file. The local-user check reads `/proc/net/tcp`, which lists
 * them all, so what it costs a new connection grows with this number; benchmarks that open a
 * connection per request (the peer, http-proxy without keep-alive) leave tens of thousands.
 *
 * @example await readTimeWaitSockets() // 13670
 */
export async function readTimeWaitSockets(): Promise<number | undefined> {
  try {
    return parseTimeWaitSockets(await readFile("/proc/net/sockstat", "utf8"));
  } catch {
    return undefined;
  }
}

/** The `tw` count on the `TCP:` line of `/proc/net/sockstat` text. */
export function parseTimeWaitSockets(text: string): number | undefined {
  const match = /^TCP:.*\btw (\d+)/m.exec(text);
  return match === null ? undefined : Number(match[1]);
}
