import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defaultServerId, ExampleConfigError, readExampleEnv } from "../../../example-server/env.js";
import { DEFAULT_SERVER_LIMITS } from "../../../gateway/index.js";

const SECRET = "example-test-secret-0123456789abcdef";
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
  it("reads a complete environment of the original, with both methods and the HOST and PORT defaults", () => {
    assert.deepEqual(readExampleEnv(complete), {
      accountId: undefined,
      region: "us-east-1",
      secretKey: SECRET,
      methods: ["sts", "kms"],
      kms: { keyId: "alias/demo", salt: "pepper", bound: true, acceptUnboundTokens: false },
      sts: { serverId: undefined, testStsEndpoint: undefined },
      serverId: undefined,
      allowedAccounts: undefined,
      allowedPrincipals: undefined,
      authPath: undefined,
      helpUrl: undefined,
      proxyAddress: undefined,
      redisUrl: undefined,
      host: "127.0.0.1",
      port: 3000,
      metricsBind: undefined,
      logFormat: "json",
      shutdownTimeoutMs: 10_000,
      serverLimits: DEFAULT_SERVER_LIMITS,
      trustProxy: false,
    });
  });

  it("reads AWS_ACCOUNT_ID, HOST and PORT when set (PORT=0: any free port)", () => {
    const env = readExampleEnv({
      ...complete,
      AWS_ACCOUNT_ID: "111122223333",
      HOST: "0.0.0.0",
      PORT: "0",
      IAM_AUTH_KMS_ACCEPT_UNBOUND: "true",
    });
    assert.equal(env.accountId, "111122223333");
    assert.equal(env.host, "0.0.0.0");
    assert.equal(env.port, 0);
    // No server-id can be had for 0.0.0.0, so the original configuration keeps the KMS method
    // alone, and its tokens cannot be bound: it takes the original proxy's unbound ones.
    assert.deepEqual(env.methods, ["kms"]);
    assert.equal(env.sts, undefined);
    assert.deepEqual(env.kms, {
      keyId: "alias/demo",
      salt: "pepper",
      bound: false,
      acceptUnboundTokens: true,
    });
  });

  describe("IAM_AUTH_KMS_ACCEPT_UNBOUND", () => {
    it("when the KMS method alone has no server-id (HOST 0.0.0.0), says to set one or accept unbound tokens", () => {
      assertProblems({ ...complete, HOST: "0.0.0.0" }, [
        "IAM_AUTH_SERVER_ID: required when HOST is 0.0.0.0 to bind KMS tokens to this app: the host[:port] clients use to reach it, e.g. app.example.com (or set IAM_AUTH_KMS_ACCEPT_UNBOUND=true to accept the original proxy's unbound tokens only)",
      ]);
    });

    it("binds KMS alone to IAM_AUTH_SERVER_ID", () => {
      const env = readExampleEnv({
        ...complete,
        IAM_AUTH_METHODS: "kms",
        IAM_AUTH_SERVER_ID: "app.example.com",
      });
      assert.equal(env.serverId, "app.example.com");
      assert.deepEqual(env.kms, {
        keyId: "alias/demo",
        salt: "pepper",
        bound: true,
        acceptUnboundTokens: false,
      });
    });

    it("when it is not true or false, or set without the KMS method", () => {
      assertProblems({ ...complete, IAM_AUTH_KMS_ACCEPT_UNBOUND: "yes" }, [
        'IAM_AUTH_KMS_ACCEPT_UNBOUND: must be true or false (got "yes")',
      ]);
      assertProblems(
        { ...complete, KMS_KEY_ID: undefined, KMS_SALT: undefined, IAM_AUTH_KMS_ACCEPT_UNBOUND: "true" },
        ["IAM_AUTH_KMS_ACCEPT_UNBOUND: set, but the KMS method is off; unset it or set KMS_KEY_ID"],
      );
    });
  });

  it("takes AWS_REGION when AWS_DEFAULT_REGION is unset", () => {
    const env = readExampleEnv({ ...complete, AWS_DEFAULT_REGION: undefined, AWS_REGION: "eu-west-1" });
    assert.equal(env.region, "eu-west-1");
  });

  it("when nothing is set, says what the STS method (the default without KMS_KEY_ID) needs", () => {
    assertProblems({}, [
      "AWS_DEFAULT_REGION (or AWS_REGION): required to look up the account with sts:GetCallerIdentity, e.g. us-east-1 (or set AWS_ACCOUNT_ID)",
      "SECRET_KEY: required: a random string of at least 32 characters that signs the session cookies (e.g. from `openssl rand -hex 32`)",
    ]);
  });

  it("when IAM_AUTH_METHODS=kms and nothing else is set, says what the KMS method needs, as the original did", () => {
    assertProblems({ IAM_AUTH_METHODS: "kms" }, [
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

describe("readExampleEnv: the STS method and access rules", () => {
  const stsOnly = { AWS_ACCOUNT_ID: "111122223333", SECRET_KEY: SECRET };

  it("with AWS_ACCOUNT_ID and SECRET_KEY alone: STS only, no region, no KMS", () => {
    assert.deepEqual(readExampleEnv(stsOnly), {
      accountId: "111122223333",
      region: undefined,
      secretKey: SECRET,
      methods: ["sts"],
      kms: undefined,
      sts: { serverId: undefined, testStsEndpoint: undefined },
      serverId: undefined,
      allowedAccounts: undefined,
      allowedPrincipals: undefined,
      authPath: undefined,
      helpUrl: undefined,
      proxyAddress: undefined,
      redisUrl: undefined,
      host: "127.0.0.1",
      port: 3000,
      metricsBind: undefined,
      logFormat: "json",
      shutdownTimeoutMs: 10_000,
      serverLimits: DEFAULT_SERVER_LIMITS,
      trustProxy: false,
    });
  });

  it("reads IAM_AUTH_SERVER_ID, IAM_AUTH_TEST_STS_ENDPOINT, ALLOWED_ACCOUNTS and ALLOWED_PRINCIPALS", () => {
    const env = readExampleEnv({
      ...stsOnly,
      IAM_AUTH_SERVER_ID: "app.example.com",
      IAM_AUTH_TEST_STS_ENDPOINT: "http://127.0.0.1:4566",
      ALLOWED_ACCOUNTS: "111122223333, 444455556666",
      ALLOWED_PRINCIPALS: "arn:aws:iam::111122223333:role/Dev*,arn:aws:iam::444455556666:user/bob",
    });
    assert.deepEqual(env.sts, { serverId: "app.example.com", testStsEndpoint: "http://127.0.0.1:4566" });
    assert.deepEqual(env.allowedAccounts, ["111122223333", "444455556666"]);
    assert.deepEqual(env.allowedPrincipals, [
      "arn:aws:iam::111122223333:role/Dev*",
      "arn:aws:iam::444455556666:user/bob",
    ]);
  });

  it("reads IAM_AUTH_METHODS in any order and spelling of separators", () => {
    assert.deepEqual(readExampleEnv({ ...complete, IAM_AUTH_METHODS: "kms,sts" }).methods, ["sts", "kms"]);
    assert.deepEqual(readExampleEnv({ ...complete, IAM_AUTH_METHODS: "kms" }).methods, ["kms"]);
    assert.equal(readExampleEnv({ ...complete, IAM_AUTH_METHODS: "kms" }).sts, undefined);
  });

  it("when the values are malformed, names each variable and value", () => {
    assertProblems(
      {
        ...stsOnly,
        IAM_AUTH_METHODS: "sts oauth",
        IAM_AUTH_SERVER_ID: "https://app.example.com/",
        IAM_AUTH_TEST_STS_ENDPOINT: "127.0.0.1:4566",
        ALLOWED_ACCOUNTS: "111122223333,",
        ALLOWED_PRINCIPALS: "role/Dev*",
      },
      [
        'IAM_AUTH_METHODS: must be "sts", "kms" or "sts kms" (got "sts oauth")',
        'IAM_AUTH_SERVER_ID: must be the host[:port] clients use to reach this server, such as app.example.com or 127.0.0.1:3000 (got "https://app.example.com/")',
        'IAM_AUTH_TEST_STS_ENDPOINT: must be an origin such as http://127.0.0.1:4566 (test only) (got "127.0.0.1:4566")',
        'ALLOWED_ACCOUNTS: comma-separated; has an empty entry (got "111122223333,")',
        'ALLOWED_PRINCIPALS: comma-separated; must be ARN patterns such as "arn:aws:iam::111122223333:role/Dev*" (got "role/Dev*")',
      ],
    );
  });

  it("when HOST is 0.0.0.0, IAM_AUTH_SERVER_ID is required (clients cannot address the server by it)", () => {
    assertProblems({ ...stsOnly, HOST: "0.0.0.0" }, [
      "IAM_AUTH_SERVER_ID: required when HOST is 0.0.0.0: the host[:port] clients use to reach this server, e.g. app.example.com",
    ]);
  });

  it("when a method's variables are set but the method is not on, says so", () => {
    assertProblems({ ...complete, IAM_AUTH_METHODS: "sts", IAM_AUTH_SERVER_ID: "app" }, [
      "KMS_KEY_ID: set, but IAM_AUTH_METHODS does not include kms; unset it or add kms",
      "KMS_SALT: set, but IAM_AUTH_METHODS does not include kms; unset it or add kms",
    ]);
    assertProblems(
      { ...complete, IAM_AUTH_METHODS: "kms", IAM_AUTH_TEST_STS_ENDPOINT: "http://127.0.0.1:4566" },
      ["IAM_AUTH_TEST_STS_ENDPOINT: set, but IAM_AUTH_METHODS does not include sts; unset it or add sts"],
    );
  });

  it("when KMS_SALT is set without KMS_KEY_ID, asks for the key rather than silently dropping KMS", () => {
    assertProblems({ ...stsOnly, KMS_SALT: "pepper" }, [
      "KMS_KEY_ID: required with KMS_SALT for the KMS method (or unset KMS_SALT to use only the STS method)",
    ]);
  });
});

describe("defaultServerId", () => {
  it("is HOST:port, IPv6 in brackets", () => {
    assert.equal(defaultServerId("127.0.0.1", 3000), "127.0.0.1:3000");
    assert.equal(defaultServerId("localhost", 8080), "localhost:8080");
    assert.equal(defaultServerId("::1", 3000), "[::1]:3000");
  });

  describe("IAM_AUTH_PATH, HELP_URL and PROXY_ADDRESS (the middleware's authPath, helpUrl, proxyAddress)", () => {
    it("reads them as given", () => {
      const env = readExampleEnv({
        ...complete,
        IAM_AUTH_PATH: "/login/iam",
        HELP_URL: "https://wiki.example.com/iam-sign-in",
        PROXY_ADDRESS: "127.0.0.1:18080",
      });
      assert.deepEqual(
        [env.authPath, env.helpUrl, env.proxyAddress],
        ["/login/iam", "https://wiki.example.com/iam-sign-in", "127.0.0.1:18080"],
      );
    });

    it("refuses bad values with the middleware's own rule, naming the variable", () => {
      assertProblems(
        {
          ...complete,
          IAM_AUTH_PATH: "/a/../auth",
          HELP_URL: "javascript:alert(1)",
          PROXY_ADDRESS: "http://127.0.0.1:8080",
        },
        [
          'IAM_AUTH_PATH: must be a path on the app\'s own site: it has a "." or ".." segment (got "/a/../auth")',
          'HELP_URL: must be an https: or http: URL, or a path on this site such as "/docs/sign-in" (got "javascript:alert(1)")',
          'PROXY_ADDRESS: must be HOST:PORT where people run the proxy, such as "127.0.0.1:8080" (got "http://127.0.0.1:8080")',
        ],
      );
    });
  });
});

describe("readExampleEnv: operations variables", () => {
  const base = { AWS_ACCOUNT_ID: "111122223333", SECRET_KEY: "s".repeat(32) };

  it("reads METRICS_BIND, LOG_FORMAT and SHUTDOWN_TIMEOUT", () => {
    const env = readExampleEnv({
      ...base,
      METRICS_BIND: "127.0.0.1:9090",
      LOG_FORMAT: "text",
      SHUTDOWN_TIMEOUT: "2.5",
    });
    assert.deepEqual(env.metricsBind, { host: "127.0.0.1", port: 9090 });
    assert.equal(env.logFormat, "text");
    assert.equal(env.shutdownTimeoutMs, 2500);
  });

  it("reports each bad one, naming the variable and the value", () => {
    assert.throws(
      () => readExampleEnv({ ...base, METRICS_BIND: "9090", LOG_FORMAT: "xml", SHUTDOWN_TIMEOUT: "0" }),
      (error: unknown) => {
        assert.ok(error instanceof ExampleConfigError);
        assert.deepEqual(error.problems, [
          'METRICS_BIND: must be host:port, e.g. 127.0.0.1:9090 (got "9090")',
          'LOG_FORMAT: must be json or text (got "xml")',
          'SHUTDOWN_TIMEOUT: must be seconds, more than 0 and at most 3600 (got "0")',
        ]);
        return true;
      },
    );
  });
});

describe("REDIS_URL", () => {
  it("reads a redis:// or rediss:// URL as given", () => {
    assert.equal(
      readExampleEnv({ ...complete, REDIS_URL: "rediss://:pw@cache:6380/0" }).redisUrl,
      "rediss://:pw@cache:6380/0",
    );
  });

  it("refuses another scheme, naming the variable and hiding the password", () => {
    assertProblems({ ...complete, REDIS_URL: "http://:hunter2@cache:6379" }, [
      'REDIS_URL: must be a redis:// or rediss:// (TLS) URL such as redis://127.0.0.1:6379 or rediss://:PASSWORD@cache.example.com:6380/0 (got "http://:***@cache:6379/")',
    ]);
  });
});

describe("readExampleEnv: the server's own limits and TRUST_PROXY", () => {
  const base = { AWS_ACCOUNT_ID: "111122223333", SECRET_KEY: "s".repeat(32) };

  it("without them, bounds clients by the defaults and trusts no one's X-Forwarded-*", () => {
    const env = readExampleEnv(base);
    assert.deepEqual(env.serverLimits, {
      headersTimeoutMs: 15_000,
      requestTimeoutMs: 300_000,
      keepAliveTimeoutMs: 5_000,
      maxConnections: 1_000,
    });
    assert.equal(env.trustProxy, false);
  });

  it("reads HEADERS_TIMEOUT, REQUEST_TIMEOUT, KEEP_ALIVE_TIMEOUT in seconds, MAX_CONNECTIONS and TRUST_PROXY", () => {
    const env = readExampleEnv({
      ...base,
      HEADERS_TIMEOUT: "2",
      REQUEST_TIMEOUT: "0",
      KEEP_ALIVE_TIMEOUT: "30",
      MAX_CONNECTIONS: "5",
      TRUST_PROXY: "loopback",
    });
    assert.deepEqual(env.serverLimits, {
      headersTimeoutMs: 2_000,
      requestTimeoutMs: 0,
      keepAliveTimeoutMs: 30_000,
      maxConnections: 5,
    });
    assert.equal(env.trustProxy, "loopback");
    assert.equal(readExampleEnv({ ...base, TRUST_PROXY: "true" }).trustProxy, true);
  });

  it("reports each bad one, naming the variable and the value", () => {
    assert.throws(
      () => readExampleEnv({ ...base, HEADERS_TIMEOUT: "ten", MAX_CONNECTIONS: "0" }),
      (error: unknown) => {
        assert.ok(error instanceof ExampleConfigError);
        assert.deepEqual(error.problems, [
          'HEADERS_TIMEOUT: must be seconds from 1 to 600 (got "ten")',
          "MAX_CONNECTIONS: must be a whole number of connections from 1 to 1000000 (got 0)",
        ]);
        return true;
      },
    );
  });
});
