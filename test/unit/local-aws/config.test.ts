import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import {
  loadLocalAwsConfig,
  LocalAwsConfigError,
  validateLocalAwsConfig,
} from "../../../local-aws/config.js";
import { demoAccount, demoConfig } from "../../../local-aws/demo-account.js";

function problemsOf(input: unknown): readonly string[] {
  try {
    validateLocalAwsConfig(input);
  } catch (error) {
    assert.ok(error instanceof LocalAwsConfigError);
    assert.equal(error.code, "LOCAL_AWS_INVALID_CONFIG");
    return error.problems;
  }
  assert.fail("expected the configuration to be rejected");
}

const secret = "a-secret-that-must-never-be-echoed";

describe("validateLocalAwsConfig", () => {
  it("accepts the built-in demo configuration and returns a frozen copy", () => {
    const config = validateLocalAwsConfig(JSON.parse(JSON.stringify(demoConfig)));
    assert.deepEqual(config, demoConfig);
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.accounts[0]?.users[0]?.accessKeys[0]));
  });

  it("defaults users, roles and keys to empty lists", () => {
    const config = validateLocalAwsConfig({ accounts: [{ id: "123456789012" }] });
    assert.deepEqual(config, { accounts: [{ id: "123456789012", users: [], roles: [], keys: [] }] });
  });

  it("reports every problem at once, naming the field and the bad value", () => {
    const problems = problemsOf({
      accounts: [
        {
          id: "12345",
          users: [
            {
              name: "demo",
              userId: "BOGUS",
              accessKeys: [{ accessKeyId: "AKIA123", secretAccessKey: "short" }],
              mfa: { serialNumber: "arn:aws:iam::111122223333:mfa/demo", code: "12" },
            },
          ],
          roles: [
            { name: "Dev", roleId: "AROALOCALDEVELOPER01", trust: ["someone"], maxSessionDuration: 60 },
          ],
          keys: [
            {
              id: "not-a-uuid",
              region: "us-east-1",
              aliases: ["aws/reserved"],
              material: "AAAA",
              colour: "red",
            },
          ],
        },
      ],
    });
    assert.deepEqual(problems, [
      'accounts[0].id: must be a string matching /^\\d{12}$/ (got "12345")',
      'accounts[0].users[0].accessKeys[0].accessKeyId: must be a string matching /^AKIA[A-Z0-9]{12,124}$/ (got "AKIA123")',
      "accounts[0].users[0].accessKeys[0].secretAccessKey: must be a string of 16 to 128 characters (value not shown)",
      'accounts[0].users[0].userId: must be a string matching /^AIDA[A-Z0-9]{12,124}$/ (got "BOGUS")',
      'accounts[0].users[0].mfa.code: must be a string matching /^\\d{6}$/ (got "12")',
      "accounts[0].roles[0].trust[0]: must be a string matching " +
        "/^arn:aws:(?:iam::\\d{12}:(?:root|user\\/[\\w+=,.@/-]+|role\\/[\\w+=,.@/-]+)|sts::\\d{12}:assumed-role\\/.+)$/ " +
        '(got "someone")',
      "accounts[0].roles[0].maxSessionDuration: must be an integer from 3600 to 43200 (got 60)",
      "accounts[0].keys[0].colour: unknown field (allowed: id, region, aliases, encryptPrincipals, decryptPrincipals, material, description)",
      'accounts[0].keys[0].aliases[0]: must be a string matching /^(?!aws\\/)[a-zA-Z0-9/_-]{1,250}$/ (got "aws/reserved")',
      'accounts[0].keys[0].id: must be a string matching /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/ (got "not-a-uuid")',
      "accounts[0].keys[0].material: must be a string of 16 to 128 characters (value not shown)",
    ]);
  });

  it("never echoes a secret access key or key material", () => {
    const problems = problemsOf({
      accounts: [
        {
          id: "111122223333",
          users: [
            {
              name: "u",
              userId: "AIDALOCALUSER0000001",
              accessKeys: [{ accessKeyId: "bad", secretAccessKey: 42 }],
            },
          ],
          keys: [{ id: demoAccount.keys.demo.id, region: "us-east-1", aliases: [], material: secret }],
        },
      ],
    });
    assert.equal(problems.length, 3);
    assert.ok(
      problems.every((p) => !p.includes(secret) && !p.includes("42")),
      problems.join("\n"),
    );
    assert.ok(
      problems.includes("accounts[0].keys[0].material: must be base64 of exactly 32 bytes (value not shown)"),
    );
  });

  it("reports duplicate access keys, key ids and aliases with both places", () => {
    const user = {
      name: "u",
      userId: "AIDALOCALUSER0000001",
      accessKeys: [{ accessKeyId: "AKIALOCALUSER0000001", secretAccessKey: secret }],
    };
    const key = { id: demoAccount.keys.demo.id, region: "us-east-1", aliases: ["demo"] };
    const problems = problemsOf({
      accounts: [
        { id: "111122223333", users: [user], keys: [key] },
        { id: "444455556666", users: [{ ...user, name: "v", userId: "AIDALOCALUSER0000002" }], keys: [key] },
      ],
    });
    assert.deepEqual(problems, [
      'accounts[1].users[0].accessKeys[0]: duplicate access key id "AKIALOCALUSER0000001" (already used at accounts[0].users[0].accessKeys[0])',
      `accounts[1].keys[0].id: duplicate key id "${demoAccount.keys.demo.id}" (already used at accounts[0].keys[0].id)`,
    ]);
  });

  it("rejects a document that is not an object and a missing accounts list", () => {
    assert.deepEqual(problemsOf([]), [
      "config: must be an object (got an array)",
      "accounts: must be an array (got nothing)",
    ]);
    assert.deepEqual(problemsOf({ accounts: [], extra: 1 }), [
      "config.extra: unknown field (allowed: accounts)",
    ]);
  });
});

describe("loadLocalAwsConfig", () => {
  const dir = mkdtempSync(join(tmpdir(), "local-aws-config-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("loads a valid file", () => {
    const path = join(dir, "ok.json");
    writeFileSync(path, JSON.stringify(demoConfig));
    assert.equal(loadLocalAwsConfig(path).accounts[0]?.id, demoAccount.accountId);
  });

  it("names a file that is not JSON", () => {
    const path = join(dir, "bad.json");
    writeFileSync(path, "{ nope");
    assert.throws(() => loadLocalAwsConfig(path), {
      name: "LocalAwsConfigError",
      problems: [`config file ${JSON.stringify(path)} is not valid JSON`],
    });
  });

  it("names a file that cannot be read", () => {
    const path = join(dir, "missing.json");
    assert.throws(() => loadLocalAwsConfig(path), {
      name: "LocalAwsConfigError",
      problems: [`cannot read config file ${JSON.stringify(path)}`],
    });
  });
});
