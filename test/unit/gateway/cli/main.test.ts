import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, before, describe, it } from "node:test";
import { main } from "../../../../gateway/cli/main.js";

/** Runs the command with captured output; only usage errors are tried here, so it never listens. */
async function run(argv: readonly string[]): Promise<{ code: number; err: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let text = "";
  err.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
  const code = await main(argv, { out, err });
  return { code, err: text };
}

describe("iam-auth-gateway --redis-url", () => {
  let dir: string;
  let base: string[];
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "iam-auth-gateway-cli-"));
    const secretFile = join(dir, "secret");
    writeFileSync(secretFile, randomBytes(32).toString("hex"));
    base = [
      "--upstream",
      "http://127.0.0.1:8000",
      "--account",
      "111122223333",
      "--session-secret-file",
      secretFile,
    ];
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("when not redis:// or rediss://, exits 2 naming the flag, without the password", async () => {
    const { code, err } = await run([...base, "--redis-url", "http://:hunter2@cache:6379"]);
    assert.equal(code, 2);
    assert.equal(
      err,
      'iam-auth-gateway: --redis-url: must be a redis:// or rediss:// (TLS) URL such as redis://127.0.0.1:6379 or rediss://:PASSWORD@cache.example.com:6380/0 (got "http://:***@cache:6379/")\nRun iam-auth-gateway --help to see the options.\n',
    );
  });

  it("when --redis-key-prefix comes without --redis-url, exits 2 saying so", async () => {
    const { code, err } = await run([...base, "--redis-key-prefix", "reports:"]);
    assert.equal(code, 2);
    assert.equal(
      err,
      "iam-auth-gateway: --redis-key-prefix: only used with --redis-url\nRun iam-auth-gateway --help to see the options.\n",
    );
  });

  it("reads IAM_AUTH_GATEWAY_REDIS_URL like the flag (multi-word variables were refused as unknown arguments)", async () => {
    process.env.IAM_AUTH_GATEWAY_REDIS_URL = "tcp://cache:6379";
    try {
      const { code, err } = await run(base);
      assert.equal(code, 2);
      assert.match(
        err,
        /^iam-auth-gateway: --redis-url: must be a redis:\/\/ or rediss:\/\/ .*\(got "tcp:\/\/cache:6379"\)\n/,
      );
    } finally {
      delete process.env.IAM_AUTH_GATEWAY_REDIS_URL;
    }
  });
});

describe("iam-auth-gateway's client limits", () => {
  let dir: string;
  let base: string[];
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "iam-auth-gateway-cli-"));
    const secretFile = join(dir, "secret");
    writeFileSync(secretFile, randomBytes(32).toString("hex"));
    base = ["--upstream", "http://127.0.0.1:8000", "--account", "111122223333"];
    base.push("--session-secret-file", secretFile);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("when a limit is out of range, exits 2 naming each flag and value", async () => {
    const { code, err } = await run([...base, "--headers-timeout", "0", "--max-connections", "-1"]);
    assert.equal(code, 2);
    assert.equal(
      err,
      "iam-auth-gateway: --headers-timeout: must be seconds from 1 to 600 (got 0)\n" +
        "iam-auth-gateway: --max-connections: must be a whole number of connections from 1 to 1000000 (got -1)\n" +
        "Run iam-auth-gateway --help to see the options.\n",
    );
  });

  it("reads IAM_AUTH_GATEWAY_HEADERS_TIMEOUT and IAM_AUTH_GATEWAY_REQUEST_TIMEOUT like the flags", async () => {
    process.env.IAM_AUTH_GATEWAY_HEADERS_TIMEOUT = "60";
    process.env.IAM_AUTH_GATEWAY_REQUEST_TIMEOUT = "30";
    try {
      const { code, err } = await run(base);
      assert.equal(code, 2);
      assert.match(err, /^iam-auth-gateway: --headers-timeout: must not be longer than --request-timeout/);
    } finally {
      delete process.env.IAM_AUTH_GATEWAY_HEADERS_TIMEOUT;
      delete process.env.IAM_AUTH_GATEWAY_REQUEST_TIMEOUT;
    }
  });
});
