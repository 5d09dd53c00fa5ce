/*
 * Who may do what. A caller is matched by its principal ARN (the user, or the role behind an
 * assumed-role session) and also by its own session ARN, since AWS policies may name either.
 * `arn:aws:iam::<account>:root` in a list means "any principal of that account", as in AWS.
 */

export type KmsAction = "kms:Encrypt" | "kms:Decrypt" | "kms:DescribeKey";

/** The parts of a caller authorization looks at. */
export interface PrincipalRef {
  readonly accountId: string;
  /** User ARN, or role ARN for a role session. */
  readonly principalArn: string;
  /** User ARN, or `arn:aws:sts::<acct>:assumed-role/<Role>/<Session>`. */
  readonly arn: string;
}

/** The parts of a KMS key its policy consists of. Absent list: the key's own account only. */
export interface KeyPolicyRef {
  readonly accountId: string;
  readonly encryptPrincipals?: readonly string[];
  readonly decryptPrincipals?: readonly string[];
}

/**
 * Whether one of `patterns` names the principal.
 *
 * @example matchesPrincipal(["arn:aws:iam::111122223333:root"], demoCaller) // true
 */
export function matchesPrincipal(patterns: readonly string[], principal: PrincipalRef): boolean {
  return patterns.some(
    (pattern) =>
      pattern === principal.principalArn ||
      pattern === principal.arn ||
      pattern === `arn:aws:iam::${principal.accountId}:root`,
  );
}

/** Whether the key policy lets the principal perform `action`. */
export function isKmsActionAllowed(action: KmsAction, principal: PrincipalRef, key: KeyPolicyRef): boolean {
  const ownAccount = [`arn:aws:iam::${key.accountId}:root`];
  const encrypt = key.encryptPrincipals ?? ownAccount;
  const decrypt = key.decryptPrincipals ?? ownAccount;
  switch (action) {
    case "kms:Encrypt":
      return matchesPrincipal(encrypt, principal);
    case "kms:Decrypt":
      return matchesPrincipal(decrypt, principal);
    case "kms:DescribeKey":
      // Whoever may use the key, or anyone in the owning account, may read its metadata.
      return matchesPrincipal([...ownAccount, ...encrypt, ...decrypt], principal);
  }
}

/** Whether the role's trust policy names the principal. */
export function isTrustedBy(trust: readonly string[], principal: PrincipalRef): boolean {
  return matchesPrincipal(trust, principal);
}

/**
 * AWS's denial wording.
 *
 * @example accessDeniedMessage(caller.arn, "kms:Encrypt", keyArn)
 * // "User: arn:aws:iam::…:user/demo is not authorized to perform: kms:Encrypt on resource: arn:aws:kms:…"
 */
export function accessDeniedMessage(callerArn: string, action: string, resourceArn: string): string {
  return `User: ${callerArn} is not authorized to perform: ${action} on resource: ${resourceArn}`;
}
