import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { KMSClient } from "@aws-sdk/client-kms";
import { resolveOptions, type IamAuthOptions } from "../../../server-middleware/options.js";
import { ACCOUNT_ID, CONTEXT, KEY_ARN } from "./fake-aws.js";
import { SECRET_A, SECRET_B } from "./test-app.js";

const valid: IamAuthOptions = {
  accountId: ACCOUNT_ID,
  kms: { keyId: KEY_ARN, encryptionContext: CONTEXT },
  sessionSecrets: [SECRET_A],
};

/** Resolves `valid` with `changes` applied (a key set to undefined is removed). */
function resolveWith(changes: Record<string, unknown>): unknown {
  const input: Record<string, unknown> = { ...valid, ...changes };
  for (const [key, value] of Object.entries(changes)) if (value === undefined) delete input[key];
  return resolveOptions(input as unknown as IamAuthOptions);
}

function assertProblems(changes: Record<string, unknown>, problems: readonly string[]): void {
  assert.throws(
    () => resolveWith(changes),
    (error: unknown) => {
      assert.ok(error instanceof TypeError);
      assert.equal(error.message, `iamAuth: invalid options:\n  - ${problems.join("\n  - ")}`);
      return true;
    },
  );
}

describe("resolveOptions", () => {
  it("fills in the defaults", () => {
    const resolved = resolveOptions(valid);
    assert.equal(resolved.accountId, ACCOUNT_ID);
    assert.deepEqual(resolved.kms, { keyId: KEY_ARN, encryptionContext: { salt: "unit-test-salt" } });
    assert.deepEqual(resolved.sessionSecrets, [SECRET_A]);
    assert.equal(resolved.sessionMaxAgeSeconds, 3600);
    assert.deepEqual(resolved.publicPaths, []);
    assert.equal(resolved.authPath, "/auth");
    assert.equal(resolved.cookieName, "iam-auth-session");
    assert.equal(resolved.region, "us-east-1", "the region of the key ARN");
    assert.equal(resolved.kmsClient, undefined);
    assert.equal(resolved.createStsClient, undefined);
    assert.ok(Math.abs(resolved.clock().getTime() - Date.now()) < 5000);
    assert.equal(typeof resolved.logger, "function");
  });

  it("returns a frozen copy, down to the nested objects", () => {
    const resolved = resolveOptions({ ...valid, publicPaths: ["/health"] });
    assert.ok(Object.isFrozen(resolved));
    assert.ok(Object.isFrozen(resolved.kms));
    assert.ok(Object.isFrozen(resolved.kms.encryptionContext));
    assert.ok(Object.isFrozen(resolved.sessionSecrets));
    assert.ok(Object.isFrozen(resolved.publicPaths));
  });

  it("neither modifies the caller's object nor shares its mutable parts", () => {
    const context = { salt: "s1" };
    const secrets = [SECRET_A];
    const paths = ["/health"];
    const input = {
      ...valid,
      kms: { keyId: KEY_ARN, encryptionContext: context },
      sessionSecrets: secrets,
      publicPaths: paths,
    };
    const before = structuredClone(input);
    const resolved = resolveOptions(input);
    assert.deepEqual(input, before);
    assert.ok(
      !Object.isFrozen(input) &&
        !Object.isFrozen(context) &&
        !Object.isFrozen(secrets) &&
        !Object.isFrozen(paths),
    );
    context.salt = "changed";
    secrets.push(SECRET_B);
    paths.push("/admin");
    assert.deepEqual(resolved.kms.encryptionContext, { salt: "s1" });
    assert.deepEqual(resolved.sessionSecrets, [SECRET_A]);
    assert.deepEqual(resolved.publicPaths, ["/health"]);
  });

  it("keeps injected dependencies as given", () => {
    const kmsClient = { send: () => Promise.resolve({}) } as unknown as KMSClient;
    const clock = (): Date => new Date(0);
    const logger = (): void => undefined;
    const resolved = resolveOptions({ ...valid, kmsClient, clock, logger });
    assert.equal(resolved.kmsClient, kmsClient);
    assert.equal(resolved.clock, clock);
    assert.equal(resolved.logger, logger);
  });

  it("reports every problem together, in option order", () => {
    assertProblems(
      { accountId: "12345", kms: undefined, sessionSecrets: [], authPath: "auth", logger: "stdout" },
      [
        'accountId: must be a 12-digit AWS account id (got "12345")',
        "kms: must be an object with keyId and encryptionContext (got nothing)",
        "sessionSecrets: must be a non-empty array of secret strings (got an empty array)",
        'authPath: must be a path such as "/auth" (got "auth")',
        'logger: must be a function (got "stdout")',
      ],
    );
  });

  it("throws a TypeError when the options are not an object", () => {
    assert.throws(() => resolveOptions(undefined as unknown as IamAuthOptions), {
      name: "TypeError",
      message: "iamAuth: options must be an object (got nothing)",
    });
  });

  describe("unknown options", () => {
    it("when an option name is misspelt, names it and lists the known ones", () => {
      assertProblems({ sessionSecret: SECRET_A }, [
        "sessionSecret: unknown option (known: accountId, kms, sessionSecrets, sessionMaxAgeSeconds, publicPaths, authPath, cookieName, region, kmsClient, createStsClient, clock, logger)",
      ]);
    });
  });

  describe("accountId", () => {
    it("when missing", () => {
      assertProblems({ accountId: undefined }, [
        "accountId: must be a 12-digit AWS account id (got nothing)",
      ]);
    });
    it("when a number rather than a string", () => {
      assertProblems({ accountId: 111122223333 }, [
        "accountId: must be a 12-digit AWS account id (got 111122223333)",
      ]);
    });
    it("when not 12 digits", () => {
      assertProblems({ accountId: "1111222233334" }, [
        'accountId: must be a 12-digit AWS account id (got "1111222233334")',
      ]);
    });
  });

  describe("kms", () => {
    it("when not an object", () => {
      assertProblems({ kms: "alias/app" }, [
        'kms: must be an object with keyId and encryptionContext (got "alias/app")',
      ]);
    });
    it("accepts a key ARN, an alias ARN, a key id and an alias name", () => {
      for (const keyId of [
        KEY_ARN,
        "arn:aws:kms:eu-west-1:111122223333:alias/app",
        "1234abcd-12ab-34cd-56ef-1234567890ab",
        "mrk-1234abcd12ab34cd56ef1234567890ab",
        "alias/app",
      ]) {
        assert.equal(
          resolveOptions({ ...valid, kms: { keyId, encryptionContext: CONTEXT } }).kms.keyId,
          keyId,
        );
      }
    });
    it("when keyId is not a KMS key identifier", () => {
      assertProblems({ kms: { keyId: "my key", encryptionContext: CONTEXT } }, [
        'kms.keyId: must be a KMS key ARN, alias ARN, key id or alias name such as "alias/my-app" (got "my key")',
      ]);
    });
    it("when encryptionContext is missing", () => {
      assertProblems({ kms: { keyId: KEY_ARN } }, [
        'kms.encryptionContext: must be an object of strings such as { salt: "…" } (got nothing)',
      ]);
    });
    it("when encryptionContext is empty (it would accept tokens made for any app)", () => {
      assertProblems({ kms: { keyId: KEY_ARN, encryptionContext: {} } }, [
        "kms.encryptionContext: must have at least one entry: it binds tokens to this app",
      ]);
    });
    it("when a context value is not a non-empty string", () => {
      assertProblems({ kms: { keyId: KEY_ARN, encryptionContext: { salt: 42, app: "" } } }, [
        'kms.encryptionContext["salt"]: must be a non-empty string (got 42)',
        'kms.encryptionContext["app"]: must be a non-empty string (got "")',
      ]);
    });
    it("when it has an unknown field", () => {
      assertProblems({ kms: { keyId: KEY_ARN, encryptionContext: CONTEXT, keyID: "x" } }, [
        "kms.keyID: unknown option (known: keyId, encryptionContext)",
      ]);
    });
  });

  describe("sessionSecrets", () => {
    it("when missing", () => {
      assertProblems({ sessionSecrets: undefined }, [
        "sessionSecrets: must be a non-empty array of secret strings (got nothing)",
      ]);
    });
    it("when a single string rather than an array, without showing it", () => {
      assertProblems({ sessionSecrets: SECRET_A }, [
        "sessionSecrets: must be a non-empty array of secret strings (got a string of 43 characters)",
      ]);
    });
    it("when one secret is shorter than 32 characters, naming its index but not its value", () => {
      const short = "too-short-secret";
      assert.throws(
        () => resolveWith({ sessionSecrets: [SECRET_A, short] }),
        (error: unknown) => {
          assert.ok(error instanceof TypeError);
          assert.equal(
            error.message,
            "iamAuth: invalid options:\n  - sessionSecrets[1]: must be a string of at least 32 characters (got a string of 16 characters, value not shown)",
          );
          assert.ok(!error.message.includes(short));
          return true;
        },
      );
    });
    it("accepts several secrets, for rotation", () => {
      assert.deepEqual(resolveOptions({ ...valid, sessionSecrets: [SECRET_B, SECRET_A] }).sessionSecrets, [
        SECRET_B,
        SECRET_A,
      ]);
    });
  });

  describe("sessionMaxAgeSeconds", () => {
    for (const [value, shown] of [
      [0, "0"],
      [1.5, "1.5"],
      [604801, "604801"],
      ["3600", '"3600"'],
    ] as const) {
      it(`when ${shown}`, () => {
        assertProblems({ sessionMaxAgeSeconds: value }, [
          `sessionMaxAgeSeconds: must be an integer from 1 to 604800 (got ${shown})`,
        ]);
      });
    }
    it("accepts 7 days", () => {
      assert.equal(resolveOptions({ ...valid, sessionMaxAgeSeconds: 604800 }).sessionMaxAgeSeconds, 604800);
    });
  });

  describe("publicPaths", () => {
    it("when a string rather than an array", () => {
      assertProblems({ publicPaths: "/health" }, ['publicPaths: must be an array of paths (got "/health")']);
    });
    it("when an entry is not a path or has a * anywhere but at the end", () => {
      const expected = (index: number, shown: string): string =>
        `publicPaths[${index}]: must be an exact path such as "/health" or a prefix such as "/static/*" (got ${shown})`;
      assertProblems({ publicPaths: ["health", "/a/*/b", "/a?b=1", "//evil", "/static*", 7] }, [
        expected(0, '"health"'),
        expected(1, '"/a/*/b"'),
        expected(2, '"/a?b=1"'),
        expected(3, '"//evil"'),
        expected(4, '"/static*"'),
        expected(5, "7"),
      ]);
    });
    it("accepts exact paths and prefixes", () => {
      assert.deepEqual(
        resolveOptions({ ...valid, publicPaths: ["/health", "/static/*", "/*"] }).publicPaths,
        ["/health", "/static/*", "/*"],
      );
    });
  });

  describe("authPath", () => {
    it("when it is a URL", () => {
      assertProblems({ authPath: "https://app/auth" }, [
        'authPath: must be a path such as "/auth" (got "https://app/auth")',
      ]);
    });
  });

  describe("cookieName", () => {
    it("when it has characters a cookie name cannot have", () => {
      assertProblems({ cookieName: "my session" }, [
        'cookieName: must be 1 to 64 letters, digits or any of !#$%&\'*+-.^_`|~ (got "my session")',
      ]);
    });
  });

  describe("region", () => {
    it("when not a region", () => {
      assertProblems({ region: "mars" }, ['region: must be an AWS region such as "us-east-1" (got "mars")']);
    });
    it("when it differs from the key ARN's region (KMS keys are regional)", () => {
      assertProblems({ region: "eu-west-1" }, [
        'region: "eu-west-1" differs from the region of kms.keyId ("us-east-1"); remove region or use a key in eu-west-1',
      ]);
    });
    it("is used as given when the key is an alias name", () => {
      const resolved = resolveOptions({
        ...valid,
        kms: { keyId: "alias/app", encryptionContext: CONTEXT },
        region: "eu-west-1",
      });
      assert.equal(resolved.region, "eu-west-1");
    });
    it("is left to the SDK when neither region nor a key ARN says", () => {
      const resolved = resolveOptions({ ...valid, kms: { keyId: "alias/app", encryptionContext: CONTEXT } });
      assert.equal(resolved.region, undefined);
    });
  });

  describe("injected dependencies", () => {
    it("when they are not what they should be", () => {
      assertProblems({ kmsClient: {}, createStsClient: "sts", clock: 5, logger: null }, [
        "kmsClient: must be a KMSClient (got an empty object)",
        'createStsClient: must be a function (got "sts")',
        "clock: must be a function (got 5)",
        "logger: must be a function (got null)",
      ]);
    });
  });
});
