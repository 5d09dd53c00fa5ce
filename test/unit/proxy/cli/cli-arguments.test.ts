import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { parseCliArguments, type CliParseResult } from "../../../../proxy/cli/cli-arguments.js";

const hint = "Run iam-auth-proxy --help to see the options.\n";
/** The new flags' values when they are not given. */
const reachDefaults = { upstreams: [], hosts: [], upstreamCa: [], awsViaSocks: false };
const roleArn = "arn:aws:iam::111122223333:role/Developer";

function usageError(...problems: string[]): CliParseResult {
  return {
    kind: "exit",
    code: 2,
    output: `${problems.map((p) => `iam-auth-proxy: ${p}\n`).join("")}${hint}`,
  };
}

describe("parseCliArguments", () => {
  describe("with no flags", () => {
    it("listens on :8080 (loopback) with the SDK's default credentials and region", () => {
      assert.deepEqual(parseCliArguments([], {}), {
        kind: "run",
        config: { bind: ":8080", method: "auto", loginFlow: "proxy", aws: {}, ...reachDefaults },
      });
    });
  });

  describe("--bind", () => {
    it("is passed on", () => {
      const result = parseCliArguments(["--bind", "127.0.0.1:0"], {});
      assert.equal(result.kind === "run" && result.config.bind, "127.0.0.1:0");
    });
    it("is checked, naming the flag", () => {
      assert.deepEqual(
        parseCliArguments(["--bind", "8080"], {}),
        usageError('--bind must be HOST:PORT, :PORT or [IPV6]:PORT (got "8080")'),
      );
    });
    it("needs a value", () => {
      assert.deepEqual(parseCliArguments(["--bind"], {}), usageError("--bind needs a value"));
    });
    it("may be given only once", () => {
      assert.deepEqual(
        parseCliArguments(["--bind", ":1", "--bind", ":2"], {}),
        usageError("--bind was given more than once"),
      );
    });
    it("takes its value after = too", () => {
      const result = parseCliArguments(["--bind=127.0.0.1:0"], {});
      assert.equal(result.kind === "run" && result.config.bind, "127.0.0.1:0");
    });
    it("does not take the next flag as its value", () => {
      assert.deepEqual(
        parseCliArguments(["--bind", "--profile", "work"], {}),
        usageError(
          '--bind needs a value (got the flag "--profile"; write --bind=VALUE for a value that starts with "-")',
          "Unknown argument: work",
        ),
      );
    });
  });

  describe("unknown flags and arguments", () => {
    it("are usage errors (exit 2)", () => {
      assert.deepEqual(parseCliArguments(["--bogus"], {}), usageError("Unknown argument: bogus"));
      assert.deepEqual(parseCliArguments(["extra"], {}), usageError("Unknown argument: extra"));
    });
    it("are each reported, short ones and negations too, in the order given", () => {
      assert.deepEqual(
        parseCliArguments(["--bogus=1", "-x", "--no-aws-via-socks", "--Bind", ":1"], {}),
        usageError(
          "Unknown argument: bogus",
          "Unknown argument: x",
          "Unknown argument: no-aws-via-socks",
          "Unknown argument: Bind",
          "Unknown argument: :1",
        ),
      );
    });
    it("a boolean flag given a value is a usage error", () => {
      assert.deepEqual(
        parseCliArguments(["--socks-proxy", "127.0.0.1:1080", "--aws-via-socks=no"], {}),
        usageError("--aws-via-socks takes no value"),
      );
    });
  });

  describe("--version and -v", () => {
    it("print the package.json version and exit 0", () => {
      const { version } = JSON.parse(
        readFileSync(new URL("../../../../../package.json", import.meta.url), "utf8"),
      ) as { version: string };
      assert.deepEqual(parseCliArguments(["--version"], {}), {
        kind: "exit",
        code: 0,
        output: `${version}\n`,
      });
      assert.deepEqual(parseCliArguments(["-v"], {}), { kind: "exit", code: 0, output: `${version}\n` });
    });
  });

  describe("--help", () => {
    it("lists every flag and exits 0", () => {
      const result = parseCliArguments(["--help"], {});
      assert.equal(result.kind === "exit" && result.code, 0);
      const output = result.kind === "exit" ? result.output : "";
      for (const flag of [
        "--bind",
        "--upstream",
        "--host",
        "--upstream-ca",
        "--ca-dir",
        "--socks-proxy",
        "--aws-via-socks",
        "--assume-role-arn",
        "--assume-role-external-id",
        "--assume-role-session-name",
        "--region",
        "--mfa-serial-number",
        "--mfa-token-code",
        "--profile",
        "--method",
        "--login-flow",
        "--version",
        "--help",
      ]) {
        assert.ok(output.includes(flag), flag);
      }
    });
  });

  describe("--assume-role-arn", () => {
    it("assumes the role with session name iam-auth-proxy by default", () => {
      assert.deepEqual(parseCliArguments(["--assume-role-arn", roleArn], {}), {
        kind: "run",
        config: {
          bind: ":8080",
          method: "auto",
          loginFlow: "proxy",
          aws: { assumeRole: { roleArn, sessionName: "iam-auth-proxy" } },
          ...reachDefaults,
        },
      });
    });
    it("takes the external id and session name", () => {
      const result = parseCliArguments(
        [
          "--assume-role-arn",
          roleArn,
          "--assume-role-external-id",
          "ext-0001",
          "--assume-role-session-name",
          "alice",
        ],
        {},
      );
      assert.deepEqual(result.kind === "run" && result.config.aws.assumeRole, {
        roleArn,
        sessionName: "alice",
        externalId: "ext-0001",
      });
    });
    it("must be an IAM role ARN", () => {
      assert.deepEqual(
        parseCliArguments(["--assume-role-arn", "arn:aws:iam::111122223333:user/alice"], {}),
        usageError(
          '--assume-role-arn must be an IAM role ARN like arn:aws:iam::123456789012:role/NAME (got "arn:aws:iam::111122223333:user/alice")',
        ),
      );
    });
    it("is needed by --assume-role-external-id and --assume-role-session-name", () => {
      assert.deepEqual(
        parseCliArguments(["--assume-role-external-id", "ext-0001"], {}),
        usageError("--assume-role-external-id needs --assume-role-arn"),
      );
      assert.deepEqual(
        parseCliArguments(["--assume-role-session-name", "alice"], {}),
        usageError("--assume-role-session-name needs --assume-role-arn"),
      );
    });
    it("checks the session name", () => {
      assert.deepEqual(
        parseCliArguments(["--assume-role-arn", roleArn, "--assume-role-session-name", "a b"], {}),
        usageError(
          '--assume-role-session-name must be 2 to 64 characters of letters, digits and +=,.@-_ (got "a b")',
        ),
      );
    });
  });

  describe("--mfa-serial-number and --mfa-token-code", () => {
    const serial = "arn:aws:iam::111122223333:mfa/alice";
    it("go to GetSessionToken (without a role) via the mfa option", () => {
      const result = parseCliArguments(["--mfa-serial-number", serial, "--mfa-token-code", "012345"], {});
      assert.deepEqual(result.kind === "run" && result.config.aws, {
        mfa: { serialNumber: serial, tokenCode: "012345" },
      });
    });
    it("--mfa-token-code needs --mfa-serial-number", () => {
      assert.deepEqual(
        parseCliArguments(["--mfa-token-code", "123456"], {}),
        usageError("--mfa-token-code needs --mfa-serial-number"),
      );
    });
    it("--mfa-serial-number alone means: ask for the code when AWS needs one", () => {
      const result = parseCliArguments(["--mfa-serial-number", serial], {});
      assert.deepEqual(result.kind === "run" && result.config.aws, { mfa: { serialNumber: serial } });
    });
    it("reject a code that is not 6 digits without echoing it", () => {
      assert.deepEqual(
        parseCliArguments(["--mfa-serial-number", serial, "--mfa-token-code", "12345x"], {}),
        usageError("--mfa-token-code must be 6 digits"),
      );
    });
  });

  describe("--region", () => {
    it("wins over AWS_REGION, which wins over AWS_DEFAULT_REGION (as in the AWS CLI)", () => {
      const env = { AWS_REGION: "eu-west-1", AWS_DEFAULT_REGION: "eu-central-1" };
      const region = (argv: string[], e: Record<string, string>): unknown => {
        const result = parseCliArguments(argv, e);
        return result.kind === "run" ? result.config.aws.region : result;
      };
      assert.equal(region(["--region", "ap-southeast-2"], env), "ap-southeast-2");
      assert.equal(region([], env), "eu-west-1");
      assert.equal(region([], { AWS_DEFAULT_REGION: "eu-central-1" }), "eu-central-1");
      assert.equal(region([], {}), undefined);
    });
    it("is checked", () => {
      assert.deepEqual(
        parseCliArguments(["--region", "Mars"], {}),
        usageError('--region must be an AWS region like us-east-1 (got "Mars")'),
      );
    });
  });

  describe("--method", () => {
    it("is auto by default, and takes sts or kms", () => {
      const method = (argv: string[]): unknown => {
        const result = parseCliArguments(argv, {});
        return result.kind === "run" ? result.config.method : result;
      };
      assert.equal(method([]), "auto");
      assert.equal(method(["--method", "sts"]), "sts");
      assert.equal(method(["--method", "kms"]), "kms");
    });
    it("is checked", () => {
      assert.deepEqual(
        parseCliArguments(["--method", "saml"], {}),
        usageError('--method must be auto, sts or kms (got "saml")'),
      );
    });
  });

  describe("--login-flow", () => {
    it("is proxy by default, and takes redirect", () => {
      const result = parseCliArguments(["--login-flow", "redirect"], {});
      assert.equal(result.kind === "run" && result.config.loginFlow, "redirect");
    });
    it("is checked", () => {
      assert.deepEqual(
        parseCliArguments(["--login-flow", "browser"], {}),
        usageError('--login-flow must be proxy or redirect (got "browser")'),
      );
    });
  });

  describe("AWS_ENDPOINT_URL_STS and AWS_ENDPOINT_URL (where STS proofs point, as for the SDK's calls)", () => {
    const endpoint = (env: Record<string, string>): unknown => {
      const result = parseCliArguments([], env);
      return result.kind === "run" ? result.config.aws.stsEndpoint : result;
    };
    it("AWS_ENDPOINT_URL_STS wins over AWS_ENDPOINT_URL; neither: the SDK default (undefined here)", () => {
      assert.equal(
        endpoint({
          AWS_ENDPOINT_URL_STS: "https://sts.example.internal",
          AWS_ENDPOINT_URL: "http://127.0.0.1:4566",
        }),
        "https://sts.example.internal",
      );
      assert.equal(endpoint({ AWS_ENDPOINT_URL: "http://127.0.0.1:4566" }), "http://127.0.0.1:4566");
      assert.equal(endpoint({}), undefined);
    });
    it("must be an origin, naming the variable", () => {
      assert.deepEqual(
        parseCliArguments([], { AWS_ENDPOINT_URL_STS: "https://sts.example.internal/v1" }),
        usageError(
          'AWS_ENDPOINT_URL_STS must be an http(s) origin such as https://sts.example.internal (got "https://sts.example.internal/v1")',
        ),
      );
    });
  });

  describe("--profile", () => {
    it("is passed on", () => {
      const result = parseCliArguments(["--profile", "work"], {});
      assert.deepEqual(result.kind === "run" && result.config.aws, { profile: "work" });
    });
  });

  it("reports every problem at once", () => {
    assert.deepEqual(
      parseCliArguments(["--bind", "x", "--mfa-token-code", "1", "--socks-proxy", "h"], {}),
      usageError(
        '--bind must be HOST:PORT, :PORT or [IPV6]:PORT (got "x")',
        '--socks-proxy must be HOST:PORT with a port from 1 to 65535, as in 127.0.0.1:1080 (got "h")',
        "--mfa-token-code needs --mfa-serial-number",
        "--mfa-token-code must be 6 digits",
      ),
    );
  });
});
