import { STATUS_CODES } from "node:http";
import { AUTH_PATH, parseArn } from "../../protocol/index.js";
import type { CallerIdentity, LoginMethod } from "../aws/types.js";
import { toOneLine, type ProxyErrorCode } from "../common/errors.js";
import type { ProxyLogger } from "../common/log.js";

/** How a sign-in ended. signed-in: the proxy completed /auth; redirected: the client was sent to /auth; denied: by the proxy or the app. */
export type LoginOutcome = "signed-in" | "redirected" | "denied";

/** One answered challenge, as the sign-in code reports it. */
export interface LoginLogEntry {
  /** The app, `host[:port]`. */
  readonly host: string;
  readonly identity: CallerIdentity | undefined;
  /** undefined when the challenge was refused before a method was chosen. */
  readonly method: LoginMethod | undefined;
  readonly outcome: LoginOutcome;
  /** The ProxyError code of a denial by the proxy. */
  readonly code?: ProxyErrorCode | undefined;
  /** The app's status of a denial at /auth. */
  readonly status?: number | undefined;
  /** Why it was refused: a ProxyError message or the app's one-line reason. */
  readonly reason?: string | undefined;
  /** Where the app's sign-in endpoint is, for the reason of a denial at it. Default AUTH_PATH (`/auth`). */
  readonly authPath?: string | undefined;
}

/**
 * One sign-in as it is logged and recorded: every field checked, every text one line with anything
 * that looks like a token, key or signature replaced by `[secret]`. Made only by createSignInLog.
 */
export interface SignInEvent {
  readonly host: string;
  /** The ARN signed in as; undefined when the proxy did not know it (or was given no ARN). */
  readonly identity: string | undefined;
  readonly method: LoginMethod | undefined;
  readonly outcome: LoginOutcome;
  readonly code: ProxyErrorCode | undefined;
  readonly status: number | undefined;
  /** The ProxyError message, or for the app's denial what it means (see describeAppRefusal). */
  readonly reason: string | undefined;
}

/** Takes note of each sign-in (see createLoginHistory, for the status page). */
export interface SignInRecorder {
  recordSignIn(event: SignInEvent): void;
}

/** Where the sign-in code reports each outcome: the `login` log line, and the recorder. */
export interface SignInLog {
  /** Reports a sign-in that completed, was redirected, or that the app refused at /auth. */
  login(entry: LoginLogEntry): void;
  /** Reports a challenge the proxy refused to answer: `outcome=denied code=<ProxyError code> reason=<its message>`. */
  denied(
    entry: Pick<LoginLogEntry, "host" | "identity" | "method">,
    error: { readonly code: ProxyErrorCode; readonly message: string },
  ): void;
}

/** Options of createSignInLog. */
export interface SignInLogOptions {
  /** Where the `login` lines go. */
  readonly logger: ProxyLogger;
  /** Also told of each sign-in, e.g. the status page's history. Default: none. */
  readonly recorder?: SignInRecorder | undefined;
}

/**
 * The one place sign-in outcomes go: each is written as a `login host=… identity=… method=…
 * outcome=…` line (the format the log audit and the tests read) and handed to the recorder. What
 * is written and recorded is the same SignInEvent (see toSignInEvent): the named fields only,
 * checked, so a token passed by mistake (in `reason`, `host`, or as the identity) is never logged
 * or shown. Never pass a token, presigned URL or credential: ProxyError messages and the app's
 * one-line refusals are what `reason` is for.
 *
 * @example
 * const signInLog = createSignInLog({ logger, recorder: history });
 * signInLog.login({ host: "app:3000", identity, method: "sts", outcome: "signed-in" });
 * // login host=app:3000 identity=arn:aws:iam::111122223333:user/demo method=sts outcome=signed-in
 * signInLog.denied({ host: "app:3000", identity, method: "kms" }, error);
 * // login host=app:3000 identity=… method=kms outcome=denied code=REALM_MISMATCH reason=…
 */
export function createSignInLog(options: SignInLogOptions): SignInLog {
  const { logger, recorder } = options;
  const login = (entry: LoginLogEntry): void => {
    const event = toSignInEvent(entry);
    logger.info("login", {
      host: event.host,
      identity: event.identity ?? "unknown",
      method: event.method,
      outcome: event.outcome,
      code: event.code,
      status: event.status,
      reason: event.reason,
    });
    recorder?.recordSignIn(event);
  };
  const signInLog: SignInLog = {
    login,
    denied: (entry, error) => login({ ...entry, outcome: "denied", code: error.code, reason: error.message }),
  };
  return Object.freeze(signInLog);
}

const methods: readonly string[] = ["sts", "kms"] satisfies readonly LoginMethod[];
const outcomes: readonly string[] = ["signed-in", "redirected", "denied"] satisfies readonly LoginOutcome[];
// As long as a ProxyError message may be (toOneLine's default); the app's reasons are 300 at most.
const REASON_MAX_LENGTH = 500;

/**
 * A sign-in entry as it may be logged and shown: only the named fields, each checked (an identity
 * that is not an ARN, a method or code that is not one, a status outside 100–599 are left out) and
 * the texts (host, reason) one line, with every secret-looking part replaced (see redactSecrets).
 *
 * @example toSignInEvent({ host: "app:3000", identity: undefined, method: "sts", outcome: "denied", reason: "token=eyJ…" }).reason // "token=[secret]"
 */
export function toSignInEvent(entry: LoginLogEntry): SignInEvent {
  const arn = entry.identity?.arn;
  const status = isHttpStatus(entry.status) ? entry.status : undefined;
  const outcome = outcomes.includes(entry.outcome) ? entry.outcome : "denied";
  const reason =
    entry.reason === undefined
      ? undefined
      : toOneLine(redactSecrets(String(entry.reason)), REASON_MAX_LENGTH);
  const authPath =
    typeof entry.authPath === "string" && /^\/[\x21-\x7e]{0,200}$/.test(entry.authPath)
      ? entry.authPath
      : AUTH_PATH;
  return {
    host: toOneLine(redactSecrets(String(entry.host)), REASON_MAX_LENGTH),
    identity: typeof arn === "string" && isPlainArn(arn) ? arn : undefined,
    method: methods.includes(entry.method as string) ? entry.method : undefined,
    outcome,
    code:
      typeof entry.code === "string" && /^[A-Z][A-Z0-9_]{1,63}$/.test(entry.code) ? entry.code : undefined,
    status,
    reason:
      // The app's denial at its sign-in endpoint: what its status means, then its own words.
      status !== undefined && entry.code === undefined && outcome === "denied"
        ? toOneLine(describeAppRefusal(status, reason, authPath), REASON_MAX_LENGTH)
        : reason,
  };
}

/**
 * What the app's refusal of a sign-in at its endpoint means, in one line a person can act on:
 * the status explained, then the app's own words when they add something (a page titled
 * "Error", or "Not Found" for a 404, says nothing the status does not).
 *
 * @example describeAppRefusal(404, "Error") // "the app has no sign-in endpoint at /auth (HTTP 404)"
 * @example describeAppRefusal(403, "You are not allowed to use this app") // "the app refused the sign-in (HTTP 403): You are not allowed to use this app"
 */
export function describeAppRefusal(
  status: number,
  appReason: string | undefined,
  authPath = AUTH_PATH,
): string {
  const meaning = describeAppStatus(status, authPath);
  const words = appReason?.trim() ?? "";
  return isGenericReason(words, status)
    ? `${meaning} (HTTP ${status})`
    : `${meaning} (HTTP ${status}): ${words}`;
}

function describeAppStatus(status: number, authPath: string): string {
  if (status === 404) return `the app has no sign-in endpoint at ${authPath}`;
  if (status === 405) return `the app's ${authPath} does not accept the sign-in's GET`;
  if (status === 400) return "the app found the sign-in request malformed";
  if (status === 429) return "the app is limiting sign-ins, try again in a minute";
  if (status === 502 || status === 503 || status === 504) {
    return "the app or a gateway in front of it is unavailable, try again later";
  }
  if (status >= 500) return "the app failed during the sign-in, tell its owners";
  return "the app refused the sign-in";
}

/** Words that only repeat the status: empty, "Error", the status text, Express's "Cannot GET /auth", or readAuthRefusal's own fallback. */
function isGenericReason(words: string, status: number): boolean {
  const text = words.toLowerCase().replace(/[.!]+$/, "");
  const statusText = (STATUS_CODES[status] ?? "").toLowerCase();
  const withoutNumber = text.replace(new RegExp(`^(?:http\\s*)?${status}\\s*[:-]?\\s*`), "");
  return (
    withoutNumber === "" ||
    withoutNumber === "error" ||
    withoutNumber === statusText ||
    /^cannot [a-z]+ \//.test(text) ||
    /^the app refused the sign-in at \S+ \(http \d{3}\)$/.test(text)
  );
}

// A token, key, signature or session token is a long run of base64 (`+/=`) or base64url (`-_`)
// characters with digits in it; host names, ARNs and sentences are not (their `.`, `:` and spaces
// break the runs, and their words rarely reach 40 characters with digits).
const opaqueRuns = [/[A-Za-z0-9+/=]{40,}/g, /[A-Za-z0-9_-]{40,}/g];
// Values of query parameters that carry a proof (the sign-in token; a presigned URL's signature and credentials).
const secretParameters = /\b(token|X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token)=[^&\s"'<>]+/gi;

/**
 * Replaces what looks like a secret in a line of text with `[secret]`: the values of `token=` and
 * `X-Amz-Signature=`/`-Credential=`/`-Security-Token=` parameters, and every run of 40 or more
 * base64 or base64url characters that holds a digit and a letter (a session token, a secret key,
 * a KMS ciphertext, a presigned URL's encoding). A defence in depth: callers never pass secrets.
 *
 * @example redactSecrets("bad token=sts1.abc.def") // "bad token=[secret]"
 */
export function redactSecrets(text: string): string {
  let redacted = text.replace(secretParameters, "$1=[secret]");
  for (const run of opaqueRuns) {
    redacted = redacted.replace(run, (found) =>
      /\d/.test(found) && /[A-Za-z]/.test(found) ? "[secret]" : found,
    );
  }
  return redacted;
}

/** An ARN on one line with nothing secret-looking in it (a token passed as the ARN is not one). */
function isPlainArn(value: string): boolean {
  if (value.length > 2048 || /\s/.test(value) || redactSecrets(value) !== value) return false;
  try {
    parseArn(value);
    return true;
  } catch {
    return false;
  }
}

function isHttpStatus(value: number | undefined): value is number {
  return Number.isInteger(value) && (value as number) >= 100 && (value as number) <= 599;
}
