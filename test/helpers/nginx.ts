import { spawn, type ChildProcess } from "node:child_process";
import {
  chmodSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { freePort } from "./free-port.js";
import { testLogsDir } from "./service.js";

/** Debian's nginx: on PATH, or where the package puts it (/usr/sbin is not on every user's PATH). */
export function findNginx(): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(delimiter), "/usr/sbin"];
  return dirs.map((dir) => join(dir, "nginx")).find((path) => path.startsWith("/") && existsSync(path));
}

export interface RunningNginx {
  readonly url: string;
  readonly port: number;
  /** The master process's pid; its workers are the processes whose parent it is. */
  readonly pid: number;
  output(): string;
  stop(): Promise<void>;
}

async function waitForPort(port: number, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited (${child.exitCode}):\n${output()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nginx did not listen on ${port} within 10 s:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface NginxOptions {
  /** Directives of the http block outside the server, e.g. an `upstream app { … }` block. Default none. */
  readonly httpBlock?: string;
}

/**
 * Starts a real nginx in the foreground with `serverBlock` (a `server { … }` body without the
 * listen line) inside a minimal http block, everything it writes under a temporary prefix, its
 * error log to stderr and test-logs/<logName>. One worker process.
 *
 * @example await startNginx("location / { proxy_pass http://app; }", "bench/nginx.log", { httpBlock: "upstream app { server 127.0.0.1:8000; }" })
 */
export async function startNginx(
  serverBlock: string,
  logName: string,
  options: NginxOptions = {},
): Promise<RunningNginx> {
  const nginx = findNginx();
  if (nginx === undefined) throw new Error("nginx is not installed (apt-get install nginx)");
  const prefix = mkdtempSync(join(tmpdir(), "iam-auth-nginx-"));
  chmodSync(prefix, 0o755);
  const port = await freePort();
  // As root, nginx would run its workers as nobody, who could not write under the prefix.
  const user = process.getuid?.() === 0 ? "user root root;" : "";
  const config = `${user}
worker_processes 1;
daemon off;
pid ${prefix}/nginx.pid;
error_log stderr notice;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
${options.httpBlock ?? ""}
  server {
    listen 127.0.0.1:${port};
${serverBlock}
  }
}
`;
  writeFileSync(join(prefix, "nginx.conf"), config);
  const logFile = join(testLogsDir, logName);
  mkdirSync(dirname(logFile), { recursive: true });
  const log = createWriteStream(logFile, { flags: "a" });
  let text = "";
  const child = spawn(nginx, ["-p", prefix, "-c", join(prefix, "nginx.conf"), "-e", "stderr"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const keep = (chunk: Buffer): void => {
    text += chunk.toString("utf8");
    log.write(chunk);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
    }
    log.end();
    rmSync(prefix, { recursive: true, force: true });
  };
  try {
    await waitForPort(port, child, () => text);
  } catch (error) {
    await stop();
    throw error;
  }
  const { pid } = child;
  if (pid === undefined) throw new Error("nginx started without a pid");
  return { url: `http://127.0.0.1:${port}`, port, pid, output: () => text, stop };
}
