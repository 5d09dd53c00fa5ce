import type { KMSClient } from "@aws-sdk/client-kms";
import type { STSClient } from "@aws-sdk/client-sts";
import { timeAwsCall, type AwsCallName, type IamAuthMetrics } from "./metrics.js";
import type { StsClientFactory, StsFetch } from "../options/options.js";
import type { ReplayStore } from "../stores/replay-store.js";

/**
 * The STS method's fetch, timed: a presigned sts:GetCallerIdentity per sign-in. An answer that
 * is not 2xx counts as an error (AWS refused the proof, or STS is failing).
 */
export function timeStsFetch(fetch: StsFetch, metrics: IamAuthMetrics): StsFetch {
  return (url, init) =>
    timeAwsCall(
      metrics,
      "sts:GetCallerIdentity",
      () => fetch(url, init),
      (response) => !response.ok,
    );
}

/** A KMS client whose `send` (kms:Decrypt, the only call the middleware makes) is timed. */
export function timeKmsClient(client: KMSClient, metrics: IamAuthMetrics): KMSClient {
  return withTimedSend(client, metrics, "kms:Decrypt");
}

/** The KMS method's STS clients (sts:GetCallerIdentity with the decrypted credentials), timed. */
export function timeStsClientFactory(factory: StsClientFactory, metrics: IamAuthMetrics): StsClientFactory {
  return (credentials) => withTimedSend(factory(credentials), metrics, "sts:GetCallerIdentity");
}

/** A replay store whose failures are counted; answers and errors pass through unchanged. */
export function countReplayStoreErrors(store: ReplayStore, metrics: IamAuthMetrics): ReplayStore {
  const counted = <T>(operation: "claim" | "check", run: () => Promise<T>): Promise<T> =>
    run().catch((error: unknown) => {
      metrics.replayStoreErrors.inc({ operation });
      throw error;
    });
  const counting: ReplayStore = {
    claim: (key, expiresAt) => counted("claim", () => store.claim(key, expiresAt)),
  };
  // Only when the store has one: a store without check() counts as ready.
  if (store.check !== undefined)
    counting.check = () => counted("check", () => store.check?.() ?? Promise.resolve());
  if (store.close !== undefined) counting.close = () => store.close?.() ?? Promise.resolve();
  return counting;
}

// The caller's client is left as it is (it may be shared with the app): a view of it replaces `send`.
function withTimedSend<C extends KMSClient | STSClient>(
  client: C,
  metrics: IamAuthMetrics,
  call: AwsCallName,
): C {
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property !== "send") return Reflect.get(target, property, receiver) as unknown;
      return (...args: Parameters<C["send"]>) =>
        timeAwsCall(metrics, call, () =>
          (target.send as (...a: unknown[]) => Promise<unknown>).apply(target, args),
        );
    },
  });
}
