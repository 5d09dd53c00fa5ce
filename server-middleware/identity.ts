/** Who signed in: what AWS STS GetCallerIdentity said about the credentials in the token. */
export interface IamIdentity {
  /** e.g. `arn:aws:iam::111122223333:user/alice` or `arn:aws:sts::111122223333:assumed-role/Dev/alice`. */
  readonly arn: string;
  /** The 12-digit account id; always the configured `accountId`. */
  readonly account: string;
  /** AWS's unique id of the principal, e.g. `AIDA…` for a user or `AROA…:session` for a role session. */
  readonly userId: string;
}

declare module "express-serve-static-core" {
  interface Request {
    /** Set by `iamAuth()` when the request carries a valid session; undefined otherwise. */
    iamIdentity?: IamIdentity;
  }
}
