import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parseCliArguments, type CliParseResult } from "../../../../proxy/cli/cli-arguments.js";
import { createTestCa } from "../../../helpers/tls-fixtures.js";

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

  describe("--upstream (reverse mode)", () => {
    const upstreams = (argv: string[]) =>
      config(argv).upstreams.map((upstream) => [upstream.origin.href, upstream.bind]);

    it("is forward mode when not given (no upstreams)", () => {
      assert.deepEqual(config([]).upstreams, []);
    });
    it("listens on --bind, or on :8080 without it", () => {
      assert.deepEqual(upstreams(["--upstream", "https://app.example.com"]), [
        ["https://app.example.com/", ":8080"],
      ]);
      assert.deepEqual(upstreams(["--upstream", "https://app.example.com:8443", "--bind", "127.0.0.1:0"]), [
        ["https://app.example.com:8443/", "127.0.0.1:0"],
      ]);
    });
    it("may be repeated, each with its own local address", () => {
      assert.deepEqual(
        upstreams([
          "--upstream",
          "https://a.example.com=:8081",
          "--upstream",
          "http://b.example.com=[::1]:8082",
        ]),
        [
          ["https://a.example.com/", ":8081"],
          ["http://b.example.com/", "[::1]:8082"],
        ],
      );
    });
    it("reports a bad value, a missing address and an unused --bind, naming the flag", () => {
      assert.deepEqual(
        parseCliArguments(["--upstream", "https://app.example.com/app"], {}),
        usageError(
          '--upstream must be an http(s) URL with no path, optionally followed by =[HOST]:PORT (got "https://app.example.com/app")',
        ),
      );
      assert.deepEqual(
        parseCliArguments(
          ["--upstream", "https://a.example.com", "--upstream", "https://b.example.com=:8082"],
          {},
        ),
        usageError(
          '--upstream "https://a.example.com" needs its own local address, as in https://a.example.com=:8081, when several --upstream are given',
        ),
      );
      assert.deepEqual(
        parseCliArguments(["--upstream", "https://a.example.com=:8081", "--bind", ":8080"], {}),
        usageError("--bind is not used: every --upstream names its own local address; leave out one of them"),
      );
    });
    it("takes the --upstream-ca certificates for its upstreams", () => {
      assert.deepEqual(
        config(["--upstream", "https://app.example.com", "--upstream-ca", caFile]).upstreamCa,
        [caPem.trim()],
      );
    });
    it("is refused with --host or --socks-proxy, in one line naming the flags and why", () => {
      const host =
        "in reverse mode each app has its own local address and no HTTPS is decrypted, so there are no --host apps";
      const socks = "reverse mode does not reach apps through a SOCKS proxy yet";
      assert.deepEqual(
        parseCliArguments(["--upstream", "https://app.example.com", "--host", "app.example.com"], {}),
        usageError(`--upstream cannot be combined with --host: ${host}`),
      );
      assert.deepEqual(
        parseCliArguments(["--upstream", "https://app.example.com", "--socks-proxy", "127.0.0.1:1080"], {}),
        usageError(`--upstream cannot be combined with --socks-proxy: ${socks}`),
      );
      assert.deepEqual(
        parseCliArguments(
          [
            "--upstream",
            "https://app.example.com",
            "--host",
            "app.example.com",
            "--socks-proxy",
            "127.0.0.1:1080",
          ],
          {},
        ),
        usageError(`--upstream cannot be combined with --host or --socks-proxy: ${host}; ${socks}`),
      );
    });
    it("does not apply to the ca command", () => {
      assert.deepEqual(
        parseCliArguments(["ca", "--upstream", "https://app.example.com"], {}),
        usageError("--upstream does not apply to the ca command (it takes --ca-dir and --bind)"),
      );
    });
  });

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
