import type { EncryptionContext } from "../protocol/index.js";
import { describeValue as describe, isRecord } from "./describe-value.js";

/** The KMS method's settings after validation. */
export interface ResolvedKmsOptions {
  readonly keyId: string;
  readonly encryptionContext: EncryptionContext;
}

const knownKmsOptions = ["keyId", "encryptionContext"];
const regionPattern = /^[a-z]{2}(?:-[a-z]+)+-\d+$/;
const kmsArnPattern =
  /^arn:aws(?:-[a-z]+)*:kms:([a-z]{2}(?:-[a-z]+)+-\d+):\d{12}:(?:key\/[\w-]+|alias\/[\w/-]+)$/;
const keyIdPattern = /^(?:mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;
const aliasNamePattern = /^alias\/[\w/-]{1,250}$/;

/** Validates the `kms` option (already known to be present); pushes problems, returns undefined when invalid. */
export function readKmsOptions(value: unknown, problems: string[]): ResolvedKmsOptions | undefined {
  if (!isRecord(value)) {
    problems.push(`kms: must be an object with keyId and encryptionContext (got ${describe(value)})`);
    return undefined;
  }
  for (const name of Object.keys(value)) {
    if (!knownKmsOptions.includes(name)) {
      problems.push(`kms.${name}: unknown option (known: ${knownKmsOptions.join(", ")})`);
    }
  }
  const { keyId, encryptionContext } = value;
  const keyIdValid =
    typeof keyId === "string" &&
    (kmsArnPattern.test(keyId) || keyIdPattern.test(keyId) || aliasNamePattern.test(keyId));
  if (!keyIdValid) {
    problems.push(
      `kms.keyId: must be a KMS key ARN, alias ARN, key id or alias name such as "alias/my-app" (got ${describe(keyId)})`,
    );
  }
  const context = readEncryptionContext(encryptionContext, problems);
  if (!keyIdValid || context === undefined) return undefined;
  return Object.freeze({ keyId, encryptionContext: context });
}

function readEncryptionContext(value: unknown, problems: string[]): EncryptionContext | undefined {
  if (!isRecord(value)) {
    problems.push(
      `kms.encryptionContext: must be an object of strings such as { salt: "…" } (got ${describe(value)})`,
    );
    return undefined;
  }
  const entries = Object.entries(value);
  if (entries.length === 0) {
    // An empty context would accept any token made under the key, including one for another app.
    problems.push("kms.encryptionContext: must have at least one entry: it binds tokens to this app");
    return undefined;
  }
  let valid = true;
  for (const [key, entry] of entries) {
    if (key === "" || typeof entry !== "string" || entry === "") {
      problems.push(
        `kms.encryptionContext[${JSON.stringify(key)}]: must be a non-empty string (got ${describe(entry)})`,
      );
      valid = false;
    }
  }
  return valid ? Object.freeze(Object.fromEntries(entries) as Record<string, string>) : undefined;
}

/**
 * Validates `region`: the region of the KMS and STS clients of the KMS method. Defaults to
 * the region in an ARN `kms.keyId`.
 */
export function readRegion(
  value: unknown,
  keyId: string | undefined,
  problems: string[],
): string | undefined {
  const keyRegion = keyId === undefined ? undefined : kmsArnPattern.exec(keyId)?.[1];
  if (value === undefined) return keyRegion;
  if (typeof value !== "string" || !regionPattern.test(value)) {
    problems.push(`region: must be an AWS region such as "us-east-1" (got ${describe(value)})`);
    return undefined;
  }
  if (keyRegion !== undefined && keyRegion !== value) {
    // KMS keys are regional: a Decrypt sent to another region's endpoint cannot find the key.
    problems.push(
      `region: ${JSON.stringify(value)} differs from the region of kms.keyId (${JSON.stringify(keyRegion)}); remove region or use a key in ${value}`,
    );
  }
  return value;
}
