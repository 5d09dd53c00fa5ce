import { describeValue as describe, isRecord } from "./describe-value.js";

/**
 * How many failed sign-ins one client address may make at `authPath` per window before it
 * gets `429`. A failure is any 4xx answer to a proof: malformed, refused by STS or KMS, a
 * replay, an identity that is not allowed.
 */
export interface FailedSignInLimitOptions {
  /** Failures allowed per address and window. Default 20 (1 to 100000). */
  readonly maxFailures?: number;
  /** The window, in seconds. Default 60 (1 to 86400). */
  readonly windowSeconds?: number;
}

/** The limit after validation; `false` when the app turned it off. */
export type ResolvedFailedSignInLimit =
  false | { readonly maxFailures: number; readonly windowSeconds: number };

export const DEFAULT_MAX_FAILED_SIGN_INS = 20;
export const DEFAULT_FAILED_SIGN_IN_WINDOW_SECONDS = 60;

/**
 * Reads `failedSignInLimit`: `false` (off), or `{ maxFailures, windowSeconds }`, each
 * defaulted. Problems are appended to `problems`, naming the option and the bad value.
 */
export function readFailedSignInLimit(
  value: unknown,
  problems: string[],
): ResolvedFailedSignInLimit | undefined {
  if (value === false) return false;
  if (value !== undefined && !isRecord(value)) {
    problems.push(
      `failedSignInLimit: must be false or { maxFailures, windowSeconds } (got ${describe(value)})`,
    );
    return undefined;
  }
  const input = value ?? {};
  let valid = true;
  for (const name of Object.keys(input)) {
    if (name !== "maxFailures" && name !== "windowSeconds") {
      problems.push(`failedSignInLimit.${name}: unknown option (known: maxFailures, windowSeconds)`);
      valid = false;
    }
  }
  const read = (name: "maxFailures" | "windowSeconds", fallback: number, max: number): number => {
    const field = input[name] ?? fallback;
    if (typeof field !== "number" || !Number.isInteger(field) || field < 1 || field > max) {
      problems.push(
        `failedSignInLimit.${name}: must be an integer from 1 to ${max} (got ${describe(field)})`,
      );
      valid = false;
    }
    return field as number;
  };
  const maxFailures = read("maxFailures", DEFAULT_MAX_FAILED_SIGN_INS, 100_000);
  const windowSeconds = read("windowSeconds", DEFAULT_FAILED_SIGN_IN_WINDOW_SECONDS, 86_400);
  return valid ? Object.freeze({ maxFailures, windowSeconds }) : undefined;
}
