import { defaultCaDir, loadOrCreateCa, MitmError, type LocalCa } from "../../mitm/index.js";

/** The local CA, or the one-line reason it cannot be used (a MitmError's message: it says what to do). */
export type CaLoadResult =
  | { readonly kind: "loaded"; readonly ca: LocalCa }
  | { readonly kind: "failed"; readonly code: MitmError["code"]; readonly message: string };

/**
 * Loads the CA from `caDir` (default ~/.iam-auth-proxy), creating it on first use. A MitmError
 * (directory not writable, key readable by others, files damaged or expired, …) becomes a
 * "failed" result; anything else is a bug and is thrown.
 *
 * @example const result = await loadLocalCa(undefined); if (result.kind === "failed") console.error(result.message)
 */
export async function loadLocalCa(caDir: string | undefined): Promise<CaLoadResult> {
  try {
    return { kind: "loaded", ca: await loadOrCreateCa(caDir ?? defaultCaDir()) };
  } catch (error) {
    if (!(error instanceof MitmError)) throw error;
    return { kind: "failed", code: error.code, message: error.message };
  }
}
