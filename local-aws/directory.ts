import type { KeyConfig, LocalAwsConfig, RoleConfig, UserConfig } from "./config.js";
import { generateKeyMaterial, type KeyMaterial } from "./kms-crypto.js";

/*
 * The read-only index of what the configuration declares: users by access key, roles by ARN,
 * KMS keys by id and alias. Built once at start-up.
 */

export interface UserEntry {
  readonly accountId: string;
  readonly arn: string;
  readonly config: UserConfig;
}

export interface RoleEntry {
  readonly accountId: string;
  readonly arn: string;
  readonly config: RoleConfig;
}

export interface KeyEntry {
  readonly accountId: string;
  readonly region: string;
  readonly arn: string;
  readonly config: KeyConfig;
  readonly material: KeyMaterial;
  readonly createdAt: Date;
}

export interface Directory {
  /** The user owning a long-term access key, with that key's secret. */
  findAccessKey(
    accessKeyId: string,
  ): { readonly user: UserEntry; readonly secretAccessKey: string } | undefined;
  /** A role by its ARN; a role path (`role/path/Name`) is accepted, matched by account and name. */
  findRole(roleArn: string): RoleEntry | undefined;
  /** A key by its globally unique key id (what a ciphertext blob records). */
  findKeyById(keyId: string): KeyEntry | undefined;
  /**
   * Resolves KMS's KeyId forms: key ARN, alias ARN, `alias/<name>` or a bare key id; the last
   * two are looked up in the caller's account and the request's region, as KMS does.
   */
  resolveKey(
    keyId: string,
    scope: { readonly accountId: string; readonly region: string },
  ): KeyEntry | undefined;
  /** Every secret access key and key material the configuration holds (for the secrets admin endpoint). */
  readonly configuredSecrets: readonly string[];
}

/** Builds the directory; keys without configured material get 32 random bytes. */
export function createDirectory(config: LocalAwsConfig, now: Date): Directory {
  const accessKeys = new Map<string, { user: UserEntry; secretAccessKey: string }>();
  const roles = new Map<string, RoleEntry>();
  const keysById = new Map<string, KeyEntry>();
  const keysByArn = new Map<string, KeyEntry>();
  const configuredSecrets: string[] = [];
  for (const account of config.accounts) {
    for (const user of account.users) {
      const entry = {
        accountId: account.id,
        arn: `arn:aws:iam::${account.id}:user/${user.name}`,
        config: user,
      };
      for (const key of user.accessKeys) {
        accessKeys.set(key.accessKeyId, { user: entry, secretAccessKey: key.secretAccessKey });
        configuredSecrets.push(key.secretAccessKey);
      }
    }
    for (const role of account.roles) {
      const arn = `arn:aws:iam::${account.id}:role/${role.name}`;
      roles.set(`${account.id}/${role.name}`, { accountId: account.id, arn, config: role });
    }
    for (const key of account.keys) {
      const material =
        key.material === undefined ? generateKeyMaterial() : Buffer.from(key.material, "base64");
      if (key.material !== undefined) configuredSecrets.push(key.material);
      const prefix = `arn:aws:kms:${key.region}:${account.id}:`;
      const entry: KeyEntry = {
        accountId: account.id,
        region: key.region,
        arn: `${prefix}key/${key.id}`,
        config: key,
        material: { keyId: key.id, material },
        createdAt: now,
      };
      keysById.set(key.id, entry);
      keysByArn.set(entry.arn, entry);
      for (const alias of key.aliases) keysByArn.set(`${prefix}alias/${alias}`, entry);
    }
  }

  return {
    findAccessKey: (accessKeyId) => accessKeys.get(accessKeyId),
    findRole(roleArn) {
      const match = /^arn:aws:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]+)$/.exec(roleArn);
      return match === null ? undefined : roles.get(`${match[1]}/${match[2]}`);
    },
    findKeyById: (keyId) => keysById.get(keyId),
    resolveKey(keyId, scope) {
      if (keyId.startsWith("arn:")) {
        const key = keysByArn.get(keyId);
        // A key lives in one region: an ARN of another region than the request's is not found there.
        return key?.region === scope.region ? key : undefined;
      }
      const path = keyId.startsWith("alias/") ? keyId : `key/${keyId}`;
      return keysByArn.get(`arn:aws:kms:${scope.region}:${scope.accountId}:${path}`);
    },
    configuredSecrets,
  };
}
