import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/*
 * Keeps a JSON file `{"secrets": [...]}` in step with the secrets local AWS knows or issued, so
 * the test audit can grep every log for them even after this process is gone. Writes are
 * batched (a burst of calls costs one write) and atomic (temp file + rename).
 */

export interface SecretsFileWriter {
  /** Schedules a write shortly; calls within the delay share it. */
  schedule(): void;
  /** Writes now, synchronously (used at start-up and shutdown). */
  flush(): void;
}

/**
 * @example
 * const writer = createSecretsFileWriter("test-logs/x/aws-secrets.json", () => state.secrets.list(), onError);
 * writer.flush();
 */
export function createSecretsFileWriter(
  path: string,
  list: () => readonly string[],
  onError: (error: Error) => void,
  delayMs = 20,
): SecretsFileWriter {
  let timer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    try {
      mkdirSync(dirname(path), { recursive: true });
      const temp = `${path}.${process.pid}.tmp`;
      writeFileSync(temp, `${JSON.stringify({ secrets: list() }, null, 2)}\n`, { mode: 0o600 });
      renameSync(temp, path);
    } catch (error) {
      onError(error instanceof Error ? error : new Error(String(error)));
    }
  };
  return {
    schedule() {
      timer ??= setTimeout(flush, delayMs);
    },
    flush,
  };
}
