import { existsSync } from "node:fs";
import { open } from "node:fs/promises";
import type { Server, Socket } from "node:net";
import { ProxyError } from "../common/errors.js";
import type { ProxyLogger } from "../common/log.js";
import { isLoopbackAddress } from "./bind-address.js";
import { writeRawProxyError } from "./http-messages.js";
import {
  canonicalAddress,
  parseProcNetTcpLine,
  type ProcNetTcpEntry,
  type TcpEndpoint,
} from "./proc-net-tcp.js";

/** The kernel's tables of TCP sockets (Linux); IPv4 sockets are in the first, IPv6 ones in the second. */
export const PROC_NET_TCP_FILES = Object.freeze(["/proc/net/tcp", "/proc/net/tcp6"] as const);

/**
 * Reads one of PROC_NET_TCP_FILES as it comes, in chunks of text; tests pass their own. The
 * lookup stops reading at the row it wants, and the kernel writes rows only as they are read.
 */
export type ProcFileReader = (path: string) => AsyncIterable<string>;

// A few dozen rows a read. Reading the whole table costs the kernel a walk of every bucket of its
// connection hash (4-5 ms on a 2-core VM even with 10 sockets): stopping at the client's row
// saves the rest of the walk, half of it on average.
const readChunkBytes = 4096;

async function* readProcFile(path: string): AsyncGenerator<string> {
  const file = await open(path, "r");
  try {
    const buffer = Buffer.allocUnsafe(readChunkBytes);
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, readChunkBytes, null);
      if (bytesRead === 0) return;
      yield buffer.toString("latin1", 0, bytesRead);
    }
  } finally {
    await file.close();
  }
}

// A refused client has this long to read the 403 and hang up before the socket is destroyed.
const refusedLingerMs = 2000;

/**
 * The uid owning the socket at the other end of a loopback connection: the row of /proc/net/tcp
 * (then /proc/net/tcp6) whose local end is `client` and whose remote end is `server` (the
 * accepted socket's own row has them the other way round and belongs to the proxy). Undefined
 * when no row matches, e.g. the client has already gone.
 *
 * @example await findLocalPeerUid({ address: socket.remoteAddress, port: socket.remotePort }, { address: socket.localAddress, port: socket.localPort }) // 1000
 */
export async function findLocalPeerUid(
  client: TcpEndpoint,
  server: TcpEndpoint,
  read: ProcFileReader = readProcFile,
): Promise<number | undefined> {
  return (await findLocalPeerUids([{ client, server }], read))[0];
}

/** One connection as each end sees it: `client` is the accepted socket's remote end, `server` its local end. */
export interface LocalConnection {
  readonly client: TcpEndpoint;
  readonly server: TcpEndpoint;
}

/**
 * findLocalPeerUid for several connections with one read of the tables, in `connections`' order.
 *
 * @example await findLocalPeerUids([{ client, server }, { client: other, server }]) // [1000, 65534]
 */
export async function findLocalPeerUids(
  connections: readonly LocalConnection[],
  read: ProcFileReader = readProcFile,
): Promise<(number | undefined)[]> {
  const uids: (number | undefined)[] = connections.map(() => undefined);
  const wanted = new Map<string, number>();
  connections.forEach(({ client, server }, index) => {
    wanted.set(
      rowKey(canonicalAddress(client.address), client.port, canonicalAddress(server.address), server.port),
      index,
    );
  });
  // IPv4 clients are almost always in tcp, so tcp6 is read only for what is not found there.
  const allIpv6 = connections.every(({ client }) => canonicalAddress(client.address).includes(":"));
  const order = allIpv6 ? [...PROC_NET_TCP_FILES].reverse() : PROC_NET_TCP_FILES;
  for (const path of order) {
    if (wanted.size === 0) break;
    await findRows(path, read, (entry) => {
      const key = rowKey(entry.local.address, entry.local.port, entry.remote.address, entry.remote.port);
      const index = wanted.get(key);
      if (index !== undefined) {
        uids[index] = entry.uid;
        wanted.delete(key);
      }
      return wanted.size === 0;
    });
  }
  return uids;
}

function rowKey(localAddress: string, localPort: number, remoteAddress: string, remotePort: number): string {
  return `${localAddress} ${localPort} ${remoteAddress} ${remotePort}`;
}

/**
 * findLocalPeerUid, with lookups coalesced: one made while the tables are being read waits for
 * the next read (its row may already have been passed), which serves every lookup made meanwhile.
 * A browser opening six connections at once then costs two reads, not six.
 */
function createPeerUidLookup(
  read: ProcFileReader,
): (connection: LocalConnection) => Promise<number | undefined> {
  interface Waiting {
    readonly connection: LocalConnection;
    resolve(uid: number | undefined): void;
    reject(error: unknown): void;
  }
  let waiting: Waiting[] = [];
  let reading = false;
  async function readForWaiting(): Promise<void> {
    reading = true;
    while (waiting.length > 0) {
      const batch = waiting;
      waiting = [];
      try {
        const uids = await findLocalPeerUids(
          batch.map((each) => each.connection),
          read,
        );
        batch.forEach((each, index) => each.resolve(uids[index]));
      } catch (error) {
        for (const each of batch) each.reject(error);
      }
    }
    reading = false;
  }
  return (connection) =>
    new Promise((resolve, reject) => {
      waiting.push({ connection, resolve, reject });
      if (!reading) void readForWaiting();
    });
}

/** Calls `visit` with each row of the table at `path` until it returns true; reading stops there. */
async function findRows(
  path: string,
  read: ProcFileReader,
  visit: (entry: ProcNetTcpEntry) => boolean,
): Promise<void> {
  let partial = "";
  try {
    for await (const chunk of read(path)) {
      const lines = (partial + chunk).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) {
        const entry = parseProcNetTcpLine(line);
        if (entry !== undefined && visit(entry)) return;
      }
    }
  } catch (error) {
    // A kernel without IPv6 has no tcp6: nothing to find there.
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  const last = parseProcNetTcpLine(partial);
  if (last !== undefined) visit(last);
}

/** createLocalUserGuard's options. */
export interface LocalUserGuardOptions {
  /** Let every local OS user use the proxy (`--allow-other-users`). Default false. */
  readonly allowOtherUsers?: boolean;
  readonly logger: ProxyLogger;
  /** The only uid served. Default `process.getuid()`. */
  readonly ownUid?: number;
  /** Reads the kernel's tables. Default: readFile. */
  readonly read?: ProcFileReader;
  /** Whether this system has /proc/net/tcp. Default: looked up once. */
  readonly available?: boolean;
}

/** Makes servers serve loopback connections from this OS user only. */
export interface LocalUserGuard {
  /**
   * From now on, `server` (an http.Server, before it listens) hands a new loopback connection
   * to HTTP only once its owner is known to be this OS user; any other user's connection gets
   * one 403 OTHER_USER_REFUSED and is closed, before a byte of its request is parsed.
   * Connections from other addresses are handed on at once (a non-loopback bind is warned about
   * when it listens). Keep-alive requests on a connection cost nothing more.
   */
  protect(server: Server): void;
  /**
   * Destroys the connections protect()'s servers hold outside HTTP — waiting for their owner to
   * be found, or refused and lingering — which server.closeAllConnections() cannot see. Call it
   * when closing the servers, or their close waits for those connections.
   */
  destroyHeld(): void;
}

/**
 * Why: loopback is shared by every account on a machine (a bastion, a shared dev box), and the
 * proxy acts as the person with their AWS identity; without this, any local user could
 * `curl -x http://127.0.0.1:8080 …` and be signed in to apps as them. Logs one warning here
 * when the system has no /proc/net/tcp (macOS, Windows): the proxy then serves every local user.
 *
 * @example
 * const guard = createLocalUserGuard({ logger });
 * const server = http.createServer(handler);
 * guard.protect(server);
 */
export function createLocalUserGuard(options: LocalUserGuardOptions): LocalUserGuard {
  const { logger } = options;
  const read = options.read ?? readProcFile;
  const ownUid = options.ownUid ?? process.getuid?.();
  const available = options.available ?? (ownUid !== undefined && existsSync(PROC_NET_TCP_FILES[0]));
  const unguarded: LocalUserGuard = Object.freeze({ protect: () => undefined, destroyHeld: () => undefined });
  if (options.allowOtherUsers === true) return unguarded;
  if (!available) {
    warnUnchecked(logger);
    return unguarded;
  }

  const lookUpUid = createPeerUidLookup(read);
  // Connections accepted but not (yet, or ever) handed to HTTP.
  const held = new Set<Socket>();
  const hold = (socket: Socket): void => {
    held.add(socket);
    socket.once("close", () => held.delete(socket));
  };

  function refuse(socket: Socket, uid: number | undefined, reason?: string): void {
    logger.warn("client", {
      outcome: "refused",
      code: "OTHER_USER_REFUSED",
      uid: uid ?? "unknown",
      ...(reason === undefined ? {} : { reason }),
    });
    const from = uid === undefined ? "a connection whose OS user could not be found" : `uid ${uid}`;
    writeRawProxyError(
      socket,
      new ProxyError(
        "OTHER_USER_REFUSED",
        `This proxy acts for OS user uid ${ownUid}, not for ${from}: run your own proxy (or start this one with --allow-other-users)`,
      ),
    );
    // Read and drop whatever the client sent, so closing does not reset the connection before
    // the 403 is read; then give it a moment to hang up.
    socket.resume();
    socket.setTimeout(refusedLingerMs, () => socket.destroy());
  }

  return Object.freeze({
    protect(server: Server): void {
      // http.Server parses a connection in its own 'connection' listener: it runs only once the
      // owner is checked (emitting 'connection' is how Node lets sockets be handed to HTTP).
      const handOn = server.listeners("connection") as ((socket: Socket) => void)[];
      server.removeAllListeners("connection");
      server.on("connection", (socket: Socket) => {
        const { remoteAddress, remotePort, localAddress, localPort } = socket;
        if (remoteAddress === undefined || !isLoopbackAddress(remoteAddress)) {
          for (const listener of handOn) listener.call(server, socket);
          return;
        }
        const onEarlyError = (): void => void socket.destroy();
        socket.on("error", onEarlyError);
        hold(socket);
        lookUpUid({
          client: { address: remoteAddress, port: remotePort ?? 0 },
          server: { address: localAddress ?? "", port: localPort ?? 0 },
        }).then(
          (uid) => {
            if (socket.destroyed) return;
            if (uid !== ownUid) {
              refuse(socket, uid);
              return;
            }
            socket.off("error", onEarlyError);
            held.delete(socket);
            for (const listener of handOn) listener.call(server, socket);
          },
          (error: Error) => {
            if (!socket.destroyed) refuse(socket, undefined, error.message);
          },
        );
      });
    },
    destroyHeld(): void {
      for (const socket of held) socket.destroy();
      held.clear();
    },
  });
}

/**
 * Checks the factories' `allowOtherUsers` option, reporting a non-boolean to `problems`.
 *
 * @example checkAllowOtherUsers(undefined, problems) // false
 */
export function checkAllowOtherUsers(value: unknown, problems: string[]): boolean {
  if (value === undefined) return false;
  if (typeof value !== "boolean") {
    problems.push(`allowOtherUsers: must be true or false (got ${JSON.stringify(value)})`);
    return false;
  }
  return value;
}

function warnUnchecked(logger: ProxyLogger): void {
  logger.warn("warning", {
    message:
      "this system has no /proc/net/tcp: the proxy cannot check which OS user connects, so every " +
      "local user can use it to act as you",
  });
}
