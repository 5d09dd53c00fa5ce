import { canonicalPrincipalArn, parseArn } from "../../protocol/index.js";
import { IamAuthError } from "../errors.js";
import type { IamIdentity } from "../identity.js";

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
  return compilePrincipalPattern(pattern).test(arn);
}

/** Whether an identity may use the app (see `isIdentityAllowed`). */
export type IdentityCheck = (identity: Pick<IamIdentity, "arn" | "account">) => boolean;

/**
 * `isIdentityAllowed` for one set of rules, with the patterns compiled once: the session
 * loader runs it on every request. The rules are copied, so later changes to the arrays
 * passed in do not reach it.
 *
 * @example const isAllowed = createIdentityCheck(rules); isAllowed(req.iamIdentity) // true or false
 */
export function createIdentityCheck(rules: AccessRules): IdentityCheck {
  const allowedAccounts = [...rules.allowedAccounts];
  const patterns = rules.allowedPrincipals?.map(compilePrincipalPattern);
  return (identity) => {
    if (!allowedAccounts.includes(identity.account)) return false;
    try {
      if (parseArn(identity.arn).account !== identity.account) return false;
      if (patterns === undefined) return true;
      const canonical = canonicalPrincipalArn(identity.arn);
      return patterns.some((pattern) => pattern.test(canonical));
    } catch {
      return false;
    }
  };
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
  return createIdentityCheck(rules)(identity);
}

/** Throws IamAuthError NOT_ALLOWED (403) unless `isIdentityAllowed`. */
export function checkIdentityAllowed(identity: IamIdentity, rules: AccessRules): void {
  if (!isIdentityAllowed(identity, rules)) {
    throw new IamAuthError("NOT_ALLOWED", `The identity ${identity.arn} is not allowed to use this app`);
  }
}

/** A pattern as a regular expression: `*` is any run of characters, the rest literal. */
function compilePrincipalPattern(pattern: string): RegExp {
  const source = pattern
    .split("*")
    .map((literal) => literal.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  // Not global: test() keeps no state between calls, so one RegExp serves every request.
  return new RegExp(`^${source}$`, "s");
}
