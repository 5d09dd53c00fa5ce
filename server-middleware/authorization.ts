import { canonicalPrincipalArn, parseArn } from "../protocol/index.js";
import { IamAuthError } from "./errors.js";
import type { IamIdentity } from "./identity.js";

/** Who may use the app, after validation. */
export interface AccessRules {
  /** 12-digit account ids; an identity of any other account is refused. */
  readonly allowedAccounts: readonly string[];
  /** ARN patterns (`*` matches any run of characters); undefined: every identity of allowedAccounts. */
  readonly allowedPrincipals: readonly string[] | undefined;
}

const partitionPattern = /^aws(?:-[a-z]+)*$/;
const accountPattern = /^\d{12}$/;

/**
 * Says what is wrong with an allowedPrincipals entry, or undefined when it is usable.
 * A pattern that could never match is a mistake worth stopping the start-up for.
 *
 * @example describePrincipalPatternProblem("arn:aws:iam::111122223333:role/Dev*", ["111122223333"]) // undefined
 */
export function describePrincipalPatternProblem(
  pattern: string,
  allowedAccounts: readonly string[] | undefined,
): string | undefined {
  if (!/^[\x21-\x7e]{1,2048}$/.test(pattern)) return "must be an ARN pattern without whitespace";
  const [prefix, partition, service, region, account, ...rest] = pattern.split(":");
  const resource = rest.join(":");
  if (prefix !== "arn" || partition === undefined || !partitionPattern.test(partition) || resource === "") {
    return 'must be an IAM principal ARN, such as "arn:aws:iam::111122223333:role/Dev*"';
  }
  if (service !== "iam" && service !== "sts")
    return 'must be an ARN of service "iam" (or "sts" for federated users)';
  if (region !== "") return "must have an empty region (IAM ARNs are global)";
  if (account !== "*" && !accountPattern.test(account ?? "")) return 'must name a 12-digit account or "*"';
  if (service === "sts" && resource.startsWith("assumed-role/")) {
    // Identities are matched as their role (canonicalPrincipalArn), so a session pattern never matches.
    return `matches role sessions by their role: write "arn:${partition}:iam::${account}:role/${resource.split("/")[1] ?? "…"}" instead`;
  }
  if (account !== "*" && allowedAccounts !== undefined && !allowedAccounts.includes(account as string)) {
    return `names account ${account}, which is not in allowedAccounts, so it could never match`;
  }
  return undefined;
}

/**
 * Whether `arn` matches a pattern: `*` matches any run of characters (including "/", as in
 * IAM policies); everything else is literal and case-sensitive.
 *
 * @example matchesPrincipalPattern("arn:aws:iam::111122223333:role/Developer", "arn:aws:iam::111122223333:role/Dev*") // true
 */
export function matchesPrincipalPattern(arn: string, pattern: string): boolean {
  const source = pattern
    .split("*")
    .map((literal) => literal.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${source}$`, "s").test(arn);
}

/**
 * Whether an identity may use the app: its account is allowed and, when patterns are
 * configured, its canonical ARN (an assumed-role session as its role) matches one of them.
 *
 * @example isIdentityAllowed({ arn: "arn:aws:sts::111122223333:assumed-role/Developer/alice", … }, rules)
 */
export function isIdentityAllowed(
  identity: Pick<IamIdentity, "arn" | "account">,
  rules: AccessRules,
): boolean {
  if (!rules.allowedAccounts.includes(identity.account)) return false;
  let canonical: string;
  try {
    if (parseArn(identity.arn).account !== identity.account) return false;
    canonical = canonicalPrincipalArn(identity.arn);
  } catch {
    return false;
  }
  if (rules.allowedPrincipals === undefined) return true;
  return rules.allowedPrincipals.some((pattern) => matchesPrincipalPattern(canonical, pattern));
}

/** Throws IamAuthError NOT_ALLOWED (403) unless `isIdentityAllowed`. */
export function checkIdentityAllowed(identity: IamIdentity, rules: AccessRules): void {
  if (!isIdentityAllowed(identity, rules)) {
    throw new IamAuthError("NOT_ALLOWED", `The identity ${identity.arn} is not allowed to use this app`);
  }
}
