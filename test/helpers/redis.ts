import { mkdtempSync, rmSync } from "node:fs";
import { freePort } from "./free-port.js";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnService, type RunningService } from "./service.js";

/** Debian's redis-server (package redis-server; scripts/ensure-test-packages.mjs installs it). */
export const REDIS_SERVER = "/usr/bin/redis-server";

/** A real redis-server on 127.0.0.1 that a test can stop and start again on the same port. */
export interface TestRedis {
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** Stops the server (SIGTERM, waits for exit). Its data is gone: nothing is saved. */
  stop(): Promise<void>;
  /** Starts it again on the same port (after stop). */
  start(): Promise<void>;
  /** SIGSTOP: the kernel still accepts connections and takes commands, nothing answers them (a hung server). */
  pause(): void;
  /** SIGCONT after pause(): it answers what it was sent meanwhile. */
  resume(): void;
  /** Stops it and removes its directory. */
  close(): Promise<void>;
}

/**
 * Starts redis-server with no configuration file, on 127.0.0.1 and a free port, saving nothing
 * (`--save "" --appendonly no`) in a temporary directory, its output in test-logs/<suite>/.
 *
 * @example const redis = await startRedis("redis-e2e"); … await redis.close();
 */
export async function startRedis(suite: string): Promise<TestRedis> {
  const dir = mkdtempSync(join(tmpdir(), "iam-auth-redis-"));
  const port = await freePort();
  let running: RunningService | undefined;
  let starts = 0;
  const start = async (): Promise<void> => {
    starts += 1;
    running = await spawnService({
      command: REDIS_SERVER,
      args: [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        dir,
        "--protected-mode",
        "yes",
        // What the README asks of a production Redis: never evict a live one-time key.
        "--maxmemory-policy",
        "noeviction",
      ],
      logName: `${suite}/redis-${starts}.log`,
      name: "redis-server",
      listening: /(Ready to accept connections)/,
      toUrl: () => `redis://127.0.0.1:${port}`,
      startTimeoutMs: 10_000,
    });
  };
  const stop = async (): Promise<void> => {
    await running?.stop();
    running = undefined;
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop,
    start,
    pause: () => void running?.process.kill("SIGSTOP"),
    resume: () => void running?.process.kill("SIGCONT"),
    close: async () => {
      running?.process.kill("SIGCONT");
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
