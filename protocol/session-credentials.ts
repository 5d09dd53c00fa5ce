import { ProtocolError } from "./errors.js";

/** Temporary AWS credentials as carried (KMS-encrypted) in the KMS method's token. */
export interface SessionCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
}

const wireKeys = ["AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"] as const;
// RFC 3339 date-time, as Go's encoding/json writes time.Time and AWS returns Expiration.
const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;

/**
 * Serialises credentials as the token plaintext: JSON with exactly the keys
 * AccessKeyId, SecretAccessKey, SessionToken, Expiration (ISO-8601 UTC).
 */
export function serializeSessionCredentials(credentials: SessionCredentials): string {
  return JSON.stringify({
    AccessKeyId: credentials.accessKeyId,
    SecretAccessKey: credentials.secretAccessKey,
    SessionToken: credentials.sessionToken,
    Expiration: credentials.expiration.toISOString(),
  });
}

/**
 * Parses a decrypted token plaintext. Throws ProtocolError CREDENTIALS_INVALID, whose
 * message never repeats the plaintext (it holds a secret key).
 */
export function parseSessionCredentials(plaintext: string): SessionCredentials {
  const invalid = (what: string): ProtocolError =>
    new ProtocolError("CREDENTIALS_INVALID", `The token does not hold AWS credentials: ${what}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(plaintext);
  } catch {
    throw invalid("it is not JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw invalid("not a JSON object");
  const record = parsed as Record<string, unknown>;
  const keys = Object.keys(record);
  const unexpected = keys.filter((key) => !(wireKeys as readonly string[]).includes(key));
  if (unexpected.length > 0) throw invalid(`unexpected key ${JSON.stringify(unexpected[0]?.slice(0, 40))}`);
  for (const key of wireKeys) {
    const value = record[key];
    if (typeof value !== "string" || value === "") throw invalid(`${key} is missing or not a string`);
  }
  const expirationText = record.Expiration as string;
  const expiration = new Date(expirationText);
  if (!rfc3339.test(expirationText) || Number.isNaN(expiration.getTime())) {
    throw invalid("Expiration is not an RFC 3339 date");
  }
  return {
    accessKeyId: record.AccessKeyId as string,
    secretAccessKey: record.SecretAccessKey as string,
    sessionToken: record.SessionToken as string,
    expiration,
  };
}
