/**
 * Polls `condition` every 50 ms until it holds, failing with `what` (and the last error the
 * condition threw, if any) after `timeoutMs`. For recovery that takes an unknown time: a client
 * reconnecting, a port open again. Never a sleep standing in for a wait.
 *
 * @example await eventually("a sign-in works again", async () => (await signIn()).status === 200)
 */
export async function eventually(
  what: string,
  condition: () => Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await condition()) return;
      last = undefined;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      const why = last instanceof Error ? `; last error: ${last.message}` : "";
      throw new Error(`not within ${timeoutMs} ms: ${what}${why}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
