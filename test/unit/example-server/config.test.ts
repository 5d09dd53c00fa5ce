import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DescribeKeyCommand, KMSServiceException, type KMSClient } from "@aws-sdk/client-kms";
import { GetCallerIdentityCommand, type STSClient } from "@aws-sdk/client-sts";
import { ExampleStartError, resolveExampleConfig } from "../../../example-server/config.js";
import { readExampleEnv, type ExampleEnv } from "../../../example-server/env.js";

const SECRET = "example-test-secret-0123456789abcdef";
const KEY_ARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const complete = {
  AWS_DEFAULT_REGION: "us-east-1",
  SECRET_KEY: SECRET,
  KMS_KEY_ID: "alias/demo",
  KMS_SALT: "pepper",
};

describe("resolveExampleConfig", () => {
  const env: ExampleEnv = readExampleEnv(complete);

  function fakeClients(answers: { describeKey?: () => unknown; callerAccount?: string }): {
    kms: KMSClient;
    sts: STSClient;
    calls: string[];
  } {
    const calls: string[] = [];
    const kms = {
      send: (command: unknown) => {
        assert.ok(command instanceof DescribeKeyCommand);
        calls.push(`DescribeKey ${command.input.KeyId}`);
        return Promise.resolve().then(
          answers.describeKey ?? (() => ({ KeyMetadata: { Arn: KEY_ARN, Enabled: true } })),
        );
      },
    } as unknown as KMSClient;
    const sts = {
      send: (command: unknown) => {
        assert.ok(command instanceof GetCallerIdentityCommand);
        calls.push("GetCallerIdentity");
        return Promise.resolve({ Account: answers.callerAccount ?? "111122223333" });
      },
    } as unknown as STSClient;
    return { kms, sts, calls };
  }

  it("resolves the key to its ARN and the account from the server's own identity", async () => {
    const clients = fakeClients({});
    const config = await resolveExampleConfig(env, clients);
    assert.deepEqual(clients.calls, ["DescribeKey alias/demo", "GetCallerIdentity"]);
    assert.deepEqual(config, {
      accountId: "111122223333",
      secretKey: SECRET,
      methods: ["sts", "kms"],
      kms: {
        keyArn: KEY_ARN,
        encryptionContext: { salt: "pepper" },
        region: "us-east-1",
        serverId: undefined,
        bound: true,
        acceptUnboundTokens: false,
      },
      sts: { serverId: undefined, testStsEndpoint: undefined },
      allowedAccounts: undefined,
      allowedPrincipals: undefined,
      authPath: undefined,
      helpUrl: undefined,
      proxyAddress: undefined,
      redisUrl: undefined,
      host: "127.0.0.1",
      port: 3000,
      trustProxy: false,
    });
  });

  it("when STS only with AWS_ACCOUNT_ID, makes no AWS call and needs no clients", async () => {
    const stsEnv = readExampleEnv({ AWS_ACCOUNT_ID: "111122223333", SECRET_KEY: SECRET });
    const config = await resolveExampleConfig(stsEnv, {});
    assert.equal(config.accountId, "111122223333");
    assert.equal(config.kms, undefined);
    assert.deepEqual(config.methods, ["sts"]);
  });

  it("when AWS_ACCOUNT_ID is set, does not call STS", async () => {
    const clients = fakeClients({});
    const config = await resolveExampleConfig({ ...env, accountId: "444455556666" }, clients);
    assert.equal(config.accountId, "444455556666");
    assert.deepEqual(clients.calls, ["DescribeKey alias/demo"]);
  });

  it("when DescribeKey fails, says which variable and why", async () => {
    const clients = fakeClients({
      describeKey: () => {
        throw new KMSServiceException({
          name: "NotFoundException",
          $fault: "client",
          $metadata: {},
          message: "Alias arn:aws:kms:us-east-1:111122223333:alias/demo is not found.",
        });
      },
    });
    await assert.rejects(resolveExampleConfig(env, clients), {
      name: "ExampleStartError",
      message:
        'KMS_KEY_ID: kms:DescribeKey of "alias/demo" failed: NotFoundException: Alias arn:aws:kms:us-east-1:111122223333:alias/demo is not found.',
    });
  });

  it("when the key is disabled", async () => {
    const clients = fakeClients({ describeKey: () => ({ KeyMetadata: { Arn: KEY_ARN, Enabled: false } }) });
    await assert.rejects(resolveExampleConfig(env, clients), (error: unknown) => {
      assert.ok(error instanceof ExampleStartError);
      assert.equal(error.message, `KMS_KEY_ID: the key ${KEY_ARN} is disabled`);
      return true;
    });
  });
});
