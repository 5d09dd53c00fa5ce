import type { UserEntry } from "./directory.js";
import type { IssuedSession } from "./session-store.js";
import { verifySigV4, type SignedHttpRequest, type SigningSecret } from "./sigv4-verify.js";
import type { LocalAwsState } from "./state.js";

/** The authenticated caller of one request. */
export interface Caller {
  readonly kind: "user" | "user-session" | "role-session";
  readonly accountId: string;
  /** What GetCallerIdentity reports and denials name: the user ARN or the assumed-role ARN. */
  readonly arn: string;
  /** What key policies and trust lists match: the user ARN, or the role ARN for a role session. */
  readonly principalArn: string;
  /** `AIDA…` for users and their sessions, `AROA…:<session name>` for role sessions. */
  readonly userId: string;
  readonly accessKeyId: string;
  /** The user behind long-term keys or a GetSessionToken session; absent for role sessions. */
  readonly user?: UserEntry;
  /** Set when the request used temporary credentials. */
  readonly session?: IssuedSession;
}

export interface Authenticated {
  readonly caller: Caller;
  /** The region of the credential scope. */
  readonly region: string;
}

interface CallerSecret extends SigningSecret {
  readonly caller: Caller;
}

/**
 * Verifies a request's SigV4 signature for `service` and says who made it.
 * Throws SigV4Error (unknown key, bad signature, expired…) otherwise.
 */
export async function authenticate(
  state: LocalAwsState,
  request: SignedHttpRequest,
  service: "sts" | "kms",
): Promise<Authenticated> {
  const verified = await verifySigV4<CallerSecret>(request, {
    service,
    now: state.clock(),
    findSecret: (accessKeyId) => findCallerSecret(state, accessKeyId),
  });
  return { caller: verified.secret.caller, region: verified.region };
}

function findCallerSecret(state: LocalAwsState, accessKeyId: string): CallerSecret | undefined {
  const longTerm = state.directory.findAccessKey(accessKeyId);
  if (longTerm !== undefined) {
    const { user } = longTerm;
    const caller: Caller = {
      kind: "user",
      accountId: user.accountId,
      arn: user.arn,
      principalArn: user.arn,
      userId: user.config.userId,
      accessKeyId,
      user,
    };
    return { secretAccessKey: longTerm.secretAccessKey, caller };
  }
  const session = state.sessions.find(accessKeyId);
  if (session === undefined) return undefined;
  const { subject } = session;
  const caller: Caller =
    subject.kind === "user"
      ? {
          kind: "user-session",
          accountId: subject.user.accountId,
          arn: subject.user.arn,
          principalArn: subject.user.arn,
          userId: subject.user.config.userId,
          accessKeyId,
          user: subject.user,
          session,
        }
      : {
          kind: "role-session",
          accountId: subject.role.accountId,
          arn: `arn:aws:sts::${subject.role.accountId}:assumed-role/${subject.role.config.name}/${subject.sessionName}`,
          principalArn: subject.role.arn,
          userId: `${subject.role.config.roleId}:${subject.sessionName}`,
          accessKeyId,
          session,
        };
  return {
    secretAccessKey: session.secretAccessKey,
    sessionToken: session.sessionToken,
    expiresAt: session.expiresAt,
    caller,
  };
}
