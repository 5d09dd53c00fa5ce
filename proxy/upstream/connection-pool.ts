import type { Socket } from "node:net";

/** Who is using a connection: one request at a time gets its events. */
export interface ConnectionUser {
  onData(chunk: Buffer): void;
  /** The app closed its side (FIN). */
  onEnd(): void;
  /** The connection failed or was closed; `error` when it failed. */
  onClosed(error: Error | undefined): void;
  /** No bytes moved for the time set with setTimeout. */
  onTimeout(): void;
}

/**
 * A connection to an app that carries one request at a time. Its listeners are attached once,
 * when it is opened, and pass each event to the request using it (or, while it waits in the
 * pool, close it): no listeners added and removed per request.
 */
export class AppConnection {
  user: ConnectionUser | undefined;
  #closedError: Error | undefined;

  constructor(
    readonly socket: Socket,
    /** The pool's key: scheme, host and port. */
    readonly origin: string,
    private readonly pool: ConnectionPool,
  ) {
    pool.track(this);
    socket.on("data", (chunk: Buffer) => {
      if (this.user === undefined) this.destroy();
      else this.user.onData(chunk);
    });
    socket.on("end", () => {
      if (this.user === undefined) this.destroy();
      else this.user.onEnd();
    });
    socket.on("timeout", () => {
      if (this.user === undefined) this.destroy();
      else this.user.onTimeout();
    });
    socket.on("error", (error: Error) => {
      this.#closedError ??= error;
    });
    socket.on("close", () => {
      this.pool.forget(this);
      const user = this.user;
      this.user = undefined;
      user?.onClosed(this.#closedError);
    });
  }

  get usable(): boolean {
    return !this.socket.destroyed && this.socket.readable && this.socket.writable;
  }

  destroy(error?: Error): void {
    if (error !== undefined) this.#closedError ??= error;
    this.socket.destroy();
  }

  /**
   * Hands the connection over for another protocol (a 101): the pool's listeners are removed
   * and it is never pooled again; an error listener stays, so a late error cannot crash the proxy.
   */
  detach(): Socket {
    const socket = this.socket;
    this.user = undefined;
    this.pool.forget(this);
    for (const event of ["data", "end", "timeout", "error", "close"]) socket.removeAllListeners(event);
    socket.on("error", () => socket.destroy());
    socket.setTimeout(0);
    // Neither flowing nor paused, as a fresh stream: the next reader's 'data' listener or pipe()
    // starts it, and nothing read meanwhile is lost (node:http's client does the same on upgrade).
    socket.pause();
    (socket as { readableFlowing: boolean | null }).readableFlowing = null;
    return socket;
  }
}

// Node's http server closes an idle keep-alive connection after 5 s; coming back to it after
// that races the close. Giving it up a little earlier avoids the race (undici does the same).
const DEFAULT_IDLE_MS = 4_000;
// A server's own Keep-Alive timeout is trusted minus this margin, for the same race.
const IDLE_MARGIN_MS = 1_000;
// Idle connections kept per app. A burst of clients (a page's requests, a script's parallel
// calls) would otherwise leave one idle connection per request in flight, each a socket and its
// buffers on both sides, for 4 s; this many cover a steady load of as many concurrent requests
// (nginx's `keepalive` is a cap of the same kind; Go's default is 2).
const MAX_IDLE_PER_ORIGIN = 64;

/**
 * Idle keep-alive connections to apps, by origin; the most recently used is taken first (it is
 * the least likely to have been closed by the app meanwhile).
 *
 * @example const connection = pool.take("http://app:3000") ?? new AppConnection(await connect(origin), "http://app:3000", pool)
 */
export class ConnectionPool {
  readonly #idle = new Map<string, AppConnection[]>();
  /** Every open connection, idle or in use, for destroy(). */
  readonly #open = new Set<AppConnection>();
  #destroyed = false;

  /** Counts a new connection as open (called by its constructor); one made after destroy() is closed. */
  track(connection: AppConnection): void {
    if (this.#destroyed) queueMicrotask(() => connection.destroy());
    else this.#open.add(connection);
  }

  /** An idle connection to `origin` that still looks open, taken out of the pool. */
  take(origin: string): AppConnection | undefined {
    const idle = this.#idle.get(origin);
    if (idle === undefined) return undefined;
    let connection = idle.pop();
    while (connection !== undefined && !connection.usable) {
      connection.destroy();
      connection = idle.pop();
    }
    if (idle.length === 0) this.#idle.delete(origin);
    // Its idle timer is left running: the request taking it sets its own head timeout at once.
    return connection;
  }

  /**
   * Puts a connection whose response has ended back, to be closed after it has been idle for
   * DEFAULT_IDLE_MS, or for less when the app said it keeps it for less (`Keep-Alive: timeout=N`);
   * closed at once when MAX_IDLE_PER_ORIGIN connections to its app are idle already.
   */
  keep(connection: AppConnection, keepAliveSeconds: number | undefined): void {
    const idleMs =
      keepAliveSeconds === undefined
        ? DEFAULT_IDLE_MS
        : Math.min(DEFAULT_IDLE_MS, keepAliveSeconds * 1000 - IDLE_MARGIN_MS);
    if (this.#destroyed || idleMs <= 0 || !connection.usable) {
      connection.destroy();
      return;
    }
    connection.user = undefined;
    connection.socket.setTimeout(idleMs);
    let idle = this.#idle.get(connection.origin);
    if (idle === undefined) this.#idle.set(connection.origin, (idle = []));
    if (idle.length >= MAX_IDLE_PER_ORIGIN) {
      connection.destroy();
      return;
    }
    idle.push(connection);
  }

  /** Takes a closed connection out of the pool (called when its socket closes). */
  forget(connection: AppConnection): void {
    this.#open.delete(connection);
    const idle = this.#idle.get(connection.origin);
    const at = idle?.indexOf(connection) ?? -1;
    if (idle === undefined || at < 0) return;
    idle.splice(at, 1);
    if (idle.length === 0) this.#idle.delete(connection.origin);
  }

  /** Closes every connection, idle or in use; requests still on them fail, as the forwarding code reports. */
  destroy(): void {
    this.#destroyed = true;
    for (const connection of [...this.#open]) connection.destroy();
    this.#open.clear();
    this.#idle.clear();
  }
}
