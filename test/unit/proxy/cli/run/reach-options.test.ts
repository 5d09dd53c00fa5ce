import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createTestCa } from "../../../../helpers/tls-fixtures.js";
import { readCaOptions, readProblems, readRunOptions } from "../read-command-line.js";

const loopback = (port: number) => ({ kind: "loopback", port });

describe("the run command's options for reaching apps (reverse mode, SOCKS, HTTPS, the CA)", () => {
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
    const upstreams = async (argv: string[]): Promise<unknown[]> =>
      (await readRunOptions(argv)).upstreams.map((upstream) => [upstream.origin.href, upstream.bind]);

    it("is forward mode when not given (no upstreams)", async () => {
      assert.deepEqual((await readRunOptions([])).upstreams, []);
    });
    it("listens on --bind, or on :8080 without it", async () => {
      assert.deepEqual(await upstreams(["--upstream", "https://app.example.com"]), [
        ["https://app.example.com/", loopback(8080)],
      ]);
      assert.deepEqual(
        await upstreams(["--upstream", "https://app.example.com:8443", "--bind", "127.0.0.1:0"]),
        [["https://app.example.com:8443/", { kind: "address", host: "127.0.0.1", port: 0 }]],
      );
    });
    it("may be repeated, each with its own local address", async () => {
      assert.deepEqual(
        await upstreams([
          "--upstream",
          "https://a.example.com=:8081",
          "--upstream",
          "http://b.example.com=[::1]:8082",
        ]),
        [
          ["https://a.example.com/", loopback(8081)],
          ["http://b.example.com/", { kind: "address", host: "::1", port: 8082 }],
        ],
      );
    });
    it("reports a bad value, a missing address and an unused --bind, naming the flag", async () => {
      assert.deepEqual(await readProblems(["--upstream", "https://app.example.com/app"]), [
        '--upstream must be an http(s) URL with no path, optionally followed by =[HOST]:PORT (got "https://app.example.com/app")',
      ]);
      assert.deepEqual(
        await readProblems([
          "--upstream",
          "https://a.example.com",
          "--upstream",
          "https://b.example.com=:8082",
        ]),
        [
          '--upstream "https://a.example.com" needs its own local address, as in https://a.example.com=:8081, when --upstream names several apps',
        ],
      );
      assert.deepEqual(await readProblems(["--upstream", "https://a.example.com=:8081", "--bind", ":8080"]), [
        "--bind is not used: every --upstream value names its own local address; leave out one of them",
      ]);
    });
    it("takes the --upstream-ca certificates for its upstreams", async () => {
      const options = await readRunOptions([
        "--upstream",
        "https://app.example.com",
        "--upstream-ca",
        caFile,
      ]);
      assert.deepEqual(options.upstreamCa, [caPem.trim()]);
    });
    it("is refused with --host, in one line naming the flags and why", async () => {
      const host =
        "in reverse mode each app has its own local address and no HTTPS is decrypted, so there are no --host apps";
      assert.deepEqual(
        await readProblems(["--upstream", "https://app.example.com", "--host", "app.example.com"]),
        [`--upstream cannot be combined with --host: ${host}`],
      );
    });
    it("takes --socks-proxy: the upstreams are reached through it", async () => {
      const options = await readRunOptions([
        "--upstream",
        "https://app.example.com",
        "--socks-proxy",
        "127.0.0.1:1080",
      ]);
      assert.deepEqual([options.upstreams.length, options.socks?.host], [1, "127.0.0.1:1080"]);
    });
  });

  describe("--socks-proxy", () => {
    it("is parsed once into a SocksEndpoint", async () => {
      assert.deepEqual((await readRunOptions(["--socks-proxy", "127.0.0.1:1080"])).socks, {
        hostname: "127.0.0.1",
        port: 1080,
        host: "127.0.0.1:1080",
      });
      assert.deepEqual((await readRunOptions(["--socks-proxy", "[::1]:1080"])).socks, {
        hostname: "::1",
        port: 1080,
        host: "[::1]:1080",
      });
    });
    it("is checked, naming the flag and the value", async () => {
      for (const value of ["socks5://127.0.0.1:1080", "127.0.0.1:0"]) {
        assert.deepEqual(await readProblems(["--socks-proxy", value]), [
          `--socks-proxy must be HOST:PORT with a port from 1 to 65535, as in 127.0.0.1:1080 (got ${JSON.stringify(value)})`,
        ]);
      }
    });
  });

  describe("--aws-via-socks", () => {
    it("is off by default, turned on by the flag and off by --no-aws-via-socks", async () => {
      assert.equal((await readRunOptions(["--socks-proxy", "127.0.0.1:1080"])).awsViaSocks, false);
      assert.equal(
        (await readRunOptions(["--socks-proxy", "127.0.0.1:1080", "--aws-via-socks"])).awsViaSocks,
        true,
      );
      assert.equal((await readRunOptions(["--no-aws-via-socks"])).awsViaSocks, false);
    });
    it("needs --socks-proxy", async () => {
      assert.deepEqual(await readProblems(["--aws-via-socks"]), ["--aws-via-socks needs --socks-proxy"]);
    });
  });

  describe("--kms-host", () => {
    it("may be repeated; each is parsed once into a HostPattern, apart from --host", async () => {
      const options = await readRunOptions([
        "--kms-host",
        "legacy.example.com",
        "--kms-host",
        "10.0.0.5:3000",
      ]);
      assert.deepEqual(
        [options.kmsHosts, options.hosts],
        [
          [
            { kind: "exact", host: "legacy.example.com", port: undefined },
            { kind: "exact", host: "10.0.0.5", port: 3000 },
          ],
          [],
        ],
      );
    });
    it("is checked, naming the flag", async () => {
      const problems = await readProblems(["--kms-host", "https://legacy.example.com"]);
      assert.equal(problems.length, 1);
      assert.match(problems[0] ?? "", /^--kms-host takes a host, not a URL/);
    });
  });

  describe("--host", () => {
    it("may be repeated; each is parsed once into a HostPattern", async () => {
      assert.deepEqual(
        (await readRunOptions(["--host", "App.example.com", "--host", "*.corp.example.com:8443"])).hosts,
        [
          { kind: "exact", host: "app.example.com", port: undefined },
          { kind: "subdomains", host: "corp.example.com", port: 8443 },
        ],
      );
    });
    it("is checked, naming the flag", async () => {
      assert.deepEqual(await readProblems(["--host", "*", "--host", "https://app.example.com"]), [
        '--host * alone would intercept every HTTPS site; name the apps\' domain, as in *.corp.example.com (got "*")',
        '--host takes a host, not a URL: leave out the scheme (got "https://app.example.com")',
      ]);
      assert.deepEqual(await readProblems(["--host"]), ["--host needs a value"]);
    });
  });

  describe("--upstream-ca", () => {
    it("reads each file's certificates", async () => {
      assert.deepEqual(
        (await readRunOptions(["--upstream-ca", caFile, "--upstream-ca", caFile])).upstreamCa,
        [caPem.trim(), caPem.trim()],
      );
    });
    it("refuses a file it cannot read, or one without a certificate", async () => {
      const missing = join(dir, "missing.pem");
      const junk = join(dir, "not-a-cert.pem");
      assert.deepEqual(await readProblems(["--upstream-ca", missing, "--upstream-ca", junk]), [
        `--upstream-ca cannot read ${missing}: ENOENT`,
        `--upstream-ca ${junk} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
      ]);
    });
  });

  describe("--ca-dir", () => {
    it("is passed on; without it the CA lives in ~/.iam-auth-proxy (caDir undefined)", async () => {
      assert.equal((await readRunOptions(["--ca-dir", dir])).caDir, dir);
      assert.equal((await readRunOptions([])).caDir, undefined);
    });
  });

  describe("the ca command", () => {
    it("takes --ca-dir and --bind", async () => {
      assert.deepEqual(await readCaOptions(["--ca-dir", dir, "--bind", ":9000"]), {
        caDir: dir,
        bind: loopback(9000),
      });
      assert.deepEqual(await readCaOptions([]), { caDir: undefined, bind: loopback(8080) });
    });
    it("refuses the flags it would ignore", async () => {
      assert.deepEqual(
        await readProblems(["ca", "--profile", "work", "--upstream", "https://app.example.com"]),
        [
          "--profile does not apply to the ca command (it takes --ca-dir and --bind)",
          "--upstream does not apply to the ca command (it takes --ca-dir and --bind)",
        ],
      );
    });
    it("ignores the run command's flags from the environment", async () => {
      assert.deepEqual(await readCaOptions([], { IAM_AUTH_PROXY_HOST: "*", IAM_AUTH_PROXY_CA_DIR: dir }), {
        caDir: dir,
        bind: loopback(8080),
      });
    });
    it("takes no further arguments", async () => {
      assert.deepEqual(await readProblems(["ca", "extra"]), ["Unknown argument extra"]);
    });
  });
});
