import type { SignInRefusal } from "./auth-refusal.js";

/** The apps' recent refusals of the person's identity, so a page and its favicon cost one refused sign-in. */
export interface RefusalMemory {
  /** Keeps the app's refusal for the memory's lifetime (nothing when the lifetime is 0). */
  remember(origin: string, refusal: SignInRefusal): void;
  /** The app's refusal and how many ms it is kept still, if one was remembered and has not expired. */
  recall(origin: string): { readonly refusal: SignInRefusal; readonly leftMs: number } | undefined;
}

// Refusals remembered at most, for as many apps; the oldest is forgotten first.
const MAX_REMEMBERED_REFUSALS = 100;

/**
 * Creates the memory: each app's (`origin`, see originOf) last refusal for `lifetimeMs`, at most
 * 100 apps, the oldest forgotten first.
 *
 * @example const memory = createRefusalMemory(30_000, Date.now); memory.remember("app:3000", refusal); memory.recall("app:3000")?.leftMs // 30000
 */
export function createRefusalMemory(lifetimeMs: number, clock: () => number): RefusalMemory {
  const refusals = new Map<string, { readonly refusal: SignInRefusal; readonly until: number }>();
  return {
    remember(origin, refusal) {
      if (lifetimeMs <= 0) return;
      refusals.delete(origin);
      refusals.set(origin, { refusal, until: clock() + lifetimeMs });
      // Maps iterate in insertion order: the first key is the oldest refusal.
      for (const oldest of refusals.keys()) {
        if (refusals.size <= MAX_REMEMBERED_REFUSALS) break;
        refusals.delete(oldest);
      }
    },
    recall(origin) {
      const remembered = refusals.get(origin);
      if (remembered === undefined) return undefined;
      const leftMs = remembered.until - clock();
      if (leftMs > 0) return { refusal: remembered.refusal, leftMs };
      refusals.delete(origin);
      return undefined;
    },
  };
}
