import {
  Counter,
  Histogram,
  Registry,
  type CounterConfiguration,
  type HistogramConfiguration,
} from "prom-client";

/** The `metrics` option of `iamAuth()`: the prom-client registry its metrics are registered in. */
export interface IamAuthMetricsOptions {
  /** Where the metrics go; the app serves it (`await registry.metrics()`). Default: a registry of this instance's own. */
  readonly registry: Registry;
}

/** Which AWS call a timing is for. */
export type AwsCallName = "sts:GetCallerIdentity" | "kms:Decrypt";

/**
 * The middleware's metrics. Every label value comes from a fixed set (methods, outcomes, error
 * codes, AWS operations): never free text, an ARN or an address, so the series stay bounded.
 */
export interface IamAuthMetrics {
  readonly registry: Registry;
  /** iam_auth_sign_ins_total{method,outcome,reason}: one per /auth answer. */
  readonly signIns: Counter<"method" | "outcome" | "reason">;
  /** iam_auth_sign_in_duration_seconds{method,outcome}: from the /auth request to its answer. */
  readonly signInDuration: Histogram<"method" | "outcome">;
  /** iam_auth_sign_outs_total{outcome,reason}. */
  readonly signOuts: Counter<"outcome" | "reason">;
  /** iam_auth_aws_call_duration_seconds{call,outcome}: each STS and KMS call a sign-in makes. */
  readonly awsCallDuration: Histogram<"call" | "outcome">;
  /** iam_auth_aws_call_errors_total{call}: calls that failed or that AWS refused. */
  readonly awsCallErrors: Counter<"call">;
  /** iam_auth_replay_store_errors_total{operation}: the replay store failed (the sign-in answers 503). */
  readonly replayStoreErrors: Counter<"operation">;
}

/** Label value when a sign-in got no further than reading its token. */
export const UNKNOWN_METHOD = "unknown";
/** Label value of `reason` for a success. */
export const NO_REASON = "none";
/** The `method` label: a method the token was read as, or unknown. */
export type MethodLabel = "sts" | "kms" | typeof UNKNOWN_METHOD;

/**
 * Registers the middleware's metrics in `registry` (a new one by default). Two middleware
 * instances given one registry share the metrics rather than clash: prom-client refuses a
 * second metric of the same name, so an existing one is reused.
 *
 * @example const metrics = createIamAuthMetrics(registry); metrics.signIns.inc({ method: "sts", outcome: "success", reason: "none" });
 */
export function createIamAuthMetrics(registry: Registry = new Registry()): IamAuthMetrics {
  return {
    registry,
    signIns: counter(registry, {
      name: "iam_auth_sign_ins_total",
      help: "Sign-ins at the auth path, by method (sts, kms, unknown), outcome (success, refused, failed) and reason (the error code; none on success).",
      labelNames: ["method", "outcome", "reason"],
    }),
    signInDuration: histogram(registry, {
      name: "iam_auth_sign_in_duration_seconds",
      help: "Time from a sign-in request to its answer, by method and outcome.",
      labelNames: ["method", "outcome"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    }),
    signOuts: counter(registry, {
      name: "iam_auth_sign_outs_total",
      help: "Sign-outs, by outcome (success, refused) and reason (the error code; none on success).",
      labelNames: ["outcome", "reason"],
    }),
    awsCallDuration: histogram(registry, {
      name: "iam_auth_aws_call_duration_seconds",
      help: "Duration of the AWS calls sign-ins make (sts:GetCallerIdentity, kms:Decrypt), by outcome (ok, error).",
      labelNames: ["call", "outcome"],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    }),
    awsCallErrors: counter(registry, {
      name: "iam_auth_aws_call_errors_total",
      help: "AWS calls that failed or were refused (an error answer), by call.",
      labelNames: ["call"],
    }),
    replayStoreErrors: counter(registry, {
      name: "iam_auth_replay_store_errors_total",
      help: "Replay store operations that failed, by operation (claim, check).",
      labelNames: ["operation"],
    }),
  };
}

/**
 * Times one AWS call: its duration by outcome, and an error count when it throws or `failed`
 * says its answer was an error (a fetch resolves with AWS's 403, for instance).
 */
export async function timeAwsCall<T>(
  metrics: IamAuthMetrics,
  call: AwsCallName,
  run: () => Promise<T>,
  failed: (result: T) => boolean = () => false,
): Promise<T> {
  const stop = metrics.awsCallDuration.startTimer({ call });
  try {
    const result = await run();
    const outcome = failed(result) ? "error" : "ok";
    stop({ outcome });
    if (outcome === "error") metrics.awsCallErrors.inc({ call });
    return result;
  } catch (error) {
    stop({ outcome: "error" });
    metrics.awsCallErrors.inc({ call });
    throw error;
  }
}

function counter<T extends string>(registry: Registry, config: CounterConfiguration<T>): Counter<T> {
  const existing = registry.getSingleMetric(config.name);
  if (existing instanceof Counter) return existing;
  return new Counter({ ...config, registers: [registry] });
}

function histogram<T extends string>(registry: Registry, config: HistogramConfiguration<T>): Histogram<T> {
  const existing = registry.getSingleMetric(config.name);
  if (existing instanceof Histogram) return existing;
  return new Histogram({ ...config, registers: [registry] });
}
