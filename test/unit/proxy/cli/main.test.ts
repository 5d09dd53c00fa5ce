import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { main } from "../../../../proxy/cli/main.js";

interface Run {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

async function run(argv: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  const out = { text: "", write: (chunk: string) => void (out.text += chunk) };
  const err = { text: "", write: (chunk: string) => void (err.text += chunk) };
  const code = await main(argv, env, { out, err });
  return { code, out: out.text, err: err.text };
}

const hint = "Run iam-auth-proxy --help to see the options.\n";

describe("main (the iam-auth-proxy command line, in process)", () => {
  describe("-h and --help", () => {
    it("print the usage, the commands and every flag of the proxy, and exit 0", async () => {
      const help = await run(["--help"]);
      assert.equal(help.code, 0);
      assert.equal(help.err, "");
      const lines = help.out.split("\n");
      assert.deepEqual(lines.slice(0, 5), [
        "Usage: iam-auth-proxy [command] [flags]",
        "",
        "A local HTTP proxy that signs you in to IAM-protected web apps with your AWS identity.",
        "",
        "Commands:",
      ]);
      assert.match(
        lines[5] ?? "",
        /^ {2}iam-auth-proxy {9}Run the proxy: forward mode, or reverse mode with --upstream +\[default\]$/,
      );
      assert.match(lines[6] ?? "", /^ {2}iam-auth-proxy ca {6}Create the local CA if needed/);
      assert.ok(
        lines.some((line) => /^ {2}iam-auth-proxy exec {4}Run a command with a private proxy/.test(line)),
      );
      assert.ok(
        lines.some((line) => /^ {2}iam-auth-proxy policy {2}Print the IAM and KMS key policies/.test(line)),
      );
      for (const flag of [
        "--bind",
        "--upstream",
        "--host",
        "--upstream-ca",
        "--ca-dir",
        "--socks-proxy",
        "--aws-via-socks",
        "--upstream-timeout",
        "--profile",
        "--region",
        "--assume-role-arn",
        "--assume-role-external-id",
        "--assume-role-session-name",
        "--mfa-serial-number",
        "--mfa-token-code",
        "--method",
        "--login-flow",
        "--config",
      ]) {
        assert.ok(
          lines.some((line) => line.startsWith(`      ${flag} `)),
          flag,
        );
      }
      assert.ok(lines.some((line) => /^ {2}-h, --help +Show this help/.test(line)));
      assert.ok(lines.some((line) => /^ {2}-v, --version +Show the version/.test(line)));
      assert.ok(help.out.includes("Every flag can also be set in the environment as IAM_AUTH_PROXY_<FLAG>"));
      assert.deepEqual(await run(["-h"]), help);
    });
    it("after a command, print that command's help", async () => {
      const help = await run(["ca", "-h"]);
      assert.equal(help.code, 0);
      assert.deepEqual(help.out.split("\n").slice(0, 4), [
        "iam-auth-proxy ca",
        "",
        "Create the local CA if needed, and print where it is and how to trust it in browsers and tools",
        "(edits nothing)",
      ]);
      assert.ok(help.out.includes("      --ca-dir "));
      assert.ok(!help.out.includes("--host"));
    });
  });

  describe("-v and --version", () => {
    it("print the version in package.json and exit 0", async () => {
      const { version } = JSON.parse(
        readFileSync(new URL("../../../../../package.json", import.meta.url), "utf8"),
      ) as { version: string };
      assert.deepEqual(await run(["--version"]), { code: 0, out: `${version}\n`, err: "" });
      assert.deepEqual(await run(["-v"]), { code: 0, out: `${version}\n`, err: "" });
    });
  });

  describe("a usage error", () => {
    it("prints every problem on stderr, one line each, and exits 2", async () => {
      assert.deepEqual(await run(["--bnd", ":8080", "--method", "saml"], { IAM_AUTH_PROXY_BIDN: "x" }), {
        code: 2,
        out: "",
        err:
          "iam-auth-proxy: Unknown flag --bnd: did you mean --bind?\n" +
          "iam-auth-proxy: Unknown variable IAM_AUTH_PROXY_BIDN: did you mean IAM_AUTH_PROXY_BIND?\n" +
          'iam-auth-proxy: --method must be auto, sts or kms (got "saml")\n' +
          hint,
      });
    });
  });
});
