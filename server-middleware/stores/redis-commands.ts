/**
 * The few Redis commands the shared stores send, as node-redis v5 spells them. A client from
 * `createClient()` (one server, or a Sentinel-managed primary via `createSentinel()`) or from
 * `createCluster()` fits: every command names exactly one key, so a Cluster routes it to one slot.
 */
export interface RedisCommands {
  set(
    key: string,
    value: string,
    options: {
      condition?: "NX";
      expiration: { type: "PX"; value: number };
    },
  ): Promise<unknown>;
  exists(key: string): Promise<number>;
}

/** Something that can be asked whether Redis answers now (`PING`). */
export interface RedisPing {
  ping(): Promise<unknown>;
}
