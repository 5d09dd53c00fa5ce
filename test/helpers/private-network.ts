import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomInt } from "node:crypto";
import { createWriteStream, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { repoRoot, testLogsDir } from "./service.js";

const run = promisify(execFile);
const namespacesDir = "/etc/netns";

/**
 * A network namespace joined to this machine by a veth pair — a stand-in for a VPC: what runs
 * inside is reachable from here only at `namespaceAddress`, and resolves names through its own
 * hosts file (`ip netns exec` bind-mounts /etc/netns/<name>/hosts over /etc/hosts).
 */
export interface PrivateNetwork {
  readonly name: string;
  /** This side of the veth pair, e.g. 10.213.7.1: the namespace reaches this machine here. */
  readonly hostAddress: string;
  /** The namespace's side, e.g. 10.213.7.2. */
  readonly namespaceAddress: string;
  /** Replaces the namespace's /etc/hosts entries (name → address); processes started later see them. */
  setHosts(hosts: Readonly<Record<string, string>>): void;
  /** Starts a process inside the namespace (see NamespaceProcessOptions). */
  start(options: NamespaceProcessOptions): Promise<NamespaceProcess>;
  /** Stops every process started in it, deletes the namespace, the veth pair and the hosts file. */
  destroy(): Promise<void>;
}

export interface NamespaceProcessOptions {
  readonly command: string;
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Log file under test-logs/. */
  readonly logName: string;
  /** Resolve once the output matches this; or once `readyPort` on namespaceAddress accepts connections. */
  readonly readyPattern?: RegExp;
  readonly readyPort?: number;
}

export interface NamespaceProcess {
  readonly process: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Why private networks cannot be made here (not root, no `ip`), or undefined when they can. */
export function privateNetworkUnavailable(): string | undefined {
  if (process.platform !== "linux") return "network namespaces need Linux";
  if (process.getuid?.() !== 0) return "creating network namespaces needs root (CI runs as root)";
  if (!existsSync("/usr/sbin/ip") && !existsSync("/sbin/ip") && !existsSync("/usr/bin/ip")) {
    return "the ip command (iproute2) is not installed";
  }
  return undefined;
}

/**
 * Creates a namespace with a /30 link to this machine and an /etc/hosts of its own (see
 * setHosts). Names are unique per run, so parallel runs do not collide.
 *
 * @example const vpc = await createPrivateNetwork(); vpc.setHosts({ "app.vpc.internal": "127.0.0.1" })
 */
export async function createPrivateNetwork(): Promise<PrivateNetwork> {
  const tag = `${process.pid.toString(36)}${randomInt(36 ** 3).toString(36)}`.slice(-6);
  const name = `iap-${tag}`;
  const hostLink = `iap${tag}h`;
  const namespaceLink = `iap${tag}n`;
  const subnet = `10.213.${randomInt(256)}.${randomInt(64) * 4}`;
  const base = subnet.split(".").map(Number);
  const hostAddress = `${base[0]}.${base[1]}.${base[2]}.${(base[3] ?? 0) + 1}`;
  const namespaceAddress = `${base[0]}.${base[1]}.${base[2]}.${(base[3] ?? 0) + 2}`;
  const processes = new Set<NamespaceProcess>();
  const hostsFile = join(namespacesDir, name, "hosts");
  const setHosts = (hosts: Readonly<Record<string, string>>): void => {
    const lines = [
      "127.0.0.1 localhost",
      ...Object.entries(hosts).map(([host, address]) => `${address} ${host}`),
    ];
    writeFileSync(hostsFile, `${lines.join("\n")}\n`);
  };

  const destroy = async (): Promise<void> => {
    await Promise.all([...processes].map((each) => each.stop()));
    await run("ip", ["netns", "del", name]).catch(() => undefined);
    await run("ip", ["link", "del", hostLink]).catch(() => undefined);
    rmSync(dirname(hostsFile), { recursive: true, force: true });
  };
  try {
    mkdirSync(dirname(hostsFile), { recursive: true });
    setHosts({});
    await run("ip", ["netns", "add", name]);
    await run("ip", ["link", "add", hostLink, "type", "veth", "peer", "name", namespaceLink]);
    await run("ip", ["link", "set", namespaceLink, "netns", name]);
    await run("ip", ["addr", "add", `${hostAddress}/30`, "dev", hostLink]);
    await run("ip", ["link", "set", hostLink, "up"]);
    const inside = (...args: string[]) => run("ip", ["netns", "exec", name, "ip", ...args]);
    await inside("addr", "add", `${namespaceAddress}/30`, "dev", namespaceLink);
    await inside("link", "set", namespaceLink, "up");
    await inside("link", "set", "lo", "up");
  } catch (error) {
    await destroy();
    throw error;
  }

  return {
    name,
    hostAddress,
    namespaceAddress,
    setHosts,
    async start(options) {
      const started = await startInNamespace(name, namespaceAddress, options);
      processes.add(started);
      return started;
    },
    destroy,
  };
}

async function startInNamespace(
  name: string,
  namespaceAddress: string,
  options: NamespaceProcessOptions,
): Promise<NamespaceProcess> {
  const logFile = join(testLogsDir, options.logName);
  mkdirSync(dirname(logFile), { recursive: true });
  const log = createWriteStream(logFile, { flags: "a" });
  // As startService: a minimal environment, so nothing of the developer's own leaks in.
  const env: Record<string, string> = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp" };
  for (const [key, value] of Object.entries(options.env ?? {})) if (value !== undefined) env[key] = value;
  const child = spawn("ip", ["netns", "exec", name, options.command, ...(options.args ?? [])], {
    env,
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const collect = (chunk: Buffer): void => {
    output += chunk.toString("utf8");
    log.write(chunk);
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
      await exited;
      clearTimeout(timer);
    }
    await new Promise<void>((resolve) => log.end(resolve));
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(`${options.command} exited before it was ready; output:\n${output}`);
    }
    if (options.readyPattern?.test(output) === true) break;
    if (options.readyPort !== undefined && (await accepts(namespaceAddress, options.readyPort))) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${options.command} was not ready within 15 s; output:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { process: child, output: () => output, stop };
}

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** A TCP relay: connections to `listenHost`:port (chosen here) are joined to 127.0.0.1:`targetPort`. */
export interface TcpRelay {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Relays a port of this machine's loopback to an address the namespace can reach (its link's
 * `hostAddress`): a service that listens on 127.0.0.1 here becomes reachable inside the VPC.
 *
 * @example const relay = await startTcpRelay(vpc.hostAddress, localAwsPort)
 */
export async function startTcpRelay(listenHost: string, targetPort: number): Promise<TcpRelay> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, "127.0.0.1");
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("error", () => socket.destroy());
      socket.on("close", () => sockets.delete(socket));
    }
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, listenHost, resolve);
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
