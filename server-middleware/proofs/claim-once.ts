import { IamAuthError } from "../errors.js";
import type { ReplayStore } from "../stores/replay-store.js";

/**
 * Claims a one-time key in the replay store, or throws: IamAuthError TOKEN_REPLAYED (403,
 * `replayMessage`) when it was already used; the store's own IamAuthError (e.g.
 * REPLAY_STORE_FULL) as is; any other store failure as REPLAY_STORE_UNAVAILABLE (503). A store
 * failure never lets a proof through: without the check, a replay could not be told apart.
 *
 * @example await claimOnce(store, `sts-nonce:${nonce}`, expiresAt, "The STS proof has already been used")
 */
export async function claimOnce(
  store: ReplayStore,
  key: string,
  expiresAt: Date,
  replayMessage: string,
): Promise<void> {
  let claimed: boolean;
  try {
    claimed = await store.claim(key, expiresAt);
  } catch (error) {
    if (error instanceof IamAuthError) throw error;
    throw new IamAuthError("REPLAY_STORE_UNAVAILABLE", "The replay store failed; try again later", {
      cause: error,
    });
  }
  if (claimed !== true) throw new IamAuthError("TOKEN_REPLAYED", replayMessage);
}
