import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DescribeKeyCommand, KMSServiceException, type KMSClient } from "@aws-sdk/client-kms";
import { GetCallerIdentityCommand, type STSClient } from "@aws-sdk/client-sts";
import {
  ExampleConfigError,
  ExampleStartError,
  readExampleEnv,
  resolveExampleConfig,
  type ExampleEnv,
} from "../../../example-server/config.js";

const SECRET = "example-test-secret-0123456789abcdef";
const KEY_ARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const complete = {
  AWS_DEFAULT_REGION: "us-east-1",
  SECRET_KEY: SECRET,
  KMS_KEY_ID: "alias/demo",
  KMS_SALT: "pepper",
};

function assertProblems(env: Record<string, string | undefined>, problems: readonly string[]): void {
  assert.throws(
    () => readExampleEnv(env),
    (error: unknown) => {
      assert.ok(error instanceof ExampleConfigError);
      assert.equal(error.code, "EXAMPLE_CONFIG_INVALID");
      assert.deepEqual(error.problems, problems);
      assert.equal(
        error.message,
        `example-server: cannot start; set these environment variables:\n  - ${problems.join("\n  - ")}`,
      );
      return true;
    },
  );
}

describe("readExampleEnv", () => {
  it("reads a complete environment, with HOST and PORT defaults", () => {
    assert.deepEqual(readExampleEnv(complete), {
      accountId: undefined,
      region: "us-east-1",
      secretKey: SECRET,
      kmsKeyId: "alias/demo",
      kmsSalt: "pepper",
      host: "127.0.0.1",
      port: 3000,
    });
  });

  it("reads AWS_ACCOUNT_ID, HOST and PORT when set (PORT=0: any free port)", () => {
    const env = readExampleEnv({ ...complete, AWS_ACCOUNT_ID: "111122223333", HOST: "0.0.0.0", PORT: "0" });
    assert.equal(env.accountId, "111122223333");
    assert.equal(env.host, "0.0.0.0");
    assert.equal(env.port, 0);
  });

  it("takes AWS_REGION when AWS_DEFAULT_REGION is unset", () => {
    const env = readExampleEnv({ ...complete, AWS_DEFAULT_REGION: undefined, AWS_REGION: "eu-west-1" });
    assert.equal(env.region, "eu-west-1");
  });

  it("when nothing is set, says what to set, every variable at once", () => {
    assertProblems({}, [
      "AWS_DEFAULT_REGION (or AWS_REGION): required: the AWS region of the KMS key, e.g. us-east-1",
      "SECRET_KEY: required: a random string of at least 32 characters that signs the session cookies (e.g. from `openssl rand -hex 32`)",
      "KMS_KEY_ID: required: the KMS key tokens are encrypted under (key id, key ARN or alias/name)",
      'KMS_SALT: required: any string unique to this app; tokens are bound to the context {"salt": KMS_SALT}',
    ]);
  });

  it("when a variable is empty, treats it as unset", () => {
    assertProblems({ ...complete, KMS_SALT: "" }, [
      'KMS_SALT: required: any string unique to this app; tokens are bound to the context {"salt": KMS_SALT}',
    ]);
  });

  it("when SECRET_KEY is too short, says so without showing it", () => {
    const short = "short-secret-value";
    assert.throws(
      () => readExampleEnv({ ...complete, SECRET_KEY: short }),
      (error: unknown) => {
        assert.ok(error instanceof ExampleConfigError);
        assert.deepEqual(error.problems, [
          "SECRET_KEY: must be at least 32 characters (it has 18; value not shown)",
        ]);
        assert.ok(!error.message.includes(short));
        return true;
      },
    );
  });

  it("when values are malformed, names each variable and value", () => {
    assertProblems(
      { ...complete, AWS_ACCOUNT_ID: "12345", AWS_DEFAULT_REGION: "moon", PORT: "80a", KMS_KEY_ID: "my key" },
      [
        'AWS_ACCOUNT_ID: must be a 12-digit AWS account id, or unset to look it up with sts:GetCallerIdentity (got "12345")',
        'AWS_DEFAULT_REGION: must be an AWS region such as us-east-1 (got "moon")',
        'KMS_KEY_ID: must be a key id, key ARN or alias/name (got "my key")',
        'PORT: must be an integer from 0 to 65535 (got "80a")',
      ],
    );
  });

  it("when PORT is out of range", () => {
    assertProblems({ ...complete, PORT: "65536" }, [
      'PORT: must be an integer from 0 to 65535 (got "65536")',
    ]);
  });

  it("when AWS_DEFAULT_REGION and AWS_REGION disagree", () => {
    assertProblems({ ...complete, AWS_REGION: "eu-west-1" }, [
      'AWS_DEFAULT_REGION and AWS_REGION disagree ("us-east-1" and "eu-west-1"): set only one',
    ]);
  });
});

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
      region: "us-east-1",
      secretKey: SECRET,
      kmsKeyArn: KEY_ARN,
      encryptionContext: { salt: "pepper" },
      host: "127.0.0.1",
      port: 3000,
    });
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
