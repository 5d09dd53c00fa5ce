import { validateLocalAwsConfig, type LocalAwsConfig } from "./config.js";

/*
 * The built-in world local AWS serves when started without --config.
 *
 * DEMO ONLY: every access key and secret below is fake, published in this repository and
 * accepted by nothing but local-aws. Never reuse them anywhere else.
 */

const accountId = "111122223333";
const outsiderAccountId = "444455556666";
const region = "us-east-1";

const iamArn = (account: string, path: string): string => `arn:aws:iam::${account}:${path}`;
const kmsArn = (account: string, path: string): string => `arn:aws:kms:${region}:${account}:${path}`;

const demoKeyId = "1234abcd-12ab-34cd-56ef-1234567890ab";
const outsiderKeyId = "0987dcba-09fe-87dc-65ba-ab0987654321";

/**
 * The identities, roles and keys of the built-in demo world, for tests and the demo.
 *
 * @example
 * new STSClient({ endpoint: url, region: demoAccount.region, credentials: demoAccount.users.demo })
 */
export const demoAccount = {
  accountId,
  region,
  users: {
    /** The person using the proxy. Trusted by both roles; may kms:Encrypt (not Decrypt) with the demo key. */
    demo: {
      name: "demo",
      arn: iamArn(accountId, "user/demo"),
      userId: "AIDALOCALDEMOUSER0001",
      accessKeyId: "AKIALOCALDEMO0000001",
      secretAccessKey: "local-aws-demo-secret-NOT-A-REAL-KEY-0001",
    },
    /** The example app server's identity: the only principal that may kms:Decrypt with the demo key. */
    exampleServer: {
      name: "example-server",
      arn: iamArn(accountId, "user/example-server"),
      userId: "AIDALOCALEXAMPLESRV01",
      accessKeyId: "AKIALOCALEXAMPLESRV1",
      secretAccessKey: "local-aws-example-server-secret-NOT-REAL-0002",
    },
    /** A user whose GetSessionToken / AssumeRole calls need SerialNumber + TokenCode. */
    mfaUser: {
      name: "mfa-user",
      arn: iamArn(accountId, "user/mfa-user"),
      userId: "AIDALOCALMFAUSER0001",
      accessKeyId: "AKIALOCALMFAUSER0001",
      secretAccessKey: "local-aws-mfa-user-secret-NOT-A-REAL-KEY-0003",
      mfaSerialNumber: iamArn(accountId, "mfa/mfa-user"),
      mfaCode: "123456",
    },
    /** A user of another account (444455556666): trusted by nothing in the demo account. */
    outsider: {
      name: "outsider",
      accountId: outsiderAccountId,
      arn: iamArn(outsiderAccountId, "user/outsider"),
      userId: "AIDALOCALOUTSIDER001",
      accessKeyId: "AKIALOCALOUTSIDER001",
      secretAccessKey: "local-aws-outsider-secret-NOT-A-REAL-KEY-0004",
    },
  },
  roles: {
    /** Assumable by the demo user and mfa-user. */
    developer: {
      name: "Developer",
      arn: iamArn(accountId, "role/Developer"),
      roleId: "AROALOCALDEVELOPER01",
    },
    /** Assumable by the demo user only with ExternalId `externalId`. */
    externalPartner: {
      name: "ExternalPartner",
      arn: iamArn(accountId, "role/ExternalPartner"),
      roleId: "AROALOCALEXTPARTNER1",
      externalId: "demo-external-id-0001",
    },
  },
  keys: {
    /** Encrypt: any principal of 111122223333. Decrypt: only the example-server user. */
    demo: {
      id: demoKeyId,
      arn: kmsArn(accountId, `key/${demoKeyId}`),
      alias: "alias/demo",
      aliasArn: kmsArn(accountId, "alias/demo"),
    },
    /** A "foreign" key owned by 444455556666; its default policy admits only that account. */
    outsiderKey: {
      id: outsiderKeyId,
      accountId: outsiderAccountId,
      arn: kmsArn(outsiderAccountId, `key/${outsiderKeyId}`),
      alias: "alias/outsider",
      aliasArn: kmsArn(outsiderAccountId, "alias/outsider"),
    },
  },
} as const;

const { users, roles, keys } = demoAccount;

const userConfig = (u: { name: string; userId: string; accessKeyId: string; secretAccessKey: string }) => ({
  name: u.name,
  userId: u.userId,
  accessKeys: [{ accessKeyId: u.accessKeyId, secretAccessKey: u.secretAccessKey }],
});

/**
 * The configuration local AWS uses when no --config is given (validated and frozen).
 * Key material is random per process.
 */
export const demoConfig: LocalAwsConfig = validateLocalAwsConfig({
  accounts: [
    {
      id: accountId,
      users: [
        userConfig(users.demo),
        userConfig(users.exampleServer),
        {
          ...userConfig(users.mfaUser),
          mfa: { serialNumber: users.mfaUser.mfaSerialNumber, code: users.mfaUser.mfaCode },
        },
      ],
      roles: [
        {
          name: roles.developer.name,
          roleId: roles.developer.roleId,
          trust: [users.demo.arn, users.mfaUser.arn],
        },
        {
          name: roles.externalPartner.name,
          roleId: roles.externalPartner.roleId,
          trust: [users.demo.arn],
          externalId: roles.externalPartner.externalId,
        },
      ],
      keys: [
        {
          id: keys.demo.id,
          region,
          aliases: ["demo"],
          description: "demo key: any principal of 111122223333 may encrypt, only example-server may decrypt",
          encryptPrincipals: [iamArn(accountId, "root")],
          decryptPrincipals: [users.exampleServer.arn],
        },
      ],
    },
    {
      id: outsiderAccountId,
      users: [userConfig(users.outsider)],
      roles: [],
      keys: [
        { id: keys.outsiderKey.id, region, aliases: ["outsider"], description: "a key of another account" },
      ],
    },
  ],
});
