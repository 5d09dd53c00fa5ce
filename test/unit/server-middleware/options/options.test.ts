import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { KMSClient } from "@aws-sdk/client-kms";
import { resolveOptions, type IamAuthOptions } from "../../../../server-middleware/options/options.js";
import { ACCOUNT_ID, CONTEXT, KEY_ARN, SERVER_ID } from "../fake-aws.js";
import { SECRET_A, SECRET_B } from "../test-app.js";

const valid: IamAuthOptions = {
  accountId: ACCOUNT_ID,
  kms: { keyId: KEY_ARN, encryptionContext: CONTEXT, serverId: SERVER_ID },
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
    assert.deepEqual(resolved.kms, {
      keyId: KEY_ARN,
      encryptionContext: { salt: "unit-test-salt" },
      serverId: SERVER_ID,
      acceptUnboundTokens: false,
    });
    assert.equal(resolved.sts, undefined);
    assert.deepEqual(resolved.methods, ["kms"]);
    assert.deepEqual(resolved.sessionSecrets, [SECRET_A]);
    assert.equal(resolved.sessionMaxAgeSeconds, 3600);
    assert.deepEqual(resolved.allowedAccounts, [ACCOUNT_ID]);
    assert.equal(resolved.allowedPrincipals, undefined);
    assert.deepEqual(resolved.publicPaths, []);
    assert.equal(resolved.authPath, "/auth");
    assert.equal(resolved.signOutPath, "/auth/sign-out");
    assert.equal(resolved.whoamiPath, "/auth/whoami");
    assert.equal(resolved.cookieName, "iam-auth-session");
    assert.equal(resolved.replayStore, undefined);
    assert.deepEqual(resolved.failedSignInLimit, { maxFailures: 20, windowSeconds: 60 });
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
    assert.ok(Object.isFrozen(resolved.kms?.encryptionContext));
    assert.ok(Object.isFrozen(resolved.sessionSecrets));
    assert.ok(Object.isFrozen(resolved.publicPaths));
  });

  it("neither modifies the caller's object nor shares its mutable parts", () => {
    const context = { salt: "s1" };
    const secrets = [SECRET_A];
    const paths = ["/health"];
    const input = {
      ...valid,
      kms: { keyId: KEY_ARN, encryptionContext: context, serverId: SERVER_ID },
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
    assert.deepEqual(resolved.kms?.encryptionContext, { salt: "s1" });
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
        "kms, sts: configure at least one sign-in method: sts ({ serverId }, needs no AWS credentials) or kms ({ keyId, encryptionContext })",
        "sessionSecrets: must be a non-empty array of secret strings (got an empty array)",
        'authPath: must be a path such as "/auth" (got "auth")',
        'logger: must be a function taking one line, or a pino-compatible logger with info(fields, message) (got "stdout")',
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
        "sessionSecret: unknown option (known: accountId, kms, sts, sessionSecrets, sessionMaxAgeSeconds, allowedAccounts, allowedPrincipals, publicPaths, authPath, signOutPath, whoamiPath, cookieName, helpUrl, proxyAddress, region, kmsClient, createStsClient, replayStore, sessionRevocation, failedSignInLimit, headerProof, clock, logger, metrics)",
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
          resolveOptions({ ...valid, kms: { keyId, encryptionContext: CONTEXT, serverId: SERVER_ID } }).kms
            ?.keyId,
          keyId,
        );
      }
    });
    it("when keyId is not a KMS key identifier", () => {
      assertProblems({ kms: { keyId: "my key", encryptionContext: CONTEXT, serverId: SERVER_ID } }, [
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
      assertProblems(
        { kms: { keyId: KEY_ARN, encryptionContext: CONTEXT, serverId: SERVER_ID, keyID: "x" } },
        ["kms.keyID: unknown option (known: keyId, encryptionContext, serverId, acceptUnboundTokens)"],
      );
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
        kms: { keyId: "alias/app", encryptionContext: CONTEXT, serverId: SERVER_ID },
        region: "eu-west-1",
      });
      assert.equal(resolved.region, "eu-west-1");
    });
    it("is left to the SDK when neither region nor a key ARN says", () => {
      const resolved = resolveOptions({
        ...valid,
        kms: { keyId: "alias/app", encryptionContext: CONTEXT, serverId: SERVER_ID },
      });
      assert.equal(resolved.region, undefined);
    });
  });

  describe("injected dependencies", () => {
    it("when they are not what they should be", () => {
      assertProblems({ kmsClient: {}, createStsClient: "sts", clock: 5, logger: null }, [
        "kmsClient: must be a KMSClient (got an empty object)",
        'createStsClient: must be a function (got "sts")',
        "clock: must be a function (got 5)",
        "logger: must be a function taking one line, or a pino-compatible logger with info(fields, message) (got null)",
      ]);
    });
  });

  describe("kms.serverId and kms.acceptUnboundTokens (binding KMS tokens to this app)", () => {
    it("normalises kms.serverId and refuses unbound tokens by default", () => {
      const resolved = resolveOptions({
        ...valid,
        kms: { keyId: KEY_ARN, encryptionContext: CONTEXT, serverId: "App.Test:3000" },
      });
      assert.equal(resolved.kms?.serverId, "app.test:3000");
      assert.equal(resolved.kms?.acceptUnboundTokens, false);
    });

    it("when KMS-only without a server-id, says to set one or accept unbound tokens", () => {
      assertProblems({ kms: { keyId: KEY_ARN, encryptionContext: CONTEXT } }, [
        'kms.serverId: required without sts: the app\'s host[:port] that KMS tokens are bound to, such as "app.example.com" (or set kms.acceptUnboundTokens: true to accept only unbound tokens, as the original server does)',
      ]);
    });

    it("when KMS-only without a server-id but accepting unbound tokens, binds nothing", () => {
      const resolved = resolveOptions({
        ...valid,
        kms: { keyId: KEY_ARN, encryptionContext: CONTEXT, acceptUnboundTokens: true },
      });
      assert.equal(resolved.kms?.serverId, undefined);
      assert.equal(resolved.kms?.acceptUnboundTokens, true);
    });

    it("when kms.serverId differs from sts.serverId", () => {
      assertProblems({ sts: { serverId: "other.example.com" } }, [
        'kms.serverId: differs from sts.serverId ("app.test:3000" and "other.example.com"); the challenge has one server-id: remove kms.serverId',
      ]);
    });

    it("when kms.serverId is not an authority, or acceptUnboundTokens not a boolean", () => {
      assertProblems(
        {
          kms: {
            keyId: KEY_ARN,
            encryptionContext: CONTEXT,
            serverId: "https://app/",
            acceptUnboundTokens: "yes",
          },
        },
        [
          'kms.serverId: must be the app\'s host[:port] as clients address it, such as "app.example.com" or "127.0.0.1:3000" (got "https://app/")',
          'kms.acceptUnboundTokens: must be true or false (got "yes")',
        ],
      );
    });

    it("when the app's context uses the reserved key iam-auth:server-id", () => {
      assertProblems(
        {
          kms: {
            keyId: KEY_ARN,
            encryptionContext: { salt: "s", "iam-auth:server-id": "x" },
            serverId: SERVER_ID,
          },
        },
        [
          'kms.encryptionContext["iam-auth:server-id"]: reserved: the middleware adds it to bind tokens to the server-id; use another key',
        ],
      );
    });
  });

  describe("sts", () => {
    const stsOnly = {
      accountId: ACCOUNT_ID,
      sessionSecrets: [SECRET_A],
      sts: { serverId: "app.example.com" },
    };

    it("with only serverId, fills in the defaults and offers STS alone", () => {
      const resolved = resolveOptions(stsOnly);
      assert.deepEqual(resolved.methods, ["sts"]);
      assert.equal(resolved.kms, undefined);
      assert.equal(resolved.region, undefined);
      const { fetch, ...rest } = resolved.sts ?? {};
      assert.deepEqual(rest, {
        serverId: "app.example.com",
        extraStsHosts: [],
        testStsOrigin: undefined,
        timeoutMs: 5000,
        proofMaxAgeSeconds: 300,
        nonceSecret: undefined,
      });
      assert.equal(typeof fetch, "function");
      assert.ok(Object.isFrozen(resolved.sts));
    });

    it("with kms too, offers both, STS first, and binds KMS tokens to sts.serverId", () => {
      const resolved = resolveOptions({
        ...valid,
        kms: { keyId: KEY_ARN, encryptionContext: CONTEXT },
        sts: { serverId: "App.Example.com" },
      });
      assert.deepEqual(resolved.methods, ["sts", "kms"]);
      assert.equal(resolved.kms?.serverId, "app.example.com");
    });

    it("normalises serverId (lower case, IPv6 in brackets) and keeps other values as given", () => {
      const resolved = resolveOptions({
        ...stsOnly,
        sts: {
          serverId: "App.Example.COM:8443",
          extraStsHosts: ["sts.vpce.example.internal"],
          testStsEndpoint: "http://127.0.0.1:4566",
          timeoutMs: 100,
          proofMaxAgeSeconds: 30,
          nonceSecret: SECRET_B,
        },
      });
      assert.equal(resolved.sts?.serverId, "app.example.com:8443");
      assert.deepEqual(resolved.sts?.extraStsHosts, ["sts.vpce.example.internal"]);
      assert.equal(resolved.sts?.testStsOrigin, "http://127.0.0.1:4566");
      assert.equal(resolved.sts?.timeoutMs, 100);
      assert.equal(resolved.sts?.proofMaxAgeSeconds, 30);
      assert.equal(resolved.sts?.nonceSecret, SECRET_B);
      assert.equal(
        resolveOptions({ ...stsOnly, sts: { serverId: "[::1]:3000" } }).sts?.serverId,
        "[::1]:3000",
      );
    });

    it("when neither sts nor kms is set", () => {
      assertProblems({ kms: undefined }, [
        "kms, sts: configure at least one sign-in method: sts ({ serverId }, needs no AWS credentials) or kms ({ keyId, encryptionContext })",
      ]);
    });

    it("when it is not an object", () => {
      assertProblems({ sts: true }, ["sts: must be an object with serverId (got true)"]);
    });

    it("when serverId is missing, a URL or has a path", () => {
      const expected = (shown: string): string =>
        `sts.serverId: must be the app's host[:port] as clients address it, such as "app.example.com" or "127.0.0.1:3000" (got ${shown})`;
      assertProblems({ sts: {} }, [expected("nothing")]);
      assertProblems({ sts: { serverId: "https://app.example.com" } }, [
        expected('"https://app.example.com"'),
      ]);
      assertProblems({ sts: { serverId: "app.example.com/x" } }, [expected('"app.example.com/x"')]);
      assertProblems({ sts: { serverId: "user@app.example.com" } }, [expected('"user@app.example.com"')]);
    });

    it("when serverId names a default port (clients on the other scheme would sign something else)", () => {
      assertProblems({ sts: { serverId: "app.example.com:443" } }, [
        'sts.serverId: leave out the default port 443 (got "app.example.com:443"; write "app.example.com")',
      ]);
    });

    it("when the other values are out of range or of the wrong kind, names each", () => {
      assertProblems(
        {
          sts: {
            serverId: "app.example.com",
            extraStsHosts: ["STS.Example.com", "sts.example.com:443"],
            testStsEndpoint: "http://127.0.0.1:4566/path",
            timeoutMs: 0,
            proofMaxAgeSeconds: 301,
            nonceSecret: "short",
            fetch: "fetch",
            serverID: "x",
          },
        },
        [
          "sts.serverID: unknown option (known: serverId, extraStsHosts, testStsEndpoint, timeoutMs, proofMaxAgeSeconds, nonceSecret, fetch)",
          'sts.extraStsHosts[0]: must be a lower-case host name without a port, such as "sts.example.internal" (got "STS.Example.com")',
          'sts.extraStsHosts[1]: must be a lower-case host name without a port, such as "sts.example.internal" (got "sts.example.com:443")',
          'sts.testStsEndpoint: must be an origin such as "http://127.0.0.1:4566" (test only) (got "http://127.0.0.1:4566/path")',
          "sts.timeoutMs: must be an integer from 100 to 60000 (got 0)",
          "sts.proofMaxAgeSeconds: must be an integer from 30 to 300 (got 301)",
          "sts.nonceSecret: must be a string of at least 32 characters (got a string of 5 characters, value not shown)",
          'sts.fetch: must be a function (got "fetch")',
        ],
      );
    });

    it("when KMS-only options are set without kms, says they do nothing", () => {
      const input = {
        ...stsOnly,
        region: "us-east-1",
        kmsClient: { send: () => undefined },
        createStsClient: () => undefined,
      };
      assert.throws(() => resolveOptions(input as unknown as IamAuthOptions), {
        name: "TypeError",
        message: [
          "iamAuth: invalid options:",
          "region: only used by the KMS method (the STS method needs no AWS client); remove it or configure kms",
          "kmsClient: only used by the KMS method (the STS method needs no AWS client); remove it or configure kms",
          "createStsClient: only used by the KMS method (the STS method needs no AWS client); remove it or configure kms",
        ].join("\n  - "),
      });
    });
  });

  describe("allowedAccounts", () => {
    it("accepts several accounts, without duplicates", () => {
      const resolved = resolveOptions({
        ...valid,
        allowedAccounts: [ACCOUNT_ID, "444455556666", ACCOUNT_ID],
      });
      assert.deepEqual(resolved.allowedAccounts, [ACCOUNT_ID, "444455556666"]);
      assert.ok(Object.isFrozen(resolved.allowedAccounts));
    });
    it("when empty or holding something that is not an account id", () => {
      assertProblems({ allowedAccounts: [] }, [
        "allowedAccounts: must be a non-empty array of 12-digit AWS account ids (got an empty array)",
      ]);
      assertProblems({ allowedAccounts: [ACCOUNT_ID, "4444", 5] }, [
        'allowedAccounts[1]: must be a 12-digit AWS account id (got "4444")',
        "allowedAccounts[2]: must be a 12-digit AWS account id (got 5)",
      ]);
    });
  });

  describe("allowedPrincipals", () => {
    it("accepts patterns and keeps a frozen copy", () => {
      const patterns = ["arn:aws:iam::111122223333:role/Dev*", "arn:aws:iam::111122223333:user/alice"];
      const resolved = resolveOptions({ ...valid, allowedPrincipals: patterns });
      assert.deepEqual(resolved.allowedPrincipals, patterns);
      assert.ok(Object.isFrozen(resolved.allowedPrincipals));
    });
    it("when empty (it would let nobody in)", () => {
      assertProblems({ allowedPrincipals: [] }, [
        "allowedPrincipals: must be a non-empty array of ARN patterns; leave it out to allow every identity of allowedAccounts (got an empty array)",
      ]);
    });
    it("when an entry could never match, says why", () => {
      assertProblems(
        {
          allowedPrincipals: [
            "Dev*",
            "arn:aws:sts::111122223333:assumed-role/Dev/alice",
            "arn:aws:iam::444455556666:role/Dev",
            7,
          ],
        },
        [
          'allowedPrincipals[0]: must be an IAM principal ARN, such as "arn:aws:iam::111122223333:role/Dev*" (got "Dev*")',
          'allowedPrincipals[1]: matches role sessions by their role: write "arn:aws:iam::111122223333:role/Dev" instead (got "arn:aws:sts::111122223333:assumed-role/Dev/alice")',
          'allowedPrincipals[2]: names account 444455556666, which is not in allowedAccounts, so it could never match (got "arn:aws:iam::444455556666:role/Dev")',
          'allowedPrincipals[3]: must be an ARN pattern such as "arn:aws:iam::111122223333:role/Dev*" (got 7)',
        ],
      );
    });
    it("accepts a pattern of another account once that account is allowed", () => {
      const resolved = resolveOptions({
        ...valid,
        allowedAccounts: [ACCOUNT_ID, "444455556666"],
        allowedPrincipals: ["arn:aws:iam::444455556666:role/Dev"],
      });
      assert.deepEqual(resolved.allowedPrincipals, ["arn:aws:iam::444455556666:role/Dev"]);
    });
  });

  describe("signOutPath and whoamiPath", () => {
    it("when not a path", () => {
      assertProblems({ signOutPath: "sign-out", whoamiPath: "/who?x" }, [
        'signOutPath: must be a path such as "/auth/sign-out" (got "sign-out")',
        'whoamiPath: must be a path such as "/auth/whoami" (got "/who?x")',
      ]);
    });
    it("when two routes share a path", () => {
      assertProblems({ signOutPath: "/auth" }, ['signOutPath: must differ from authPath (both are "/auth")']);
      assertProblems({ whoamiPath: "/auth/sign-out" }, [
        'whoamiPath: must differ from signOutPath (both are "/auth/sign-out")',
      ]);
    });
  });

  describe("replayStore", () => {
    it("when it has no claim method", () => {
      assertProblems({ replayStore: new Map() }, [
        "replayStore: must be an object with a claim(key, expiresAt) method (got an empty object)",
      ]);
    });
    it("is kept as given", () => {
      const replayStore = { claim: () => Promise.resolve(true) };
      assert.equal(resolveOptions({ ...valid, replayStore }).replayStore, replayStore);
    });
  });

  describe("failedSignInLimit", () => {
    it("when false, turns the limit off", () => {
      assert.equal(resolveOptions({ ...valid, failedSignInLimit: false }).failedSignInLimit, false);
    });
    it("when partial, fills in the other default", () => {
      assert.deepEqual(
        resolveOptions({ ...valid, failedSignInLimit: { maxFailures: 5 } }).failedSignInLimit,
        {
          maxFailures: 5,
          windowSeconds: 60,
        },
      );
    });
    it("when malformed, names each problem", () => {
      assertProblems({ failedSignInLimit: true }, [
        "failedSignInLimit: must be false or { maxFailures, windowSeconds } (got true)",
      ]);
      assertProblems({ failedSignInLimit: { maxFailures: 0, windowSeconds: 1.5, max: 3 } }, [
        "failedSignInLimit.max: unknown option (known: maxFailures, windowSeconds)",
        "failedSignInLimit.maxFailures: must be an integer from 1 to 100000 (got 0)",
        "failedSignInLimit.windowSeconds: must be an integer from 1 to 86400 (got 1.5)",
      ]);
    });
  });
});
