import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
import net from "node:net";
import { dirname, join } from "node:path";
import { freePort } from "./free-port.js";
import { testLogsDir } from "./service.js";

/** Debian's microsocks (package microsocks; scripts/ensure-test-packages.mjs installs it). */
export const MICROSOCKS = "microsocks";

/** A real microsocks SOCKS5 server on 127.0.0.1 that a test can kill, pause and start again on the same port. */
export interface TestSocksServer {
  /** `127.0.0.1:<port>`, as `--socks-proxy` takes it. */
  readonly address: string;
  readonly port: number;
  /** Kills it (SIGKILL) and waits for it to exit: connections to its port are refused. */
  kill(): Promise<void>;
  /** Starts it again on the same port, once it accepts connections. */
  start(): Promise<void>;
  /** SIGSTOP: the kernel still accepts connections, nothing answers them (a hung server). */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
  /** Stops it for good (resumes it first if paused). */
  close(): Promise<void>;
}

/**
 * Starts microsocks on 127.0.0.1 and a free port; it prints nothing when ready, so readiness is
 * its port accepting a connection. Output goes to test-logs/<suite>/microsocks-<n>.log.
 *
 * @example const socks = await startMicrosocks("faults-socks"); … --socks-proxy socks.address
 */
export async function startMicrosocks(suite: string): Promise<TestSocksServer> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  let starts = 0;
  const exit = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once("exit", resolve));
    running.kill("SIGCONT");
    running.kill("SIGKILL");
    await exited;
  };
  const start = async (): Promise<void> => {
    starts += 1;
    const logFile = join(testLogsDir, suite, `microsocks-${starts}.log`);
    mkdirSync(dirname(logFile), { recursive: true });
    const log = createWriteStream(logFile, { flags: "a" });
    const started = spawn(MICROSOCKS, ["-i", "127.0.0.1", "-p", String(port)], {
      env: { PATH: process.env.PATH ?? "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child = started;
    started.stdout.pipe(log);
    started.stderr.pipe(log);
    const failed = new Promise<never>((_resolve, reject) => {
      started.once("error", reject);
      started.once("exit", (code, signal) => reject(new Error(`microsocks exited (${code ?? signal})`)));
    });
    failed.catch(() => undefined);
    const deadline = Date.now() + 10_000;
    while (!(await Promise.race([accepts(port), failed]))) {
      if (Date.now() > deadline) {
        await exit();
        throw new Error(`microsocks did not accept connections on 127.0.0.1:${port} within 10 s`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  await start();
  return {
    address: `127.0.0.1:${port}`,
    port,
    kill: exit,
    start,
    pause: () => void child?.kill("SIGSTOP"),
    resume: () => void child?.kill("SIGCONT"),
    close: exit,
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
