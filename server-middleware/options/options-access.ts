import { describePrincipalPatternProblem, type AccessRules } from "../session/authorization.js";
import { describeValue as describe } from "./describe-value.js";

const accountIdPattern = /^\d{12}$/;

/**
 * Validates `allowedAccounts` (default: `[accountId]`) and `allowedPrincipals` (default: any
 * principal of those accounts). Pushes problems; returns undefined when invalid.
 */
export function readAccessOptions(
  allowedAccounts: unknown,
  allowedPrincipals: unknown,
  accountId: string | undefined,
  problems: string[],
): AccessRules | undefined {
  const before = problems.length;
  const accounts = readAllowedAccounts(allowedAccounts, accountId, problems);
  let principals: readonly string[] | undefined;
  if (allowedPrincipals !== undefined) {
    if (!Array.isArray(allowedPrincipals) || allowedPrincipals.length === 0) {
      problems.push(
        `allowedPrincipals: must be a non-empty array of ARN patterns; leave it out to allow every identity of allowedAccounts (got ${describe(allowedPrincipals)})`,
      );
    } else {
      (allowedPrincipals as unknown[]).forEach((pattern, index) => {
        const problem =
          typeof pattern === "string"
            ? describePrincipalPatternProblem(pattern, accounts)
            : 'must be an ARN pattern such as "arn:aws:iam::111122223333:role/Dev*"';
        if (problem !== undefined)
          problems.push(`allowedPrincipals[${index}]: ${problem} (got ${describe(pattern)})`);
      });
      principals = Object.freeze([...(allowedPrincipals as string[])]);
    }
  }
  if (problems.length > before || accounts === undefined) return undefined;
  return Object.freeze({ allowedAccounts: accounts, allowedPrincipals: principals });
}

function readAllowedAccounts(
  value: unknown,
  accountId: string | undefined,
  problems: string[],
): readonly string[] | undefined {
  if (value === undefined) return accountId === undefined ? undefined : Object.freeze([accountId]);
  if (!Array.isArray(value) || value.length === 0) {
    problems.push(
      `allowedAccounts: must be a non-empty array of 12-digit AWS account ids (got ${describe(value)})`,
    );
    return undefined;
  }
  let valid = true;
  (value as unknown[]).forEach((account, index) => {
    if (typeof account !== "string" || !accountIdPattern.test(account)) {
      problems.push(
        `allowedAccounts[${index}]: must be a 12-digit AWS account id (got ${describe(account)})`,
      );
      valid = false;
    }
  });
  return valid ? Object.freeze([...new Set(value as string[])]) : undefined;
}
