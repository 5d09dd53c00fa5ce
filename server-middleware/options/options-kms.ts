import type { EncryptionContext } from "../../protocol/index.js";
import { KMS_SERVER_ID_CONTEXT_KEY } from "../../protocol/index.js";
import { describeValue as describe, isRecord } from "./describe-value.js";
import { readServerId } from "./options-sts.js";

/** The KMS method's settings after validation. */
export interface ResolvedKmsOptions {
  readonly keyId: string;
  /** The app's own context, without the reserved key. */
  readonly encryptionContext: EncryptionContext;
  /**
   * The server-id tokens are bound to (normalised): `kms.serverId`, else `sts.serverId`.
   * Undefined only when unbound tokens are accepted and there is no server-id to bind to.
   */
  readonly serverId: string | undefined;
  readonly acceptUnboundTokens: boolean;
}

const knownKmsOptions = ["keyId", "encryptionContext", "serverId", "acceptUnboundTokens"];
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
  const { keyId, encryptionContext, acceptUnboundTokens } = value;
  const keyIdValid =
    typeof keyId === "string" &&
    (kmsArnPattern.test(keyId) || keyIdPattern.test(keyId) || aliasNamePattern.test(keyId));
  if (!keyIdValid) {
    problems.push(
      `kms.keyId: must be a KMS key ARN, alias ARN, key id or alias name such as "alias/my-app" (got ${describe(keyId)})`,
    );
  }
  const context = readEncryptionContext(encryptionContext, problems);
  const serverId =
    value.serverId === undefined ? undefined : readServerId(value.serverId, "kms.serverId", problems);
  if (acceptUnboundTokens !== undefined && typeof acceptUnboundTokens !== "boolean") {
    problems.push(`kms.acceptUnboundTokens: must be true or false (got ${describe(acceptUnboundTokens)})`);
  }
  if (!keyIdValid || context === undefined || (value.serverId !== undefined && serverId === undefined)) {
    return undefined;
  }
  return Object.freeze({
    keyId,
    encryptionContext: context,
    serverId,
    acceptUnboundTokens: acceptUnboundTokens === true,
  });
}

/**
 * Settles which server-id KMS tokens are bound to: `kms.serverId`, else `sts.serverId` (the two
 * must agree: clients check one server-id per challenge). Without either, a token cannot be bound,
 * which is only allowed when the app accepts unbound tokens.
 */
export function bindKmsServerId(
  kms: ResolvedKmsOptions,
  stsServerId: string | undefined,
  problems: string[],
): ResolvedKmsOptions | undefined {
  if (kms.serverId !== undefined && stsServerId !== undefined && kms.serverId !== stsServerId) {
    problems.push(
      `kms.serverId: differs from sts.serverId (${JSON.stringify(kms.serverId)} and ${JSON.stringify(stsServerId)}); the challenge has one server-id: remove kms.serverId`,
    );
    return undefined;
  }
  const serverId = kms.serverId ?? stsServerId;
  if (serverId === undefined && !kms.acceptUnboundTokens) {
    problems.push(
      'kms.serverId: required without sts: the app\'s host[:port] that KMS tokens are bound to, such as "app.example.com" (or set kms.acceptUnboundTokens: true to accept only unbound tokens, as the original server does)',
    );
    return undefined;
  }
  return Object.freeze({ ...kms, serverId });
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
  if (Object.hasOwn(value, KMS_SERVER_ID_CONTEXT_KEY)) {
    // The key binds tokens to a server-id; an app that set it could claim another app's.
    problems.push(
      `kms.encryptionContext[${JSON.stringify(KMS_SERVER_ID_CONTEXT_KEY)}]: reserved: the middleware adds it to bind tokens to the server-id; use another key`,
    );
    valid = false;
  }
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
