import type { RequestHandler } from "express";

/** Where the gateway answers whether it can sign people in now. */
export const READY_PATH = "/readyz";

/** One thing readiness depends on: `check` rejects, saying why, when it is unusable now. */
export interface ReadinessCheck {
  readonly name: string;
  readonly check: () => Promise<void>;
}

/**
 * GET /readyz: 200 `{"status":"ready","checks":{…:"ok"}}` when every check passes, else 503
 * `{"status":"not-ready","checks":{…:"<why>"}}`, never cached. A load balancer takes an instance
 * that cannot reach its shared store (Redis) out of rotation for new sign-ins this way; sessions
 * it already issued keep working at the others. The checks are the stores' `check()` (see
 * `ReplayStore.check`); with none given it is always ready.
 *
 * @example app.get(READY_PATH, createReadinessRoute([{ name: "replayStore", check: () => store.check() }]))
 */
export function createReadinessRoute(checks: readonly ReadinessCheck[]): RequestHandler {
  return (_req, res, next) => {
    Promise.all(
      checks.map(({ name, check }) =>
        check().then(
          () => [name, "ok"] as const,
          (error: unknown) => [name, error instanceof Error ? error.message : String(error)] as const,
        ),
      ),
    )
      .then((results) => {
        const ready = results.every(([, outcome]) => outcome === "ok");
        res
          .status(ready ? 200 : 503)
          .set("Cache-Control", "no-store")
          .json({ status: ready ? "ready" : "not-ready", checks: Object.fromEntries(results) });
      })
      .catch(next);
  };
}
