/**
 * Where the middleware keeps what must be shared between the instances of an app: used proofs
 * (`ReplayStore`, in ../replay-store.ts) and signed-out sessions (`RevocationStore`), in memory
 * for one process or in Redis for several (`createRedisStores`).
 */
export type { RevocationStore } from "./revocation-store.js";
export { MemoryRevocationStore, type MemoryRevocationStoreOptions } from "./memory-revocation-store.js";
export { RedisReplayStore, type RedisReplayStoreOptions } from "./redis-replay-store.js";
export { RedisRevocationStore, type RedisRevocationStoreOptions } from "./redis-revocation-store.js";
export type { RedisCommands, RedisPing } from "./redis-commands.js";
export { createRedisStores, type RedisStores, type RedisStoresOptions } from "./redis-stores.js";
export { describeRedisUrlProblem, redactRedisUrl } from "./redis-url.js";
export { DEFAULT_KEY_PREFIX, describeKeyPrefixProblem } from "./store-key.js";
export { createRevocationCheck, REVOCATION_CACHE_MS, type RevocationCheck } from "./revocation-check.js";
