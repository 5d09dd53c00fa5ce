import type { IncomingMessage, ServerResponse } from "node:http";
/** A store /readyz asks (a ReplayStore, a RevocationStore): its optional check rejects when it is unusable now. */
export interface ReadinessSource {
  check?(): Promise<void>;
}

/** The process is up. */
export const HEALTH_PATH = "/healthz";
/** The process can sign people in now (and is not shutting down). */
export const READY_PATH = "/readyz";
/** How long /readyz waits for each store's check. */
const CHECK_TIMEOUT_MS = 2000;

/** The answers of /healthz and /readyz, and the shutdown state they report. */
export interface Health {
  /** Answers GET or HEAD /healthz and /readyz and returns true; returns false for any other request. */
  answer(req: IncomingMessage, res: ServerResponse): boolean;
  /** From now on /readyz answers 503, so load balancers stop sending new work before the process stops. */
  setDraining(): void;
}

/**
 * /healthz: `200 ok` while the process runs. /readyz: `200 ready` when every store's `check()`
 * (those that have one: the replay store, the session revocation store) resolves within 2 s,
 * else `503 not ready: <store> unavailable` naming each store that failed (`replay store`,
 * `session revocation store`); `503 not ready: shutting down` once draining. The answers name
 * no host, key or error text: they are served before sign-in, to anyone.
 *
 * @example const health = createHealth({ replayStore, sessionRevocation }); app.use((req, res, next) => health.answer(req, res) || next());
 */
export function createHealth(options: {
  readonly replayStore?: ReadinessSource | undefined;
  readonly sessionRevocation?: ReadinessSource | undefined;
}): Health {
  let draining = false;
  const stores: readonly [string, ReadinessSource | undefined][] = [
    ["replay store", options.replayStore],
    ["session revocation store", options.sessionRevocation],
  ];
  const checkOne = async (store: ReadinessSource | undefined): Promise<boolean> => {
    if (store?.check === undefined) return true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("timed out")), CHECK_TIMEOUT_MS);
    });
    try {
      await Promise.race([store.check(), timeout]);
      return true;
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  };
  const readiness = async (): Promise<string | undefined> => {
    if (draining) return "shutting down";
    const results = await Promise.all(
      stores.map(async ([name, store]) => [name, await checkOne(store)] as const),
    );
    const failed = results.filter(([, ok]) => !ok).map(([name]) => `${name} unavailable`);
    return failed.length === 0 ? undefined : failed.join(", ");
  };
  return {
    setDraining: () => void (draining = true),
    answer(req, res) {
      const path = (req.url ?? "").split("?")[0];
      if (path !== HEALTH_PATH && path !== READY_PATH) return false;
      if (req.method !== "GET" && req.method !== "HEAD") {
        send(res, 405, "use GET", { Allow: "GET, HEAD" });
        return true;
      }
      if (path === HEALTH_PATH) {
        send(res, 200, "ok");
        return true;
      }
      void readiness().then((problem) =>
        send(
          res,
          problem === undefined ? 200 : 503,
          problem === undefined ? "ready" : `not ready: ${problem}`,
        ),
      );
      return true;
    },
  };
}

function send(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  const body = `${text}\n`;
  res.writeHead(status, {
    ...headers,
    "Content-Type": "text/plain; charset=utf-8",
    "Content-Length": Buffer.byteLength(body),
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
  });
  res.end(res.req?.method === "HEAD" ? undefined : body);
}
