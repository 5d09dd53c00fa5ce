import type { Fault, InjectedError } from "./call-recorder.js";
import { kmsOperations } from "./kms-api.js";
import type { LocalAwsState } from "./state.js";
import { stsActions } from "./sts-api.js";

/*
 * Test hooks under /__local-aws/:
 *   GET    /__local-aws/calls             → {"sts:GetCallerIdentity": 2, "kms:Encrypt": 1, …}
 *   POST   /__local-aws/calls/reset       → {"reset": true}
 *   POST   /__local-aws/faults            {"action", "latencyMs"?, "error"?: {"status", "code", "message"?}, "malformed"?: true, "count"?}
 *   DELETE /__local-aws/faults            → {"cleared": true}
 *   POST   /__local-aws/sessions/expire   {"accessKeyId": "ASIA…"} → {"expired": "ASIA…"}
 *   GET    /__local-aws/secrets           → {"secrets": [every secret key, session token and KMS plaintext]}
 */

export const adminPrefix = "/__local-aws/";

/** Every action name counters and faults use. */
export const knownActions: readonly string[] = [
  ...stsActions.map((a) => `sts:${a}`),
  ...kmsOperations.map((o) => `kms:${o}`),
];

export interface AdminResponse {
  readonly status: number;
  readonly body: unknown;
}

type Route = (state: LocalAwsState, body: Buffer) => AdminResponse;

const routes: Record<string, Partial<Record<string, Route>>> = {
  calls: { GET: (state) => ok(state.calls.counts()) },
  "calls/reset": {
    POST: (state) => {
      state.calls.resetCounts();
      return ok({ reset: true });
    },
  },
  faults: {
    POST: (state, body) => {
      const parsed = parseFault(body);
      if (typeof parsed === "string") return badRequest(parsed);
      state.calls.addFault(parsed);
      return ok({ fault: { ...parsed, count: Number.isFinite(parsed.remaining) ? parsed.remaining : null } });
    },
    DELETE: (state) => {
      state.calls.clearFaults();
      return ok({ cleared: true });
    },
  },
  "sessions/expire": {
    POST: (state, body) => {
      const input = parseJsonObject(body);
      if (typeof input === "string") return badRequest(input);
      const { accessKeyId } = input;
      if (typeof accessKeyId !== "string" || !/^ASIA[A-Z0-9]{16}$/.test(accessKeyId)) {
        return badRequest(
          `accessKeyId must be a temporary access key id (ASIA…), got ${describe(accessKeyId)}`,
        );
      }
      if (!state.sessions.expire(accessKeyId, state.clock())) {
        return { status: 404, body: { error: `no session was issued for access key ${accessKeyId}` } };
      }
      return ok({ expired: accessKeyId });
    },
  },
  secrets: { GET: (state) => ok({ secrets: state.secrets.list() }) },
};

/**
 * Handles a request whose path starts with /__local-aws/.
 *
 * @example handleAdmin(state, "GET", "/__local-aws/calls", Buffer.alloc(0))
 */
export function handleAdmin(state: LocalAwsState, method: string, path: string, body: Buffer): AdminResponse {
  const name = path.slice(adminPrefix.length);
  const methods = Object.hasOwn(routes, name) ? routes[name] : undefined;
  if (methods === undefined) {
    return {
      status: 404,
      body: { error: `unknown admin route ${path}; known: ${Object.keys(routes).join(", ")}` },
    };
  }
  const route = Object.hasOwn(methods, method) ? methods[method] : undefined;
  if (route === undefined) {
    return {
      status: 405,
      body: { error: `${path} accepts ${Object.keys(methods).join(", ")}, not ${method}` },
    };
  }
  return route(state, body);
}

function parseFault(body: Buffer): Fault | string {
  const input = parseJsonObject(body);
  if (typeof input === "string") return input;
  const allowed = ["action", "latencyMs", "error", "malformed", "count"];
  const problems: string[] = Object.keys(input)
    .filter((k) => !allowed.includes(k))
    .map((k) => `unknown field ${k} (allowed: ${allowed.join(", ")})`);
  const { action, latencyMs = 0, error, malformed, count } = input;
  if (typeof action !== "string" || (action !== "*" && !knownActions.includes(action))) {
    problems.push(`action must be "*" or one of ${knownActions.join(", ")}, got ${describe(action)}`);
  }
  if (!isIntegerIn(latencyMs, 0, 60_000))
    problems.push(`latencyMs must be an integer 0..60000, got ${describe(latencyMs)}`);
  if (count !== undefined && !isIntegerIn(count, 1, 1_000_000)) {
    problems.push(`count must be an integer 1..1000000, got ${describe(count)}`);
  }
  if (malformed !== undefined && malformed !== true) {
    problems.push(`malformed must be true when given, got ${describe(malformed)}`);
  }
  if (malformed === true && error !== undefined)
    problems.push("a fault is an error or a malformed answer, not both");
  const injected = error === undefined ? undefined : parseInjectedError(error, problems);
  if (error === undefined && malformed === undefined && latencyMs === 0) {
    problems.push("a fault needs latencyMs > 0, an error or malformed");
  }
  if (problems.length > 0) return problems.join("; ");
  return {
    action: action as string,
    latencyMs: latencyMs as number,
    ...(injected === undefined ? {} : { error: injected }),
    ...(malformed === true ? { malformed: true } : {}),
    remaining: count === undefined ? Infinity : (count as number),
  };
}

function parseInjectedError(error: unknown, problems: string[]): InjectedError | undefined {
  if (typeof error !== "object" || error === null || Array.isArray(error)) {
    problems.push(`error must be an object {status, code, message}, got ${describe(error)}`);
    return undefined;
  }
  const { status, code, message = "injected fault", ...rest } = error as Record<string, unknown>;
  for (const name of Object.keys(rest))
    problems.push(`unknown field error.${name} (allowed: status, code, message)`);
  if (!isIntegerIn(status, 400, 599))
    problems.push(`error.status must be an integer 400..599, got ${describe(status)}`);
  if (typeof code !== "string" || !/^[A-Za-z][\w.]{0,127}$/.test(code)) {
    problems.push(`error.code must be an AWS error code like KMSInternalException, got ${describe(code)}`);
  }
  if (typeof message !== "string" || message.length > 1024) {
    problems.push(`error.message must be a string of at most 1024 characters, got ${describe(message)}`);
  }
  return { status: status as number, code: code as string, message: message as string };
}

function parseJsonObject(body: Buffer): Record<string, unknown> | string {
  let value: unknown;
  try {
    value = JSON.parse(body.toString("utf8"));
  } catch {
    return "body must be a JSON object";
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return "body must be a JSON object";
  return value as Record<string, unknown>;
}

function isIntegerIn(value: unknown, min: number, max: number): boolean {
  return typeof value === "number" && Number.isInteger(value) && value >= min && value <= max;
}

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? "nothing";
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function ok(body: unknown): AdminResponse {
  return { status: 200, body };
}

function badRequest(reason: string): AdminResponse {
  return { status: 400, body: { error: reason } };
}
