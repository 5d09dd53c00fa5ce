/*
 * Distinct host names for one app on loopback, without /etc/hosts: Linux routes the whole
 * 127.0.0.0/8 block to the loopback interface, so 127.0.0.2, 127.0.0.3, … are each a host of
 * their own (to a proxy's certificate cache, to TLS name checks) and all reach a server that
 * listens on them. Pure.
 */

/** The most extra hosts: 127.0.0.2 to 127.0.0.251. */
export const maxExtraLoopbackHosts = 250;

/**
 * `count` loopback addresses after 127.0.0.1, in order.
 *
 * @example extraLoopbackHosts(2) // ["127.0.0.2", "127.0.0.3"]
 */
export function extraLoopbackHosts(count: number): string[] {
  if (!Number.isInteger(count) || count < 0 || count > maxExtraLoopbackHosts) {
    throw new TypeError(
      `extraLoopbackHosts: count must be an integer from 0 to ${maxExtraLoopbackHosts} (got ${String(count)})`,
    );
  }
  return Array.from({ length: count }, (_, index) => `127.0.0.${index + 2}`);
}
