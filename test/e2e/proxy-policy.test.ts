import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { repoRoot } from "../helpers/service.js";

/*
 * `iam-auth-proxy policy` as a person runs it: every document it prints parses as JSON, and the
 * README's policy blocks are exactly its output for the commands the README names.
 */

const keyArn = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

async function policy(...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [
    join(repoRoot, "dist", "proxy", "cli", "main.js"),
    "policy",
    ...args,
  ]);
  return stdout;
}

describe("iam-auth-proxy policy (the real command)", () => {
  for (const method of ["sts", "kms", "auto"]) {
    for (const server of [false, true]) {
      it(`--method ${method}${server ? " --server" : ""}: every document after a # line parses as JSON`, async () => {
        const text = await policy(
          "--method",
          method,
          "--key-arn",
          keyArn,
          "--people-account",
          "444455556666",
          ...(server ? ["--server"] : []),
        );
        const chunks = text.split(/^# .*$/m).map((chunk) => chunk.trim());
        assert.ok(/^# /.test(text));
        for (const chunk of chunks.filter((each) => each !== ""))
          assert.doesNotThrow(() => JSON.parse(chunk), chunk);
        assert.equal(chunks.filter((each) => each !== "").length, method === "sts" ? 0 : server ? 2 : 1);
      });
    }
  }

  it("the README shows exactly what it prints for the commands it names", async () => {
    const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
    for (const args of [
      ["--key-arn", keyArn],
      ["--server", "--key-arn", keyArn, "--people-account", "444455556666"],
    ]) {
      assert.ok(
        readme.includes(`\`iam-auth-proxy policy ${args.join(" ")}\``),
        `README names ${args.join(" ")}`,
      );
      assert.ok(
        readme.includes(`\`\`\`text\n${await policy(...args)}\`\`\``),
        `README block for ${args.join(" ")}`,
      );
    }
  });
});
