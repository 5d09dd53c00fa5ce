import { createCallRecorder, type CallRecorder } from "./call-recorder.js";
import type { LocalAwsConfig } from "./config.js";
import { createDirectory, type Directory } from "./directory.js";
import { createSessionStore, type SessionStore } from "./session-store.js";

/** Every secret this process knows or produced, so tests can prove none of them reached a log. */
export interface SecretLedger {
  add(secret: string): void;
  list(): string[];
}

/** Everything a local AWS instance holds. */
export interface LocalAwsState {
  readonly clock: () => Date;
  readonly directory: Directory;
  readonly sessions: SessionStore;
  readonly calls: CallRecorder;
  readonly secrets: SecretLedger;
}

/** `onNewSecret` is told whenever a secret joins the ledger (e.g. to persist the list). */
export function createLocalAwsState(
  config: LocalAwsConfig,
  clock: () => Date,
  onNewSecret: () => void = () => undefined,
): LocalAwsState {
  const directory = createDirectory(config, clock());
  const known = new Set<string>(directory.configuredSecrets);
  return {
    clock,
    directory,
    sessions: createSessionStore(),
    calls: createCallRecorder(),
    secrets: {
      add(secret) {
        if (known.has(secret)) return;
        known.add(secret);
        onNewSecret();
      },
      list: () => [...known],
    },
  };
}
