import { isRoleArn, isStsEndpoint, type AwsLoginOptions } from "../../aws/aws-login.js";
import type { CliEnvironment } from "../command.js";
import { DEFAULT_SESSION_NAME } from "../flags/flag-table.js";
import type { FlagReader } from "../flags/flag-values.js";

// AWS's own patterns (IAM/STS API reference) for the values we pass to STS.
const sessionNamePattern = /^[\w+=,.@-]{2,64}$/;
const externalIdPattern = /^[\w+=,.@:/-]{2,1224}$/;
const mfaSerialPattern = /^[\w+=/:,.@-]{9,256}$/;
const mfaCodePattern = /^\d{6}$/;
const regionPattern = /^[a-z]{2,}(?:-[a-z]+)+-\d{1,2}$/;

/**
 * Reads the identity flags (--profile, --region, --assume-role-*, --mfa-*) into the AWS login
 * options, reporting each problem to `flags`. The region falls back to AWS_REGION, then
 * AWS_DEFAULT_REGION (as in the AWS CLI); AWS_ENDPOINT_URL_STS, else AWS_ENDPOINT_URL, names
 * the STS endpoint, as for the SDK's own calls.
 *
 * @example readAwsOptions(flags, { AWS_REGION: "eu-west-1" }) // { region: "eu-west-1" }
 */
export function readAwsOptions(flags: FlagReader, env: CliEnvironment): AwsLoginOptions {
  const roleArn = flags.text("assume-role-arn");
  if (roleArn !== undefined && !isRoleArn(roleArn.value)) {
    flags.report(
      `${roleArn.name} must be an IAM role ARN like arn:aws:iam::123456789012:role/NAME (got ${JSON.stringify(roleArn.value)})`,
    );
  }
  const externalId = flags.text("assume-role-external-id");
  const sessionName = flags.text("assume-role-session-name");
  for (const given of [externalId, sessionName]) {
    if (given !== undefined && roleArn === undefined) flags.report(`${given.name} needs --assume-role-arn`);
  }
  if (externalId !== undefined && !externalIdPattern.test(externalId.value)) {
    flags.report(
      `${externalId.name} must be 2 to 1224 characters of letters, digits and +=,.@:/-_ (got ${JSON.stringify(externalId.value)})`,
    );
  }
  if (sessionName !== undefined && !sessionNamePattern.test(sessionName.value)) {
    flags.report(
      `${sessionName.name} must be 2 to 64 characters of letters, digits and +=,.@-_ (got ${JSON.stringify(sessionName.value)})`,
    );
  }

  const serialNumber = flags.text("mfa-serial-number");
  const tokenCode = flags.text("mfa-token-code");
  if (tokenCode !== undefined && serialNumber === undefined) {
    flags.report(`${tokenCode.name} needs --mfa-serial-number`);
  }
  if (serialNumber !== undefined && !mfaSerialPattern.test(serialNumber.value)) {
    flags.report(
      `${serialNumber.name} must be an MFA device ARN like arn:aws:iam::123456789012:mfa/NAME or a serial number (got ${JSON.stringify(serialNumber.value)})`,
    );
  }
  // The code is a one-time secret: never echo it.
  if (tokenCode !== undefined && !mfaCodePattern.test(tokenCode.value)) {
    flags.report(`${tokenCode.name} must be 6 digits`);
  }

  const regionFlag = flags.text("region");
  if (regionFlag !== undefined && !regionPattern.test(regionFlag.value)) {
    flags.report(
      `${regionFlag.name} must be an AWS region like us-east-1 (got ${JSON.stringify(regionFlag.value)})`,
    );
  }
  const region = regionFlag?.value ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION);
  const stsEndpoint = readStsEndpoint(flags, env);
  const mfa =
    serialNumber === undefined
      ? undefined
      : {
          serialNumber: serialNumber.value,
          ...(tokenCode === undefined ? {} : { tokenCode: tokenCode.value }),
        };
  const profile = flags.text("profile")?.value;
  return Object.freeze({
    ...(profile === undefined ? {} : { profile }),
    ...(region === undefined ? {} : { region }),
    ...(roleArn === undefined
      ? {}
      : {
          assumeRole: {
            roleArn: roleArn.value,
            sessionName: sessionName?.value ?? DEFAULT_SESSION_NAME,
            ...(externalId === undefined ? {} : { externalId: externalId.value }),
          },
        }),
    ...(mfa === undefined ? {} : { mfa }),
    ...(stsEndpoint === undefined ? {} : { stsEndpoint }),
  });
}

/**
 * The SDK's own variables for a custom STS endpoint (a VPC endpoint; the local STS in tests):
 * proofs must point where the SDK sends STS calls.
 */
function readStsEndpoint(flags: FlagReader, env: CliEnvironment): string | undefined {
  const variable =
    nonEmpty(env.AWS_ENDPOINT_URL_STS) === undefined ? "AWS_ENDPOINT_URL" : "AWS_ENDPOINT_URL_STS";
  const endpoint = nonEmpty(env[variable]);
  if (endpoint !== undefined && !isStsEndpoint(endpoint)) {
    flags.report(
      `${variable} must be an http(s) origin such as https://sts.example.internal (got ${JSON.stringify(endpoint)})`,
    );
  }
  return endpoint;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}
