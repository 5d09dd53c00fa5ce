import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { readProblems, readRunOptions } from "../read-command-line.js";

const roleArn = "arn:aws:iam::111122223333:role/Developer";

describe("the run command's options", () => {
  describe("with no flags", () => {
    it("listens on :8080 (loopback) in forward mode, with the SDK's default credentials and region", async () => {
      assert.deepEqual(await readRunOptions([]), {
        bind: { kind: "loopback", port: 8080 },
        upstreams: [],
        hosts: [],
        kmsHosts: [],
        upstreamCa: [],
        caDir: undefined,
        socks: undefined,
        awsViaSocks: false,
        method: "auto",
        loginFlow: "proxy",
        upstreamTimeoutMs: 30_000,
        allowOtherUsers: false,
        aws: {},
        logFormat: "text",
      });
    });
  });

  describe("--log-format", () => {
    it("is text by default; json with the flag or IAM_AUTH_PROXY_LOG_FORMAT; anything else is refused", async () => {
      assert.equal((await readRunOptions([])).logFormat, "text");
      assert.equal((await readRunOptions(["--log-format", "json"])).logFormat, "json");
      assert.equal((await readRunOptions([], { IAM_AUTH_PROXY_LOG_FORMAT: "json" })).logFormat, "json");
      assert.deepEqual(await readProblems(["--log-format", "xml"]), [
        '--log-format must be text or json (got "xml")',
      ]);
    });
  });

  describe("--allow-other-users", () => {
    it("is off by default (only the proxy's own OS user is served), on with the flag, off with --no-allow-other-users", async () => {
      assert.equal((await readRunOptions([])).allowOtherUsers, false);
      assert.equal((await readRunOptions(["--allow-other-users"])).allowOtherUsers, true);
      assert.equal((await readRunOptions(["--no-allow-other-users"])).allowOtherUsers, false);
    });
    it("comes from IAM_AUTH_PROXY_ALLOW_OTHER_USERS and from a config file's allow-other-users key", async () => {
      assert.equal(
        (await readRunOptions([], { IAM_AUTH_PROXY_ALLOW_OTHER_USERS: "true" })).allowOtherUsers,
        true,
      );
      assert.equal(
        (await readRunOptions([], { IAM_AUTH_PROXY_ALLOW_OTHER_USERS: "false" })).allowOtherUsers,
        false,
      );
      const dir = mkdtempSync(join(tmpdir(), "allow-other-users-"));
      try {
        const path = join(dir, "proxy.json");
        writeFileSync(path, JSON.stringify({ "allow-other-users": true }));
        assert.equal((await readRunOptions(["--config", path])).allowOtherUsers, true);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
    it("refuses a value that is not a boolean, naming the variable", async () => {
      const problems = await readProblems([], { IAM_AUTH_PROXY_ALLOW_OTHER_USERS: "maybe" });
      assert.equal(problems.length, 1);
      assert.match(problems[0] ?? "", /IAM_AUTH_PROXY_ALLOW_OTHER_USERS/);
    });
  });

  describe("--bind", () => {
    it("is parsed once into a BindAddress", async () => {
      assert.deepEqual((await readRunOptions(["--bind", "127.0.0.1:0"])).bind, {
        kind: "address",
        host: "127.0.0.1",
        port: 0,
      });
      assert.deepEqual((await readRunOptions(["--bind=[::1]:9000"])).bind, {
        kind: "address",
        host: "::1",
        port: 9000,
      });
    });
    it("is checked, naming the flag and the value", async () => {
      assert.deepEqual(await readProblems(["--bind", "8080"]), [
        '--bind must be HOST:PORT, :PORT or [IPV6]:PORT (got "8080")',
      ]);
    });
    it("needs a value, and does not take the next flag as one", async () => {
      assert.deepEqual(await readProblems(["--bind"]), ["--bind needs a value"]);
      assert.deepEqual(await readProblems(["--bind", "--profile", "work"]), ["--bind needs a value"]);
    });
    it("may be given only once", async () => {
      assert.deepEqual(await readProblems(["--bind", ":1", "--bind", ":2"]), [
        "--bind was given more than once",
      ]);
    });
  });

  describe("--upstream-timeout", () => {
    it("is 30 seconds by default and is read in seconds, to the millisecond", async () => {
      assert.equal((await readRunOptions([])).upstreamTimeoutMs, 30_000);
      assert.equal((await readRunOptions(["--upstream-timeout", "90"])).upstreamTimeoutMs, 90_000);
      assert.equal((await readRunOptions(["--upstream-timeout", "0.25"])).upstreamTimeoutMs, 250);
      assert.equal((await readRunOptions(["--upstream-timeout", "600"])).upstreamTimeoutMs, 600_000);
    });
    it("must be above 0 and at most 600 seconds", async () => {
      for (const value of ["0", "600.001", "-1", "1e3", "ten", "0.0001"]) {
        assert.deepEqual(await readProblems(["--upstream-timeout", value]), [
          `--upstream-timeout must be a number of seconds above 0 and at most 600 (got ${JSON.stringify(value)})`,
        ]);
      }
    });
  });

  describe("--method", () => {
    it("is auto by default, and takes sts or kms", async () => {
      assert.equal((await readRunOptions([])).method, "auto");
      assert.equal((await readRunOptions(["--method", "sts"])).method, "sts");
      assert.equal((await readRunOptions(["--method", "kms"])).method, "kms");
    });
    it("is checked", async () => {
      assert.deepEqual(await readProblems(["--method", "saml"]), [
        '--method must be auto, sts or kms (got "saml")',
      ]);
    });
  });

  describe("--login-flow", () => {
    it("is proxy by default, and takes redirect", async () => {
      assert.equal((await readRunOptions([])).loginFlow, "proxy");
      assert.equal((await readRunOptions(["--login-flow", "redirect"])).loginFlow, "redirect");
    });
    it("is checked", async () => {
      assert.deepEqual(await readProblems(["--login-flow", "browser"]), [
        '--login-flow must be proxy or redirect (got "browser")',
      ]);
    });
  });

  describe("--assume-role-arn", () => {
    it("assumes the role with session name iam-auth-proxy by default", async () => {
      assert.deepEqual((await readRunOptions(["--assume-role-arn", roleArn])).aws, {
        assumeRole: { roleArn, sessionName: "iam-auth-proxy" },
      });
    });
    it("takes the external id and session name", async () => {
      const options = await readRunOptions([
        "--assume-role-arn",
        roleArn,
        "--assume-role-external-id",
        "ext-0001",
        "--assume-role-session-name",
        "alice",
      ]);
      assert.deepEqual(options.aws.assumeRole, { roleArn, sessionName: "alice", externalId: "ext-0001" });
    });
    it("must be an IAM role ARN", async () => {
      assert.deepEqual(await readProblems(["--assume-role-arn", "arn:aws:iam::111122223333:user/alice"]), [
        '--assume-role-arn must be an IAM role ARN like arn:aws:iam::123456789012:role/NAME (got "arn:aws:iam::111122223333:user/alice")',
      ]);
    });
    it("is needed by --assume-role-external-id and --assume-role-session-name", async () => {
      assert.deepEqual(await readProblems(["--assume-role-external-id", "ext-0001"]), [
        "--assume-role-external-id needs --assume-role-arn",
      ]);
      assert.deepEqual(await readProblems(["--assume-role-session-name", "alice"]), [
        "--assume-role-session-name needs --assume-role-arn",
      ]);
    });
    it("checks the external id and the session name", async () => {
      assert.deepEqual(
        await readProblems([
          "--assume-role-arn",
          roleArn,
          "--assume-role-external-id",
          "x",
          "--assume-role-session-name",
          "a b",
        ]),
        [
          '--assume-role-external-id must be 2 to 1224 characters of letters, digits and +=,.@:/-_ (got "x")',
          '--assume-role-session-name must be 2 to 64 characters of letters, digits and +=,.@-_ (got "a b")',
        ],
      );
    });
  });

  describe("--mfa-serial-number and --mfa-token-code", () => {
    const serial = "arn:aws:iam::111122223333:mfa/alice";
    it("go to GetSessionToken (without a role) via the mfa option", async () => {
      const options = await readRunOptions(["--mfa-serial-number", serial, "--mfa-token-code", "012345"]);
      assert.deepEqual(options.aws, { mfa: { serialNumber: serial, tokenCode: "012345" } });
    });
    it("--mfa-token-code needs --mfa-serial-number", async () => {
      assert.deepEqual(await readProblems(["--mfa-token-code", "123456"]), [
        "--mfa-token-code needs --mfa-serial-number",
      ]);
    });
    it("--mfa-serial-number alone means: ask for the code when AWS needs one", async () => {
      assert.deepEqual((await readRunOptions(["--mfa-serial-number", serial])).aws, {
        mfa: { serialNumber: serial },
      });
    });
    it("check the serial number, and refuse a code that is not 6 digits without echoing it", async () => {
      assert.deepEqual(await readProblems(["--mfa-serial-number", "mfa", "--mfa-token-code", "12345x"]), [
        '--mfa-serial-number must be an MFA device ARN like arn:aws:iam::123456789012:mfa/NAME or a serial number (got "mfa")',
        "--mfa-token-code must be 6 digits",
      ]);
    });
  });

  describe("--region", () => {
    it("wins over AWS_REGION, which wins over AWS_DEFAULT_REGION (as in the AWS CLI)", async () => {
      const env = { AWS_REGION: "eu-west-1", AWS_DEFAULT_REGION: "eu-central-1" };
      assert.equal((await readRunOptions(["--region", "ap-southeast-2"], env)).aws.region, "ap-southeast-2");
      assert.equal((await readRunOptions([], env)).aws.region, "eu-west-1");
      assert.equal(
        (await readRunOptions([], { AWS_DEFAULT_REGION: "eu-central-1" })).aws.region,
        "eu-central-1",
      );
      assert.equal((await readRunOptions([], {})).aws.region, undefined);
    });
    it("is checked", async () => {
      assert.deepEqual(await readProblems(["--region", "Mars"]), [
        '--region must be an AWS region like us-east-1 (got "Mars")',
      ]);
    });
  });

  describe("--profile", () => {
    it("is passed on", async () => {
      assert.deepEqual((await readRunOptions(["--profile", "work"])).aws, { profile: "work" });
    });
  });

  describe("AWS_ENDPOINT_URL_STS and AWS_ENDPOINT_URL (where STS proofs point, as for the SDK's calls)", () => {
    it("AWS_ENDPOINT_URL_STS wins over AWS_ENDPOINT_URL; neither: the SDK default (undefined here)", async () => {
      const endpoint = async (env: Record<string, string>): Promise<unknown> =>
        (await readRunOptions([], env)).aws.stsEndpoint;
      assert.equal(
        await endpoint({
          AWS_ENDPOINT_URL_STS: "https://sts.example.internal",
          AWS_ENDPOINT_URL: "http://127.0.0.1:4566",
        }),
        "https://sts.example.internal",
      );
      assert.equal(await endpoint({ AWS_ENDPOINT_URL: "http://127.0.0.1:4566" }), "http://127.0.0.1:4566");
      assert.equal(await endpoint({}), undefined);
    });
    it("must be an origin, naming the variable", async () => {
      assert.deepEqual(await readProblems([], { AWS_ENDPOINT_URL_STS: "https://sts.example.internal/v1" }), [
        'AWS_ENDPOINT_URL_STS must be an http(s) origin such as https://sts.example.internal (got "https://sts.example.internal/v1")',
      ]);
    });
  });
});
