import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parseCliArguments, type CliParseResult } from "../../../proxy/cli-arguments.js";
import { createTestCa } from "../../helpers/tls-fixtures.js";

const hint = "Run iam-auth-proxy --help to see the options.\n";

function usageError(...problems: string[]): CliParseResult {
  return {
    kind: "exit",
    code: 2,
    output: `${problems.map((p) => `iam-auth-proxy: ${p}\n`).join("")}${hint}`,
  };
}

function config(argv: string[]) {
  const result = parseCliArguments(argv, {});
  if (result.kind !== "run" && result.kind !== "ca") assert.fail(result.output);
  return result.config;
}

describe("parseCliArguments: reaching apps (SOCKS, HTTPS, the CA)", () => {
  let dir = "";
  let caFile = "";
  let caPem = "";
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "iam-auth-proxy-cli-reach-"));
    caPem = (await createTestCa("cli test CA")).certPem;
    caFile = join(dir, "ca.pem");
    writeFileSync(caFile, caPem);
    writeFileSync(join(dir, "not-a-cert.pem"), "hello\n");
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe("--socks-proxy", () => {
    it("is passed on as HOST:PORT or [IPV6]:PORT", () => {
      assert.equal(config(["--socks-proxy", "127.0.0.1:1080"]).socksProxy, "127.0.0.1:1080");
      assert.equal(config(["--socks-proxy", "[::1]:1080"]).socksProxy, "[::1]:1080");
      assert.equal(config(["--socks-proxy", "bastion.local:1080"]).socksProxy, "bastion.local:1080");
    });
    it("is checked, naming the flag and the value", () => {
      assert.deepEqual(
        parseCliArguments(["--socks-proxy", "socks5://127.0.0.1:1080"], {}),
        usageError(
          '--socks-proxy must be HOST:PORT with a port from 1 to 65535, as in 127.0.0.1:1080 (got "socks5://127.0.0.1:1080")',
        ),
      );
      assert.deepEqual(
        parseCliArguments(["--socks-proxy", "127.0.0.1:0"], {}),
        usageError(
          '--socks-proxy must be HOST:PORT with a port from 1 to 65535, as in 127.0.0.1:1080 (got "127.0.0.1:0")',
        ),
      );
    });
  });

  describe("--aws-via-socks", () => {
    it("is off by default and turned on by the flag", () => {
      assert.equal(config(["--socks-proxy", "127.0.0.1:1080"]).awsViaSocks, false);
      assert.equal(config(["--socks-proxy", "127.0.0.1:1080", "--aws-via-socks"]).awsViaSocks, true);
    });
    it("needs --socks-proxy", () => {
      assert.deepEqual(
        parseCliArguments(["--aws-via-socks"], {}),
        usageError("--aws-via-socks needs --socks-proxy"),
      );
    });
  });

  describe("--host", () => {
    it("may be repeated; each is kept as given", () => {
      assert.deepEqual(config(["--host", "app.example.com", "--host", "*.corp.example.com"]).hosts, [
        "app.example.com",
        "*.corp.example.com",
      ]);
    });
    it("is checked, naming the flag", () => {
      assert.deepEqual(
        parseCliArguments(["--host", "*", "--host", "https://app.example.com"], {}),
        usageError(
          '--host * alone would intercept every HTTPS site; name the apps\' domain, as in *.corp.example.com (got "*")',
          '--host takes a host, not a URL: leave out the scheme (got "https://app.example.com")',
        ),
      );
      assert.deepEqual(parseCliArguments(["--host"], {}), usageError("--host needs a value"));
    });
  });

  describe("--upstream-ca", () => {
    it("reads each file's certificates", () => {
      assert.deepEqual(config(["--upstream-ca", caFile, "--upstream-ca", caFile]).upstreamCa, [
        caPem.trim(),
        caPem.trim(),
      ]);
    });
    it("refuses a file it cannot read, or one without a certificate", () => {
      const missing = join(dir, "missing.pem");
      const junk = join(dir, "not-a-cert.pem");
      assert.deepEqual(
        parseCliArguments(["--upstream-ca", missing, "--upstream-ca", junk], {}),
        usageError(
          `--upstream-ca cannot read ${missing}: ENOENT`,
          `--upstream-ca ${junk} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
        ),
      );
    });
  });

  describe("--ca-dir", () => {
    it("is passed on; without it the CA lives in ~/.iam-auth-proxy (caDir undefined)", () => {
      assert.equal(config(["--ca-dir", dir]).caDir, dir);
      assert.equal(config([]).caDir, undefined);
    });
  });

  describe("the ca command", () => {
    it("is its own kind of result, with --ca-dir and --bind", () => {
      const result = parseCliArguments(["ca", "--ca-dir", dir, "--bind", ":9000"], {});
      assert.equal(result.kind, "ca");
      assert.equal(result.kind === "ca" && result.config.caDir, dir);
      assert.equal(result.kind === "ca" && result.config.bind, ":9000");
    });
    it("refuses the flags it would ignore", () => {
      assert.deepEqual(
        parseCliArguments(["ca", "--profile", "work", "--host", "app.example.com"], {}),
        usageError(
          "--profile does not apply to the ca command (it takes --ca-dir and --bind)",
          "--host does not apply to the ca command (it takes --ca-dir and --bind)",
        ),
      );
    });
    it("is listed in --help", () => {
      const result = parseCliArguments(["--help"], {});
      assert.match(
        result.kind === "exit" ? result.output : "",
        /Commands:\n\s+iam-auth-proxy ca\s+Create the local CA/,
      );
    });
    it("takes no further arguments", () => {
      assert.deepEqual(parseCliArguments(["ca", "extra"], {}), usageError("Unknown argument: extra"));
    });
  });
});
