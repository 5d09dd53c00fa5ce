import { toOneLine } from "../common/errors.js";
import type { LogFields, ProxyLogger } from "../common/log.js";
import type { LoginDependencies } from "../aws/types.js";

/** One answered challenge, as its `login` log event reported it (see logLogin). */
export interface LoginRecord {
  readonly time: Date;
  /** The app, `host[:port]`. */
  readonly host: string;
  /** The ARN signed in as; undefined when the proxy did not know it (`identity=unknown`). */
  readonly identity: string | undefined;
  /** `sts` or `kms`; undefined when refused before a method was chosen. */
  readonly method: string | undefined;
  /** `signed-in`, `redirected` or `denied`. */
  readonly outcome: string;
  /** The proxy's error code, when the proxy refused. */
  readonly code: string | undefined;
  /** The app's status, when /auth refused. */
  readonly status: number | undefined;
  /** Why it was refused: a ProxyError message or the app's one-line reason (never a secret). */
  readonly reason: string | undefined;
}

/** What the proxy last learnt about its own credentials; never the credentials themselves. */
export interface CredentialStatus {
  /** Whose credentials they are, from the start-up check or the last login that named them. */
  readonly identity: { readonly arn: string; readonly account: string | undefined } | undefined;
  /** When the credentials last found expire; undefined for long-term keys, or none found yet. */
  readonly expiration: Date | undefined;
  /** Why the last attempt found no usable credentials (the SDK's or the proxy's words); undefined if it did. */
  readonly problem: string | undefined;
  /** When credentials were last looked up (successfully or not); undefined: not yet. */
  readonly checkedAt: Date | undefined;
}

/** Options of createLoginHistory. */
export interface LoginHistoryOptions {
  /** How many logins are kept, newest first. Default 20. */
  readonly limit?: number;
  /** The current time in ms. Default Date.now. */
  readonly clock?: () => number;
}

/** The last logins and the state of the proxy's credentials, for the status page. In memory only. */
export interface LoginHistory {
  /** A logger that writes every event to `logger` and records the `login` and `credentials` events. */
  observe(logger: ProxyLogger): ProxyLogger;
  /** The same login dependencies, noting when the credentials found expire, or why none were found. */
  observeCredentials(login: LoginDependencies): LoginDependencies;
  /** The last logins, newest first. */
  logins(): readonly LoginRecord[];
  credentials(): CredentialStatus;
}

/**
 * Records what the status page shows, from the events the proxy logs anyway: each `login` event
 * (host, identity, method, outcome, reason: what the log line holds, so nothing secret) and each
 * `credentials` event, plus the expiry of the credentials each lookup finds. At most `limit`
 * logins are kept; nothing is written anywhere.
 *
 * @example
 * const history = createLoginHistory();
 * const logger = history.observe(createStreamLogger());
 * const session = createAwsSession(history.observeCredentials(login));
 * history.logins()[0]; // { host: "app:3000", outcome: "signed-in", … }
 */
export function createLoginHistory(options: LoginHistoryOptions = {}): LoginHistory {
  const limit = options.limit ?? 20;
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new TypeError(`createLoginHistory: limit must be a whole number, 1 or more (got ${String(limit)})`);
  }
  const clock = options.clock ?? Date.now;
  const logins: LoginRecord[] = [];
  let credentials: CredentialStatus = {
    identity: undefined,
    expiration: undefined,
    problem: undefined,
    checkedAt: undefined,
  };

  const record = (event: string, fields: LogFields): void => {
    if (event === "login") {
      const entry = toLoginRecord(new Date(clock()), fields);
      logins.unshift(entry);
      logins.length = Math.min(logins.length, limit);
      if (entry.identity !== undefined && entry.identity !== credentials.identity?.arn) {
        credentials = {
          ...credentials,
          identity: { arn: entry.identity, account: accountOf(entry.identity) },
        };
      }
    } else if (event === "credentials") {
      const arn = text(fields.identity);
      credentials =
        arn === undefined
          ? {
              ...credentials,
              problem: text(fields.message) ?? text(fields.reason) ?? "credentials check failed",
            }
          : { ...credentials, identity: { arn, account: text(fields.account) }, problem: undefined };
    }
  };

  return Object.freeze({
    observe: (logger: ProxyLogger): ProxyLogger => ({
      info(event, fields) {
        logger.info(event, fields);
        record(event, fields);
      },
      warn(event, fields) {
        logger.warn(event, fields);
        record(event, fields);
      },
    }),
    observeCredentials: (login: LoginDependencies): LoginDependencies => ({
      ...login,
      resolveCredentials: async () => {
        try {
          const found = await login.resolveCredentials();
          credentials = {
            ...credentials,
            expiration: found.expiration,
            problem: undefined,
            checkedAt: new Date(clock()),
          };
          return found;
        } catch (error) {
          // The SDK's own words, as the credentials log line gives them ("Could not load credentials …").
          const problem = error instanceof Error ? toOneLine(error.message, 300) : "no usable credentials";
          credentials = { ...credentials, expiration: undefined, problem, checkedAt: new Date(clock()) };
          throw error;
        }
      },
    }),
    logins: () => [...logins],
    credentials: () => credentials,
  });
}

function toLoginRecord(time: Date, fields: LogFields): LoginRecord {
  const identity = text(fields.identity);
  return {
    time,
    host: text(fields.host) ?? "",
    identity: identity === "unknown" ? undefined : identity,
    method: text(fields.method),
    outcome: text(fields.outcome) ?? "",
    code: text(fields.code),
    status: typeof fields.status === "number" ? fields.status : undefined,
    reason: text(fields.reason),
  };
}

function text(value: LogFields[string]): string | undefined {
  return value === undefined ? undefined : String(value);
}

/** The account of an ARN (`arn:aws:iam::111122223333:user/x` → `111122223333`). */
function accountOf(arn: string): string | undefined {
  const account = arn.split(":")[4];
  return account === undefined || account === "" ? undefined : account;
}
