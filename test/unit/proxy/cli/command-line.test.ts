import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { readCommandLine } from "../../../../proxy/cli/command-line.js";
import { caCommand } from "../../../../proxy/cli/commands/ca.js";
import { runCommand } from "../../../../proxy/cli/commands/run.js";
import { commands } from "../../../../proxy/cli/main.js";
import { createTestCa } from "../../../helpers/tls-fixtures.js";
import { readProblems, readRunOptions } from "./read-command-line.js";

const address = (host: string, port: number) => ({ kind: "address", host, port });

describe("readCommandLine", () => {
  let dir = "";
  const file = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "iam-auth-proxy-command-line-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe("-h, --help, -v and --version", () => {
    it("ask for the help of the command named, or the version, whatever else is given", async () => {
      assert.deepEqual(await readCommandLine(["-h"], {}, commands), { kind: "help", command: runCommand });
      assert.deepEqual(await readCommandLine(["--bnd", "--help"], {}, commands), {
        kind: "help",
        command: runCommand,
      });
      assert.deepEqual(await readCommandLine(["ca", "--help"], {}, commands), {
        kind: "help",
        command: caCommand,
      });
      assert.deepEqual(await readCommandLine(["-v"], {}, commands), { kind: "version" });
      assert.deepEqual(await readCommandLine(["--version"], {}, commands), { kind: "version" });
    });
  });

  describe("an unknown flag, command or argument", () => {
    it("is reported, with the closest known flag or command when one is close", async () => {
      assert.deepEqual(await readProblems(["--bnd", ":8080"]), ["Unknown flag --bnd: did you mean --bind?"]);
      assert.deepEqual(await readProblems(["--Bind", ":8080"]), [
        "Unknown flag --Bind: did you mean --bind?",
      ]);
      assert.deepEqual(await readProblems(["--socks", "h:1"]), [
        "Unknown flag --socks: did you mean --socks-proxy?",
      ]);
      assert.deepEqual(await readProblems(["--upstream-timout", "5"]), [
        "Unknown flag --upstream-timout: did you mean --upstream-timeout?",
      ]);
      assert.deepEqual(await readProblems(["--bogus", "-x"]), ["Unknown flag --bogus", "Unknown flag -x"]);
      assert.deepEqual(await readProblems(["cs"]), ["Unknown command cs: did you mean ca?"]);
      assert.deepEqual(await readProblems(["--bind", ":1", "serve"]), ["Unknown command serve"]);
    });
    it("is --no- before a flag that is not on/off (regression: --no-host intercepted a host named false)", async () => {
      const only = "only an on/off flag such as --aws-via-socks can be turned off with --no-";
      assert.deepEqual(await readProblems(["--no-host", "--no-bind"]), [
        `Unknown flag --no-host: ${only}`,
        `Unknown flag --no-bind: ${only}`,
      ]);
      assert.deepEqual(await readProblems(["--host", "a.example.com", "--no-host"]), [
        `Unknown flag --no-host: ${only}`,
      ]);
    });
    it("suggests only the flags the command takes", async () => {
      assert.deepEqual(await readProblems(["ca", "--ca-dri", "x"]), [
        "Unknown flag --ca-dri: did you mean --ca-dir?",
      ]);
      assert.deepEqual(await readProblems(["ca", "--hots", "x"]), ["Unknown flag --hots"]);
    });
  });

  describe("IAM_AUTH_PROXY_* variables", () => {
    it("give any flag, a repeatable one as a comma-separated list and an on/off one as true or false", async () => {
      const options = await readRunOptions([], {
        IAM_AUTH_PROXY_BIND: "127.0.0.1:0",
        IAM_AUTH_PROXY_HOST: "app.example.com, *.corp.example.com",
        IAM_AUTH_PROXY_SOCKS_PROXY: "127.0.0.1:1080",
        IAM_AUTH_PROXY_AWS_VIA_SOCKS: "true",
        IAM_AUTH_PROXY_UPSTREAM_TIMEOUT: "5",
      });
      assert.deepEqual(
        [
          options.bind,
          options.hosts.map((host) => host.host),
          options.socks?.host,
          options.awsViaSocks,
          options.upstreamTimeoutMs,
        ],
        [address("127.0.0.1", 0), ["app.example.com", "corp.example.com"], "127.0.0.1:1080", true, 5000],
      );
    });
    it("count as not set when empty", async () => {
      assert.deepEqual((await readRunOptions([], { IAM_AUTH_PROXY_BIND: "" })).bind, {
        kind: "loopback",
        port: 8080,
      });
    });
    it("are checked, each problem naming the variable", async () => {
      assert.deepEqual(
        await readProblems([], {
          IAM_AUTH_PROXY_BIND: "8080",
          IAM_AUTH_PROXY_AWS_VIA_SOCKS: "yes",
          IAM_AUTH_PROXY_MFA_TOKEN_CODE: "123456",
        }),
        [
          'IAM_AUTH_PROXY_AWS_VIA_SOCKS must be true or false (got "yes")',
          'IAM_AUTH_PROXY_BIND must be HOST:PORT, :PORT or [IPV6]:PORT (got "8080")',
          "IAM_AUTH_PROXY_MFA_TOKEN_CODE needs --mfa-serial-number",
        ],
      );
    });
    it("refuse a name that is no flag, with the closest one", async () => {
      assert.deepEqual(await readProblems([], { IAM_AUTH_PROXY_BNID: ":1", IAM_AUTH_PROXY_HELP: "true" }), [
        "Unknown variable IAM_AUTH_PROXY_BNID: did you mean IAM_AUTH_PROXY_BIND?",
        "Unknown variable IAM_AUTH_PROXY_HELP",
      ]);
    });
  });

  describe("--config FILE", () => {
    it("gives flags from JSON, a repeatable one as a list", async () => {
      const path = file(
        "proxy.json",
        JSON.stringify({
          bind: "127.0.0.1:0",
          host: ["app.example.com", "*.corp.example.com"],
          "aws-via-socks": false,
        }),
      );
      const options = await readRunOptions(["--config", path]);
      assert.deepEqual(
        [options.bind, options.hosts.map((host) => [host.kind, host.host])],
        [
          address("127.0.0.1", 0),
          [
            ["exact", "app.example.com"],
            ["subdomains", "corp.example.com"],
          ],
        ],
      );
    });
    it("gives flags from YAML, a repeatable one as a list or one value, seconds as a number", async () => {
      const path = file(
        "proxy.yaml",
        [
          "# the proxy for the corp apps",
          "bind: 127.0.0.1:0",
          "host:",
          "  - app.example.com",
          "  - '*.corp.example.com'",
          "upstream-timeout: 45",
          "method: sts",
          "",
        ].join("\n"),
      );
      const options = await readRunOptions(["--config", path]);
      assert.deepEqual(
        [options.bind, options.hosts.map((host) => host.host), options.upstreamTimeoutMs, options.method],
        [address("127.0.0.1", 0), ["app.example.com", "corp.example.com"], 45_000, "sts"],
      );
    });
    it("reads files and directories it names relative to its own directory", async () => {
      writeFileSync(join(dir, "corp-ca.pem"), (await createTestCa("config file CA")).certPem);
      const path = file("paths.yaml", "upstream-ca: corp-ca.pem\nca-dir: ca\n");
      const options = await readRunOptions(["--config", path]);
      assert.equal(options.upstreamCa.length, 1);
      assert.equal(options.caDir, join(dir, "ca"));
      const junk = file("junk.pem", "not a certificate\n");
      const bad = file("bad-paths.yaml", "upstream-ca: [junk.pem]\n");
      assert.deepEqual(await readProblems(["--config", bad]), [
        `upstream-ca in ${bad} ${junk} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
      ]);
    });
    it("is read as JSON or YAML by its content when its name says neither", async () => {
      const json = file("proxy.conf", '{ "method": "kms" }');
      const yaml = file("proxyrc", "method: sts\n");
      assert.equal((await readRunOptions(["--config", json])).method, "kms");
      assert.equal((await readRunOptions(["--config", yaml])).method, "sts");
    });
    it("can be named by IAM_AUTH_PROXY_CONFIG", async () => {
      const path = file("env.yaml", "method: kms\n");
      assert.equal((await readRunOptions([], { IAM_AUTH_PROXY_CONFIG: path })).method, "kms");
    });
    it("refuses unknown keys, values of the wrong kind (never showing the MFA code) and a key naming another config file", async () => {
      const path = file(
        "bad.yaml",
        [
          "bnd: ':8080'",
          "mfa-token-code: 012345",
          "host: [1, 2]",
          "aws-via-socks: yes please",
          "upstream-timeout: [30]",
          "config: other.yaml",
          "",
        ].join("\n"),
      );
      assert.deepEqual(await readProblems(["--config", path]), [
        `Unknown key bnd in ${path}: did you mean bind?`,
        `mfa-token-code in ${path} must be text: put it in quotes (got a number)`,
        `host in ${path} must be a list of texts, each in quotes if it could be read as a number (got [1,2])`,
        `aws-via-socks in ${path} must be true or false (got "yes please")`,
        `upstream-timeout in ${path} must be a number (got [30])`,
        `config in ${path}: a config file cannot name another one`,
      ]);
    });
    it("reports a file it cannot read or parse, or one that holds no mapping", async () => {
      const missing = join(dir, "missing.yaml");
      assert.deepEqual(await readProblems(["--config", missing]), [
        `--config cannot read ${missing}: ENOENT`,
      ]);
      const json = file("broken.json", '{ "bind": ');
      assert.deepEqual(await readProblems(["--config", json]), [
        `--config ${json} is not valid JSON: Unexpected end of JSON input`,
      ]);
      const yaml = file("broken.yaml", "bind: :1\nbind: :2\n");
      assert.deepEqual(await readProblems(["--config", yaml]), [
        `--config ${yaml} is not valid YAML: Map keys must be unique at line 2, column 1`,
      ]);
      const list = file("list.yaml", "- bind\n");
      assert.deepEqual(await readProblems([], { IAM_AUTH_PROXY_CONFIG: list }), [
        `IAM_AUTH_PROXY_CONFIG ${list} must hold a mapping of flag names to values, as in {"bind": ":8080"}`,
      ]);
    });
  });

  describe("precedence", () => {
    it("is the command line, then the environment, then the config file, then the default", async () => {
      const path = file(
        "all.yaml",
        "bind: '127.0.0.3:0'\nmethod: kms\nlogin-flow: redirect\nhost: [file.example.com]\n",
      );
      const env = {
        IAM_AUTH_PROXY_BIND: "127.0.0.2:0",
        IAM_AUTH_PROXY_METHOD: "sts",
        IAM_AUTH_PROXY_HOST: "env.example.com",
      };
      const options = await readRunOptions(
        ["--config", path, "--bind", "127.0.0.1:0", "--host", "flag.example.com"],
        env,
      );
      assert.deepEqual(
        [
          options.bind,
          options.method,
          options.loginFlow,
          options.hosts.map((host) => host.host),
          options.upstreamTimeoutMs,
        ],
        [address("127.0.0.1", 0), "sts", "redirect", ["flag.example.com"], 30_000],
      );
    });
    it("names a bad value as it was given: flag, variable or key in the file", async () => {
      const path = file("names.yaml", "login-flow: popup\n");
      assert.deepEqual(
        await readProblems(["--config", path, "--method", "saml"], { IAM_AUTH_PROXY_REGION: "Mars" }),
        [
          '--method must be auto, sts or kms (got "saml")',
          `login-flow in ${path} must be proxy or redirect (got "popup")`,
          'IAM_AUTH_PROXY_REGION must be an AWS region like us-east-1 (got "Mars")',
        ],
      );
    });
  });

  it("reports every problem at once, one line each", async () => {
    const path = file("one-more.yaml", "bogus: 1\n");
    assert.deepEqual(
      await readProblems(
        [
          "extra",
          "--bnd",
          "x",
          "--bind",
          "x",
          "--mfa-token-code",
          "1",
          "--socks-proxy",
          "h",
          "--config",
          path,
        ],
        { IAM_AUTH_PROXY_HOSTS: "a" },
      ),
      [
        "Unknown command extra",
        "Unknown flag --bnd: did you mean --bind?",
        "Unknown variable IAM_AUTH_PROXY_HOSTS: did you mean IAM_AUTH_PROXY_HOST?",
        `Unknown key bogus in ${path}`,
        '--bind must be HOST:PORT, :PORT or [IPV6]:PORT (got "x")',
        '--socks-proxy must be HOST:PORT with a port from 1 to 65535, as in 127.0.0.1:1080 (got "h")',
        "--mfa-token-code needs --mfa-serial-number",
        "--mfa-token-code must be 6 digits",
      ],
    );
  });
});
