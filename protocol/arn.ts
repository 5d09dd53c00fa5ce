import { ProtocolError } from "./errors.js";

/** The parts of an ARN: arn:partition:service:region:account-id:resource. */
export interface Arn {
  readonly partition: string;
  readonly service: string;
  readonly region: string;
  readonly account: string;
  readonly resource: string;
}

const partitionPattern = /^aws(?:-[a-z]+)*$/;
const accountPattern = /^\d{12}$/;

/**
 * Parses an ARN; throws ProtocolError ARN_INVALID.
 *
 * @example parseArn("arn:aws:iam::111122223333:user/alice").account // "111122223333"
 */
export function parseArn(value: string): Arn {
  const parts = value.split(":");
  const [prefix, partition, service, region, account] = parts;
  const resource = parts.slice(5).join(":");
  if (
    parts.length < 6 ||
    prefix !== "arn" ||
    partition === undefined ||
    !partitionPattern.test(partition) ||
    service === undefined ||
    service === "" ||
    region === undefined ||
    account === undefined ||
    !accountPattern.test(account) ||
    resource === ""
  ) {
    throw new ProtocolError(
      "ARN_INVALID",
      `Not an AWS principal ARN: ${JSON.stringify(value.slice(0, 200))}`,
    );
  }
  return { partition, service, region, account, resource };
}

/**
 * The ARN to match authorization rules against: an assumed-role session ARN
 * (`arn:aws:sts::A:assumed-role/R/S`) becomes its role (`arn:aws:iam::A:role/R`);
 * every other ARN is returned as is. Role paths are not in session ARNs, so none is added.
 */
export function canonicalPrincipalArn(value: string): string {
  const arn = parseArn(value);
  if (arn.service !== "sts" || !arn.resource.startsWith("assumed-role/")) return value;
  const roleName = arn.resource.split("/")[1];
  if (roleName === undefined || roleName === "") return value;
  return `arn:${arn.partition}:iam::${arn.account}:role/${roleName}`;
}
