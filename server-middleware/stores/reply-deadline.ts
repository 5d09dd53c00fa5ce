import type { RedisCommands, RedisPing } from "./redis-commands.js";

/**
 * A view of a Redis client in which every command fails once `timeoutMs` pass without a reply.
 *
 * node-redis's own command timeout covers only the wait to be sent: a command written to a Redis
 * that then stops answering (a hung server, a stalled network path) waits for ever, and with it
 * the sign-in (and, once its cached answer lapses, every signed-in request's revocation check).
 * Here the caller stops waiting; the command stays in node-redis's queue, so a late reply is
 * matched to the command it answers and to no other.
 *
 * @example const commands = withReplyDeadline(client, 1000); await commands.exists(key) // rejects after 1 s without a reply
 */
export function withReplyDeadline(
  client: RedisCommands & RedisPing,
  timeoutMs: number,
): RedisCommands & RedisPing {
  return {
    set: (key, value, options) => withDeadline("SET", timeoutMs, client.set(key, value, options)),
    exists: (key) => withDeadline("EXISTS", timeoutMs, client.exists(key)),
    ping: () => withDeadline("PING", timeoutMs, client.ping()),
  };
}

function withDeadline<T>(command: string, timeoutMs: number, reply: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const error = new Error(`Redis did not answer ${command} within ${timeoutMs} ms`);
      error.name = "TimeoutError";
      reject(error);
    }, timeoutMs);
  });
  return Promise.race([reply, expired]).finally(() => clearTimeout(timer));
}
