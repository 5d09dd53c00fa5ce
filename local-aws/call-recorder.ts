/*
 * Test hooks: how many calls reached each action, and injected faults (latency and/or an
 * error) that apply to the next calls of an action. Driven through the admin API.
 */

export interface InjectedError {
  /** HTTP status, 400..599. */
  readonly status: number;
  /** The AWS error code the client will see, e.g. "KMSInternalException". */
  readonly code: string;
  readonly message: string;
}

export interface Fault {
  /** `"kms:Encrypt"`-style action or `"*"` for every action. */
  readonly action: string;
  readonly latencyMs: number;
  readonly error?: InjectedError;
  /** Answer 200 with a body that is not the service's format (an HTML error page from something in between). */
  readonly malformed?: boolean;
  /** How many more calls it applies to; Infinity when unlimited. */
  remaining: number;
}

/** What applies to one call: the summed latency of every matching fault, the first injected error, whether to answer junk. */
export interface AppliedFault {
  readonly latencyMs: number;
  readonly error: InjectedError | undefined;
  readonly malformed: boolean;
}

export interface CallRecorder {
  /** Counts one call of `action` and consumes the faults that apply to it. */
  enter(action: string): AppliedFault;
  counts(): Record<string, number>;
  resetCounts(): void;
  addFault(fault: Fault): void;
  clearFaults(): void;
}

export function createCallRecorder(): CallRecorder {
  const counts = new Map<string, number>();
  let faults: Fault[] = [];
  return {
    enter(action) {
      counts.set(action, (counts.get(action) ?? 0) + 1);
      let latencyMs = 0;
      let error: InjectedError | undefined;
      let malformed = false;
      for (const fault of faults) {
        if (fault.remaining <= 0 || (fault.action !== "*" && fault.action !== action)) continue;
        fault.remaining -= 1;
        latencyMs += fault.latencyMs;
        error ??= fault.error;
        malformed ||= fault.malformed === true;
      }
      faults = faults.filter((fault) => fault.remaining > 0);
      return { latencyMs, error, malformed };
    },
    counts: () => Object.fromEntries([...counts].sort(([a], [b]) => a.localeCompare(b))),
    resetCounts: () => counts.clear(),
    addFault: (fault) => void faults.push(fault),
    clearFaults() {
      faults = [];
    },
  };
}

/** What a service answers instead of its own format when a fault asks for a malformed answer. */
export const MALFORMED_BODY = "<html><body>502 Bad Gateway (not an AWS answer)</body></html>";

/**
 * Counts a call and applies its faults: waits the injected latency, then returns the
 * injected error (if any) for the caller to render in its service's error format, or
 * "malformed" when the caller must answer 200 with MALFORMED_BODY.
 */
export async function enterCall(
  recorder: CallRecorder,
  action: string,
): Promise<InjectedError | "malformed" | undefined> {
  const fault = recorder.enter(action);
  if (fault.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, fault.latencyMs));
  return fault.error ?? (fault.malformed ? "malformed" : undefined);
}
