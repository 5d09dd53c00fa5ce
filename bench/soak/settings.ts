import { readNameList, readNumberVariable, type NumberVariable } from "../env-settings.js";

/*
 * How `npm run soak` is sized, read once from SOAK_* environment variables (as `npm run bench`
 * reads BENCH_*). test/e2e/soak.test.ts builds small settings of its own with soakSettings().
 */

/** The two set-ups a soak drives: our proxy in front of the example server, or of the gateway (and a trivial app). */
export const soakTargetNames = ["example-server", "gateway"] as const;

export type SoakTargetName = (typeof soakTargetNames)[number];

/** How much load a soak gives each target, and what it accepts. */
export interface SoakSettings {
  /** SOAK_ONLY: comma-separated targets; default both, example server first. */
  readonly targets: readonly SoakTargetName[];
  /** SOAK_SIGN_INS: sign-ins measured, each a new client with no cookie. Default 5,000. */
  readonly signIns: number;
  /** SOAK_REQUESTS: signed-in requests measured after the sign-ins. Default 200,000. */
  readonly requests: number;
  /** SOAK_CONCURRENCY: clients signing in at once, and keep-alive connections of the requests. Default 50. */
  readonly concurrency: number;
  /**
   * SOAK_WARMUP_SIGN_INS: sign-ins before the first memory reading. Default as many as SOAK_SIGN_INS:
   * the middleware keeps up to 4,096 verified sessions in a cache, each proof in the replay store
   * for its 5 minutes and each address's failed sign-in count for a minute, so the servers' RSS
   * grows for the first few thousand sign-ins until those bounded stores are full; a smaller
   * warm-up would measure them filling (about 50–80 MB over 5,000 sign-ins), not a leak.
   */
  readonly warmupSignIns: number;
  /** SOAK_WARMUP_REQUESTS: signed-in requests before the first memory reading. Default a tenth of SOAK_REQUESTS. */
  readonly warmupRequests: number;
  /**
   * SOAK_RSS_GROWTH_PERCENT: how much a process's RSS after the soak may exceed its RSS after the
   * warm-up. Default 10.
   */
  readonly rssGrowthPercent: number;
  /**
   * SOAK_RSS_SLACK_MB: megabytes allowed on top of the percentage. Default 0. A short run (the one
   * in `npm test`) sets some: see test/e2e/soak.test.ts.
   */
  readonly rssSlackMegabytes: number;
  /**
   * SOAK_SETTLE_SECONDS: how long the open descriptors may take to fall back to the baseline
   * after the clients disconnected (kept-alive connections between the processes close on their
   * own idle timeouts, about 5 s). Default 30.
   */
  readonly settleSeconds: number;
}

/** The environment asks for a soak that cannot run; `problems` names each variable. */
export class SoakSettingsError extends Error {
  override readonly name = "SoakSettingsError";
  readonly code = "SOAK_SETTINGS_INVALID";
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`soak: cannot run; fix these environment variables:\n  - ${problems.join("\n  - ")}`);
    this.problems = problems;
  }
}

const rules = {
  signIns: { variable: "SOAK_SIGN_INS", min: 1, max: 1_000_000, integer: true },
  requests: { variable: "SOAK_REQUESTS", min: 1, max: 100_000_000, integer: true },
  concurrency: { variable: "SOAK_CONCURRENCY", min: 1, max: 1000, integer: true },
  warmupSignIns: { variable: "SOAK_WARMUP_SIGN_INS", min: 1, max: 1_000_000, integer: true },
  warmupRequests: { variable: "SOAK_WARMUP_REQUESTS", min: 1, max: 100_000_000, integer: true },
  rssGrowthPercent: { variable: "SOAK_RSS_GROWTH_PERCENT", min: 0, max: 1000, integer: false },
  rssSlackMegabytes: { variable: "SOAK_RSS_SLACK_MB", min: 0, max: 10_000, integer: false },
  settleSeconds: { variable: "SOAK_SETTLE_SECONDS", min: 1, max: 600, integer: false },
} as const satisfies Record<string, NumberVariable>;

/**
 * Settings with the defaults of `npm run soak` for whatever `overrides` leaves out; the warm-up
 * defaults to as many sign-ins as the soak and a tenth of its requests (at least one).
 *
 * @example soakSettings({ signIns: 300, requests: 5000 }).warmupRequests // 500
 */
export function soakSettings(overrides: Partial<SoakSettings> = {}): SoakSettings {
  const signIns = overrides.signIns ?? 5000;
  const requests = overrides.requests ?? 200_000;
  return Object.freeze({
    targets: overrides.targets ?? soakTargetNames,
    signIns,
    requests,
    concurrency: overrides.concurrency ?? 50,
    warmupSignIns: overrides.warmupSignIns ?? signIns,
    warmupRequests: overrides.warmupRequests ?? Math.max(1, Math.round(requests / 10)),
    rssGrowthPercent: overrides.rssGrowthPercent ?? 10,
    rssSlackMegabytes: overrides.rssSlackMegabytes ?? 0,
    settleSeconds: overrides.settleSeconds ?? 30,
  });
}

/**
 * Reads the SOAK_* variables; reports every invalid one at once. An empty variable counts as unset.
 *
 * @example readSoakSettings({ SOAK_SIGN_INS: "1000", SOAK_ONLY: "gateway" })
 */
export function readSoakSettings(env: Readonly<Record<string, string | undefined>>): SoakSettings {
  const problems: string[] = [];
  const overrides: { -readonly [K in keyof SoakSettings]?: SoakSettings[K] } = {};
  for (const [key, rule] of Object.entries(rules) as [keyof typeof rules, NumberVariable][]) {
    const value = readNumberVariable(env, rule, problems);
    if (value !== undefined) overrides[key] = value;
  }
  const targets = readNameList(env, "SOAK_ONLY", soakTargetNames, problems);
  if (targets !== undefined) overrides.targets = targets;
  if (problems.length > 0) throw new SoakSettingsError(problems);
  return soakSettings(overrides);
}
