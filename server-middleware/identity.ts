/** Who signed in: what AWS STS GetCallerIdentity said about the caller. */
export interface IamIdentity {
  /** e.g. `arn:aws:iam::111122223333:user/alice` or `arn:aws:sts::111122223333:assumed-role/Dev/alice`. */
  readonly arn: string;
  /** The 12-digit account id; always one of `allowedAccounts`. */
  readonly account: string;
  /** AWS's unique id of the principal, e.g. `AIDA…` for a user or `AROA…:session` for a role session. */
  readonly userId: string;
}

/** A valid session: the identity, and when it was signed in and stops being accepted. */
export interface IamSession extends IamIdentity {
  readonly issuedAt: Date;
  readonly expiresAt: Date;
  /** The random id of this sign-in (in the signed cookie); sign-out revokes sessions by it. Not a secret. */
  readonly sessionId: string;
}

declare module "express-serve-static-core" {
  interface Request {
    /** Set by `iamAuth()` when the request carries a valid session; undefined otherwise. */
    iamIdentity?: IamIdentity;
    /** Set with `iamIdentity`: the same identity with the session's issue and expiry times. */
    iamSession?: IamSession;
  }
}
