import { createHash } from "node:crypto";

/** The key prefix shared stores use by default: one Redis can serve other programs too. */
export const DEFAULT_KEY_PREFIX = "iam-auth:";

/**
 * The Redis key for one entry: `<prefix><kind>:<sha256 of id, hex>`. The id is hashed because it
 * may be usable on its own (a nonce, a session id): whoever can list the keys (`SCAN`, a backup,
 * a replica) must not learn anything they could present. SHA-256 is one-way and keeps keys
 * distinct; the length is fixed whatever the id.
 *
 * @example storeKey("iam-auth:", "replay", "sts-nonce:abc") // "iam-auth:replay:6f1e…"
 */
export function storeKey(prefix: string, kind: "replay" | "revoked", id: string): string {
  return `${prefix}${kind}:${createHash("sha256").update(id).digest("hex")}`;
}

/**
 * What is wrong with a key prefix given as `option`, or undefined when it is fine: up to 64
 * printable ASCII characters without spaces.
 *
 * @example describeKeyPrefixProblem("--redis-key-prefix", "a b") // "--redis-key-prefix: must be …"
 */
export function describeKeyPrefixProblem(option: string, value: unknown): string | undefined {
  return typeof value === "string" && /^[\x21-\x7e]{0,64}$/.test(value)
    ? undefined
    : `${option}: must be up to 64 printable ASCII characters without spaces, such as "reports:" (got ${JSON.stringify(value)})`;
}
