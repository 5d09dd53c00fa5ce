import { describeSecret, describeValue as describe } from "./describe-value.js";
import { isPathPattern } from "../public-paths.js";

/*
 * The options about what a session is built on: the secrets that sign it, and the paths that
 * need none. Each reader reports every problem to `problems` and returns undefined when any.
 */

/** Shortest session secret accepted: 32 characters, the size of the HMAC-SHA256 key they become. */
export const MIN_SESSION_SECRET_LENGTH = 32;

/** `sessionSecrets`: a non-empty array of strings of at least MIN_SESSION_SECRET_LENGTH characters; values never shown. */
export function readSessionSecrets(value: unknown, problems: string[]): readonly string[] | undefined {
  if (!Array.isArray(value) || value.length === 0) {
    problems.push(
      `sessionSecrets: must be a non-empty array of secret strings (got ${describeSecret(value)})`,
    );
    return undefined;
  }
  const secrets = value as unknown[];
  let valid = true;
  secrets.forEach((secret, index) => {
    if (typeof secret !== "string" || secret.length < MIN_SESSION_SECRET_LENGTH) {
      problems.push(
        `sessionSecrets[${index}]: must be a string of at least ${MIN_SESSION_SECRET_LENGTH} characters (got ${describeSecret(secret)}, value not shown)`,
      );
      valid = false;
    }
  });
  return valid ? Object.freeze([...(secrets as string[])]) : undefined;
}

/** `publicPaths`: exact paths or `/prefix/*` patterns; default none. */
export function readPublicPaths(value: unknown, problems: string[]): readonly string[] | undefined {
  if (value === undefined) return Object.freeze([]);
  if (!Array.isArray(value)) {
    problems.push(`publicPaths: must be an array of paths (got ${describe(value)})`);
    return undefined;
  }
  const paths = value as unknown[];
  let valid = true;
  paths.forEach((path, index) => {
    if (typeof path !== "string" || !isPathPattern(path)) {
      problems.push(
        `publicPaths[${index}]: must be an exact path such as "/health" or a prefix such as "/static/*" (got ${describe(path)})`,
      );
      valid = false;
    }
  });
  return valid ? Object.freeze([...(paths as string[])]) : undefined;
}
