import { SESSION_TOKEN_DURATION_SECONDS, type SessionCredentials } from "../../protocol/index.js";
import { mapAwsError, type AwsOperation } from "./aws-errors.js";
import type { AwsCredentials } from "./credentials.js";
import { ProxyError } from "../common/errors.js";
import type { CallerIdentity, CredentialSource, LoginDependencies, StsProofTarget } from "./types.js";

/**
 * The person's AWS side, as the challenge answerer uses it: credentials, who they are, and the
 * KMS method's session credentials, each cached so a login costs as few AWS calls as possible.
 * Every failure is a ProxyError (see mapAwsError); anything else is a bug and is rethrown.
 */
export interface AwsSession {
  /** The person's current credentials (the provider caches them). */
  credentials(): Promise<AwsCredentials>;
  /** sts:GetCallerIdentity, once per set of credentials (a new access key id asks again). */
  callerIdentity(credentials: AwsCredentials): Promise<CallerIdentity>;
  /** What callerIdentity would return without calling AWS, if it is known already. */
  knownIdentity(credentials: AwsCredentials): CallerIdentity | undefined;
  /**
   * sts:GetSessionToken for 900 s (the shortest AWS allows), reused until 5 minutes before it
   * expires, so a steady-state KMS login is one kms:Encrypt. Asks for the MFA code when one is configured.
   */
  sessionCredentials(credentials: AwsCredentials): Promise<SessionCredentials>;
  /** Where STS-method proofs point. */
  stsProofTarget(): Promise<StsProofTarget>;
  readonly deps: LoginDependencies;
  /** The current time; injected in tests. */
  readonly now: () => number;
}

// Reuse temporary credentials until this long before they expire: a token must stay valid
// while the app verifies it, and AWS's own SDKs refresh on the same margin.
const REFRESH_MARGIN_MS = 5 * 60_000;

const getCallerIdentityCall: AwsOperation = { service: "STS", operation: "GetCallerIdentity" };
const getSessionTokenCall: AwsOperation = { service: "STS", operation: "GetSessionToken" };

/**
 * Wraps login dependencies with the caches. Concurrent callers share one pending call, so a
 * burst of challenges makes one GetCallerIdentity and one GetSessionToken (and asks for one MFA code).
 *
 * @example const session = createAwsSession(createAwsLoginDependencies(), Date.now)
 */
export function createAwsSession(deps: LoginDependencies, now: () => number = Date.now): AwsSession {
  let identity: { readonly accessKeyId: string; readonly value: CallerIdentity } | undefined;
  let pendingIdentity: { readonly accessKeyId: string; readonly value: Promise<CallerIdentity> } | undefined;
  let session: { readonly accessKeyId: string; readonly value: SessionCredentials } | undefined;
  let pendingSession:
    { readonly accessKeyId: string; readonly value: Promise<SessionCredentials> } | undefined;

  const knownIdentity = (credentials: AwsCredentials): CallerIdentity | undefined =>
    identity?.accessKeyId === credentials.accessKeyId ? identity.value : undefined;

  return Object.freeze({
    deps,
    now,
    credentials: () => callAws(undefined, () => deps.resolveCredentials()),
    knownIdentity,
    callerIdentity(credentials: AwsCredentials): Promise<CallerIdentity> {
      const known = knownIdentity(credentials);
      if (known !== undefined) return Promise.resolve(known);
      const { accessKeyId } = credentials;
      if (pendingIdentity?.accessKeyId === accessKeyId) return pendingIdentity.value;
      const value = callAws(
        getCallerIdentityCall,
        () => deps.sts.getCallerIdentity(),
        credentials.source,
      ).then((found) => {
        identity = { accessKeyId, value: found };
        return found;
      });
      pendingIdentity = { accessKeyId, value };
      const clear = (): void => {
        if (pendingIdentity?.value === value) pendingIdentity = undefined;
      };
      value.then(clear, clear);
      return value;
    },
    sessionCredentials(credentials: AwsCredentials): Promise<SessionCredentials> {
      const { accessKeyId } = credentials;
      if (
        session?.accessKeyId === accessKeyId &&
        session.value.expiration.getTime() - now() > REFRESH_MARGIN_MS
      ) {
        return Promise.resolve(session.value);
      }
      if (pendingSession?.accessKeyId === accessKeyId) return pendingSession.value;
      const value = (async () => {
        const mfa = deps.sessionTokenMfa;
        // Read the code only now: a code shown earlier may have expired, and AWS refuses a reused one.
        const tokenCode = mfa === undefined ? undefined : await mfa.readCode(mfa.serialNumber);
        const issued = await callAws(
          getSessionTokenCall,
          () =>
            deps.sts.getSessionToken({
              durationSeconds: SESSION_TOKEN_DURATION_SECONDS,
              ...(mfa === undefined || tokenCode === undefined
                ? {}
                : { mfa: { serialNumber: mfa.serialNumber, tokenCode } }),
            }),
          credentials.source,
        );
        session = { accessKeyId, value: issued };
        return issued;
      })();
      pendingSession = { accessKeyId, value };
      const clear = (): void => {
        if (pendingSession?.value === value) pendingSession = undefined;
      };
      value.then(clear, clear);
      return value;
    },
    stsProofTarget: () => callAws(undefined, () => deps.stsProofTarget()),
  });
}

/**
 * Runs one AWS call, turning what the SDK throws into the ProxyError the client sees; `source`,
 * where the credentials it signs with come from, names what to check when AWS refuses the key.
 * A ProxyError (e.g. from an MFA prompt) passes through; an error that is not from AWS is a bug and is rethrown.
 */
export async function callAws<T>(
  call: AwsOperation | undefined,
  run: () => Promise<T>,
  source?: CredentialSource,
): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof ProxyError) throw error;
    throw mapAwsError(error, call, source) ?? error;
  }
}
