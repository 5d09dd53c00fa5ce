import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { Agent } from "node:http";
import { demoAccount } from "../local-aws/demo-account.js";
import type { BenchAws } from "./processes.js";
import { signInThroughProxy, signOutThroughProxy } from "./sign-in.js";
import { median, percentile } from "./stats.js";

/*
 * The measurements behind figure 4, each driving real sign-ins through a real proxy to the
 * example server, with the local AWS's call counters.
 */

export type CallCounts = Readonly<Record<string, number>>;

/** The AWS calls of one sign-in, by who made them. */
export interface LoginCalls {
  /** Made while the proxy prepared its 302 to /auth. */
  readonly proxy: CallCounts;
  /** Made while the app answered /auth. */
  readonly server: CallCounts;
  /** Made while the page was fetched with the new session: expected none. */
  readonly afterwards: CallCounts;
}

/** Sum of the counts, e.g. 3 for {"kms:Decrypt": 1, "sts:GetCallerIdentity": 2}. */
export function totalCalls(counts: CallCounts): number {
  return Object.values(counts).reduce((sum, count) => sum + count, 0);
}

/**
 * One sign-in through a redirect-flow proxy (`--login-flow redirect`), with the AWS counters
 * read and reset between its three requests. The proxy makes its calls before it answers the
 * first request, the app during /auth; one local AWS serves both, so this split is exact.
 */
export async function countLoginCalls(aws: BenchAws, proxy: string, page: string): Promise<LoginCalls> {
  await aws.resetCalls();
  const phases: CallCounts[] = [];
  const result = await signInThroughProxy(proxy, page, {
    afterResponse: async () => {
      phases.push(await aws.calls());
      await aws.resetCalls();
    },
  });
  const [byProxy, byServer, afterwards] = phases;
  if (result.status !== 200 || result.requests !== 3 || afterwards === undefined) {
    throw new Error(
      `expected a redirect-flow sign-in (302 to /auth, /auth, then the page with 200); got ${result.requests} requests ending ${result.status}: ${result.body.slice(0, 200)}`,
    );
  }
  return { proxy: byProxy ?? {}, server: byServer ?? {}, afterwards };
}

export interface LatencySeries {
  /** Every sign-in's time, in ms, in order. */
  readonly samplesMs: readonly number[];
  readonly p50: number;
  readonly p90: number;
  readonly max: number;
  /** Requests one sign-in took (1: the proxy completed it itself; 3: the client followed the redirect). */
  readonly requestsPerLogin: number;
  /** AWS calls per sign-in over the series, all sides together. */
  readonly awsCallsPerLogin: number;
}

/**
 * Times `samples` sign-ins one after the other: a GET of `page` through `proxy` without a
 * cookie, until the page itself arrives (redirects followed, and timed, if the proxy sends
 * any). After each, an untimed sign-out empties the proxy's cookie jar so the next GET signs in
 * again. Two untimed sign-ins first warm up both processes (and the proxy's KMS session). The
 * client keeps its connection to the proxy alive, as a browser does: a new connection's cost
 * (the local-user check, which grows with the machine's sockets) is the local-user benchmark's
 * figure, not the sign-in's.
 */
export async function timeLogins(
  aws: BenchAws,
  proxy: string,
  appUrl: string,
  samples: number,
): Promise<LatencySeries> {
  const page = `${appUrl}/`;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const signInOnce = async (): Promise<{ ms: number; requests: number }> => {
    const started = performance.now();
    const result = await signInThroughProxy(proxy, page, { agent });
    const ms = performance.now() - started;
    if (result.status !== 200)
      throw new Error(`a sign-in ended ${result.status}: ${result.body.slice(0, 200)}`);
    await signOutThroughProxy(proxy, appUrl);
    return { ms, requests: result.requests };
  };
  const samplesMs: number[] = [];
  let requests = 0;
  try {
    for (let i = 0; i < 2; i += 1) await signInOnce();
    await aws.resetCalls();
    for (let i = 0; i < samples; i += 1) {
      const login = await signInOnce();
      samplesMs.push(login.ms);
      requests = Math.max(requests, login.requests);
    }
  } finally {
    agent.destroy();
  }
  const calls = totalCalls(await aws.calls());
  return {
    samplesMs,
    p50: percentile(samplesMs, 50),
    p90: percentile(samplesMs, 90),
    max: Math.max(...samplesMs),
    requestsPerLogin: requests,
    awsCallsPerLogin: calls / samples,
  };
}

/**
 * One AWS round trip as a client sees it: the median time of `sts:GetCallerIdentity` sent with
 * the AWS SDK to the local AWS (with whatever latency is injected at the moment).
 */
export async function measureAwsRoundTrip(aws: BenchAws, samples = 15, warmup = 5): Promise<number> {
  const { region, users } = demoAccount;
  const sts = new STSClient({
    endpoint: aws.url,
    region,
    maxAttempts: 1,
    credentials: { accessKeyId: users.demo.accessKeyId, secretAccessKey: users.demo.secretAccessKey },
  });
  try {
    const times: number[] = [];
    for (let i = 0; i < warmup + samples; i += 1) {
      const started = performance.now();
      await sts.send(new GetCallerIdentityCommand({}));
      // The first calls pay for the SDK's lazy set-up and a new connection.
      if (i >= warmup) times.push(performance.now() - started);
    }
    return median(times);
  } finally {
    sts.destroy();
  }
}

export interface Throughput {
  readonly logins: number;
  readonly failures: number;
  readonly seconds: number;
  readonly loginsPerSecond: number;
  readonly firstFailure: string | undefined;
}

/**
 * Complete sign-ins per second with `concurrency` clients signing in over and over for
 * `seconds` (each client: no cookie, redirects followed, until the page arrives).
 */
export async function measureLoginRate(
  proxy: string,
  page: string,
  concurrency: number,
  seconds: number,
): Promise<Throughput> {
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let logins = 0;
  let failures = 0;
  let firstFailure: string | undefined;
  const client = async (): Promise<void> => {
    while (performance.now() < deadline) {
      try {
        const result = await signInThroughProxy(proxy, page);
        if (result.status === 200) logins += 1;
        else throw new Error(`ended ${result.status}: ${result.body.slice(0, 200)}`);
      } catch (error) {
        failures += 1;
        firstFailure ??= error instanceof Error ? error.message : String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
  const elapsed = (performance.now() - started) / 1000;
  return { logins, failures, seconds: elapsed, loginsPerSecond: logins / elapsed, firstFailure };
}
