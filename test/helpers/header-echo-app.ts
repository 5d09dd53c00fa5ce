import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot, spawnService, type RunningService } from "./service.js";

/** What test/fixtures/gateway/header-echo-app.py answers: the request it saw. */
export interface EchoedRequest {
  readonly method: string;
  readonly path: string;
  /** Every header as received, names as sent, repeated ones in order. */
  readonly headers: [string, string][];
}

/** The values of a header the app received, matched without case. */
export function valuesOf(seen: EchoedRequest, name: string): string[] {
  return seen.headers.filter(([n]) => n.toLowerCase() === name.toLowerCase()).map(([, v]) => v);
}

/**
 * Starts the plain Python app (Debian's /usr/bin/python3, http.server) that knows nothing of
 * this project and answers every request with what it saw, as JSON. Log: test-logs/<suite>/python-app.log.
 */
export function startHeaderEchoApp(suite: string): Promise<RunningService> {
  return spawnService({
    command: "/usr/bin/python3",
    args: [join(repoRoot, "test", "fixtures", "gateway", "header-echo-app.py")],
    logName: `${suite}/python-app.log`,
    name: "the Python app",
    listening: /listening url=(\S+)/,
    toUrl: (url) => url,
    startTimeoutMs: 15_000,
  });
}

/** A gateway session secret (32 random bytes, hex) in a file of its own, mode 0600, in a new temporary folder. */
export function writeSessionSecret(): { readonly dir: string; readonly file: string } {
  const dir = mkdtempSync(join(tmpdir(), "iam-auth-gateway-secret-"));
  const file = join(dir, "session-secret");
  writeFileSync(file, randomBytes(32).toString("hex"), { mode: 0o600 });
  return { dir, file };
}
