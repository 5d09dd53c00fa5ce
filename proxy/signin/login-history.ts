import { toOneLine } from "../common/errors.js";
import type {
  CredentialCheckRecorder,
  CredentialCheckResult,
  CredentialSource,
  LoginDependencies,
} from "../aws/types.js";
import type { SignInEvent, SignInRecorder } from "./login-log.js";

/** One answered challenge, as createSignInLog reported it, and when. */
export interface LoginRecord extends SignInEvent {
  readonly time: Date;
}

/** What the proxy last learnt about its own credentials; never the credentials themselves. */
export interface CredentialStatus {
  /** Whose credentials they are, from the credential check or the last sign-in that named them. */
  readonly identity: { readonly arn: string; readonly account: string | undefined } | undefined;
  /** Where the credentials last found come from; undefined: none found (yet), or the login dependencies do not say. */
  readonly source: CredentialSource | undefined;
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

/**
 * The last sign-ins and the state of the proxy's credentials, for the status page. In memory only.
 * It is the recorder of createSignInLog (recordSignIn) and of reportCredentialStatus
 * (recordCredentialCheck), and watches the credential lookups (observeCredentials).
 */
export interface LoginHistory extends SignInRecorder, CredentialCheckRecorder {
  /** The same login dependencies, noting when the credentials found expire and where they come from, or why none were found. */
  observeCredentials(login: LoginDependencies): LoginDependencies;
  /** The last sign-ins, newest first. */
  logins(): readonly LoginRecord[];
  credentials(): CredentialStatus;
}

/**
 * Records what the status page shows, from typed reports only: each sign-in createSignInLog
 * reports (already checked and stripped of anything secret, see toSignInEvent), each credential
 * check, and each credential lookup (its expiry and source, never the keys). At most `limit`
 * sign-ins are kept; nothing is written anywhere.
 *
 * @example
 * const history = createLoginHistory();
 * const signInLog = createSignInLog({ logger, recorder: history });
 * const session = createAwsSession(history.observeCredentials(login));
 * await reportCredentialStatus(session, logger, history);
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
    source: undefined,
    expiration: undefined,
    problem: undefined,
    checkedAt: undefined,
  };

  const noteIdentity = (arn: string, account: string | undefined): void => {
    if (arn !== credentials.identity?.arn) credentials = { ...credentials, identity: { arn, account } };
  };

  return Object.freeze({
    recordSignIn(event: SignInEvent): void {
      // The named fields only: nothing else an event might carry is kept.
      const { host, identity, method, outcome, code, status, reason } = event;
      logins.unshift(
        Object.freeze({ time: new Date(clock()), host, identity, method, outcome, code, status, reason }),
      );
      logins.length = Math.min(logins.length, limit);
      // A sign-in names whose credentials answered it, e.g. after they changed since the check.
      if (identity !== undefined) noteIdentity(identity, accountOf(identity));
    },
    recordCredentialCheck(result: CredentialCheckResult): void {
      if (result.outcome === "found") {
        noteIdentity(result.identity.arn, result.identity.account);
        credentials = { ...credentials, problem: undefined };
      } else {
        credentials = { ...credentials, problem: result.problem };
      }
    },
    observeCredentials: (login: LoginDependencies): LoginDependencies => ({
      ...login,
      resolveCredentials: async () => {
        try {
          const found = await login.resolveCredentials();
          credentials = {
            ...credentials,
            source: found.source,
            expiration: found.expiration,
            problem: undefined,
            checkedAt: new Date(clock()),
          };
          return found;
        } catch (error) {
          // The SDK's own words, as the credentials log line gives them ("Could not load credentials …").
          const problem = error instanceof Error ? toOneLine(error.message, 300) : "no usable credentials";
          credentials = {
            ...credentials,
            source: undefined,
            expiration: undefined,
            problem,
            checkedAt: new Date(clock()),
          };
          throw error;
        }
      },
    }),
    logins: () => [...logins],
    credentials: () => credentials,
  });
}

/** The account of an ARN (`arn:aws:iam::111122223333:user/x` → `111122223333`). */
function accountOf(arn: string): string | undefined {
  const account = arn.split(":")[4];
  return account === undefined || account === "" ? undefined : account;
}
