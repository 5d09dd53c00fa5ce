import { readFileSync } from "node:fs";
import { deepFreeze, Validator } from "./config-validator.js";

/** An access key pair of an IAM user (long-term credentials, `AKIA…`). */
export interface AccessKeyConfig {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** The virtual MFA device of a user. A user with one must present it to GetSessionToken / AssumeRole. */
export interface MfaConfig {
  /** e.g. `arn:aws:iam::111122223333:mfa/demo`. */
  readonly serialNumber: string;
  /** The one fixed six-digit code this fake device accepts. */
  readonly code: string;
}

export interface UserConfig {
  readonly name: string;
  /** The unique id AWS reports as UserId, `AIDA…`. */
  readonly userId: string;
  readonly accessKeys: readonly AccessKeyConfig[];
  /** When set, GetSessionToken and AssumeRole require SerialNumber + TokenCode. Default: no MFA. */
  readonly mfa?: MfaConfig;
}

export interface RoleConfig {
  readonly name: string;
  /** `AROA…`; sessions report UserId `<roleId>:<RoleSessionName>`. */
  readonly roleId: string;
  /** Principal ARNs allowed to assume the role; `arn:aws:iam::<acct>:root` means any principal of that account. */
  readonly trust: readonly string[];
  /** When set, AssumeRole must pass exactly this ExternalId. Default: none required. */
  readonly externalId?: string;
  /** Upper bound for DurationSeconds, 3600..43200. Default 3600 (AWS's default). */
  readonly maxSessionDuration?: number;
}

export interface KeyConfig {
  /** The key id, a UUID. */
  readonly id: string;
  readonly region: string;
  /** Alias names without the `alias/` prefix. Default none. */
  readonly aliases: readonly string[];
  /** Who may kms:Encrypt. Absent: any principal of the key's own account. `[]`: nobody. */
  readonly encryptPrincipals?: readonly string[];
  /** Who may kms:Decrypt. Absent: any principal of the key's own account. `[]`: nobody. */
  readonly decryptPrincipals?: readonly string[];
  /** Base64 of 32 bytes of AES-256 key material. Default: random per process. */
  readonly material?: string;
  readonly description?: string;
}

export interface AccountConfig {
  /** 12-digit account id. */
  readonly id: string;
  readonly users: readonly UserConfig[];
  readonly roles: readonly RoleConfig[];
  readonly keys: readonly KeyConfig[];
}

/** Everything local AWS knows: accounts with their users, roles and KMS keys. */
export interface LocalAwsConfig {
  readonly accounts: readonly AccountConfig[];
}

/** Thrown when a configuration is invalid; `problems` lists every problem found, each naming the field. */
export class LocalAwsConfigError extends Error {
  readonly code = "LOCAL_AWS_INVALID_CONFIG";
  readonly problems: readonly string[];

  constructor(problems: readonly string[], options?: ErrorOptions) {
    super(`invalid local-aws configuration:\n  - ${problems.join("\n  - ")}`, options);
    this.name = "LocalAwsConfigError";
    this.problems = problems;
  }
}

const patterns = {
  accountId: /^\d{12}$/,
  iamName: /^[\w+=,.@-]{1,64}$/,
  userId: /^AIDA[A-Z0-9]{12,124}$/,
  roleId: /^AROA[A-Z0-9]{12,124}$/,
  accessKeyId: /^AKIA[A-Z0-9]{12,124}$/,
  mfaCode: /^\d{6}$/,
  mfaSerial: /^arn:aws:iam::\d{12}:mfa\/[\w+=,.@-]{1,128}$/,
  principal:
    /^arn:aws:(?:iam::\d{12}:(?:root|user\/[\w+=,.@/-]+|role\/[\w+=,.@/-]+)|sts::\d{12}:assumed-role\/.+)$/,
  externalId: /^[\w+=,.@:/-]{2,1224}$/,
  keyId: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
  region: /^[a-z]{2}(?:-[a-z]+)+-\d$/,
  alias: /^(?!aws\/)[a-zA-Z0-9/_-]{1,250}$/,
  base64: /^[A-Za-z0-9+/]*={0,2}$/,
} as const;

/** Reads and validates a JSON configuration file. Throws LocalAwsConfigError listing every problem. */
export function loadLocalAwsConfig(path: string): LocalAwsConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new LocalAwsConfigError([`cannot read config file ${JSON.stringify(path)}`], { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new LocalAwsConfigError([`config file ${JSON.stringify(path)} is not valid JSON`], {
      cause: error,
    });
  }
  return validateLocalAwsConfig(json);
}

/**
 * Checks an untrusted value against the configuration schema and returns a frozen copy.
 * Every problem is collected and reported together; secret values are never echoed.
 *
 * @example validateLocalAwsConfig({ accounts: [{ id: "111122223333", users: [], roles: [], keys: [] }] })
 */
export function validateLocalAwsConfig(input: unknown): LocalAwsConfig {
  const v = new Validator();
  const root = v.object(input, "config", ["accounts"]);
  const accounts = v
    .array(root?.accounts, "accounts", true)
    .map((a, i) => readAccount(v, a, `accounts[${i}]`));
  checkUniqueness(v, accounts);
  if (v.problems.length > 0) throw new LocalAwsConfigError(v.problems);
  return deepFreeze({ accounts });
}

function readAccount(v: Validator, input: unknown, at: string): AccountConfig {
  const o = v.object(input, at, ["id", "users", "roles", "keys"]);
  return {
    id: v.string(o?.id, `${at}.id`, patterns.accountId, true) ?? "",
    users: v.array(o?.users, `${at}.users`).map((u, i) => readUser(v, u, `${at}.users[${i}]`)),
    roles: v.array(o?.roles, `${at}.roles`).map((r, i) => readRole(v, r, `${at}.roles[${i}]`)),
    keys: v.array(o?.keys, `${at}.keys`).map((k, i) => readKey(v, k, `${at}.keys[${i}]`)),
  };
}

function readUser(v: Validator, input: unknown, at: string): UserConfig {
  const o = v.object(input, at, ["name", "userId", "accessKeys", "mfa"]);
  const accessKeys = v.array(o?.accessKeys, `${at}.accessKeys`).map((k, i) => {
    const ko = v.object(k, `${at}.accessKeys[${i}]`, ["accessKeyId", "secretAccessKey"]);
    return {
      accessKeyId:
        v.string(ko?.accessKeyId, `${at}.accessKeys[${i}].accessKeyId`, patterns.accessKeyId, true) ?? "",
      secretAccessKey: v.secret(ko?.secretAccessKey, `${at}.accessKeys[${i}].secretAccessKey`) ?? "",
    };
  });
  const user: UserConfig = {
    name: v.string(o?.name, `${at}.name`, patterns.iamName, true) ?? "",
    userId: v.string(o?.userId, `${at}.userId`, patterns.userId, true) ?? "",
    accessKeys,
  };
  if (o?.mfa === undefined) return user;
  const m = v.object(o.mfa, `${at}.mfa`, ["serialNumber", "code"]);
  const mfa = {
    serialNumber: v.string(m?.serialNumber, `${at}.mfa.serialNumber`, patterns.mfaSerial, true) ?? "",
    code: v.string(m?.code, `${at}.mfa.code`, patterns.mfaCode, true) ?? "",
  };
  return { ...user, mfa };
}

function readRole(v: Validator, input: unknown, at: string): RoleConfig {
  const o = v.object(input, at, ["name", "roleId", "trust", "externalId", "maxSessionDuration"]);
  const role: RoleConfig = {
    name: v.string(o?.name, `${at}.name`, patterns.iamName, true) ?? "",
    roleId: v.string(o?.roleId, `${at}.roleId`, patterns.roleId, true) ?? "",
    trust: v.stringList(o?.trust, `${at}.trust`, patterns.principal) ?? [],
  };
  const externalId = v.string(o?.externalId, `${at}.externalId`, patterns.externalId, false);
  const max = v.integer(o?.maxSessionDuration, `${at}.maxSessionDuration`, 3600, 43200);
  return {
    ...role,
    ...(externalId === undefined ? {} : { externalId }),
    ...(max === undefined ? {} : { maxSessionDuration: max }),
  };
}

function readKey(v: Validator, input: unknown, at: string): KeyConfig {
  const allowed = [
    "id",
    "region",
    "aliases",
    "encryptPrincipals",
    "decryptPrincipals",
    "material",
    "description",
  ];
  const o = v.object(input, at, allowed);
  const aliases = v
    .array(o?.aliases, `${at}.aliases`)
    .map((a, i) => v.string(a, `${at}.aliases[${i}]`, patterns.alias, true) ?? "");
  const key: KeyConfig = {
    id: v.string(o?.id, `${at}.id`, patterns.keyId, true) ?? "",
    region: v.string(o?.region, `${at}.region`, patterns.region, true) ?? "",
    aliases,
  };
  const encryptPrincipals = v.stringList(o?.encryptPrincipals, `${at}.encryptPrincipals`, patterns.principal);
  const decryptPrincipals = v.stringList(o?.decryptPrincipals, `${at}.decryptPrincipals`, patterns.principal);
  const material = v.secret(o?.material, `${at}.material`, false);
  if (material !== undefined && !isKeyMaterial(material)) {
    v.problems.push(`${at}.material: must be base64 of exactly 32 bytes (value not shown)`);
  }
  const description = v.string(o?.description, `${at}.description`, /^[^\0]{0,8192}$/, false);
  return {
    ...key,
    ...(encryptPrincipals === undefined ? {} : { encryptPrincipals }),
    ...(decryptPrincipals === undefined ? {} : { decryptPrincipals }),
    ...(material === undefined ? {} : { material }),
    ...(description === undefined ? {} : { description }),
  };
}

function isKeyMaterial(value: string): boolean {
  return patterns.base64.test(value) && Buffer.from(value, "base64").length === 32;
}

/** Ids that AWS keeps unique: access keys, KMS key ids, account ids; names unique within an account. */
function checkUniqueness(v: Validator, accounts: readonly AccountConfig[]): void {
  const seen = new Map<string, string>();
  const claim = (kind: string, value: string, at: string): void => {
    if (value === "") return;
    const earlier = seen.get(`${kind}:${value}`);
    if (earlier === undefined) seen.set(`${kind}:${value}`, at);
    else v.problems.push(`${at}: duplicate ${kind} ${JSON.stringify(value)} (already used at ${earlier})`);
  };
  accounts.forEach((account, a) => {
    const at = `accounts[${a}]`;
    claim("account id", account.id, `${at}.id`);
    account.users.forEach((user, u) => {
      claim("user name", `${account.id}/${user.name}`, `${at}.users[${u}].name`);
      claim("user id", user.userId, `${at}.users[${u}].userId`);
      user.accessKeys.forEach((k, i) =>
        claim("access key id", k.accessKeyId, `${at}.users[${u}].accessKeys[${i}]`),
      );
    });
    account.roles.forEach((role, r) => {
      claim("role name", `${account.id}/${role.name}`, `${at}.roles[${r}].name`);
      claim("role id", role.roleId, `${at}.roles[${r}].roleId`);
    });
    account.keys.forEach((key, k) => {
      claim("key id", key.id, `${at}.keys[${k}].id`);
      key.aliases.forEach((alias, i) =>
        claim("alias", `${account.id}/${key.region}/${alias}`, `${at}.keys[${k}].aliases[${i}]`),
      );
    });
  });
}
